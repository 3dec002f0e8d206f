"""Whether msgspec reads a body exactly as orjson would: the guards before the fast path.

msgspec is more lenient than orjson in what it skips: invalid UTF-8 in a string, a
number that overflows a double, nesting past 1024 when the recursion limit does not
bound msgspec below that. A body where any of these may occur is read whole with
orjson instead (`intake.body`), so both give the same answers and the same errors.
"""

from __future__ import annotations

import codecs
import re
import sys
from typing import Final

#: For `_may_overflow`: digits -> "0", e/E -> "e", signs -> "+", anything else -> " ".
_NUMBER_SHAPE: Final = bytes.maketrans(
    b"0123456789eE+-" + bytes(b for b in range(256) if b not in b"0123456789eE+-"),
    b"0000000000ee++" + b" " * (256 - 14),
)
#: A number's end whose exponent has 3+ digits: where orjson may find a double overflow.
_BIG_EXPONENT: Final = re.compile(rb"[0-9.][eE][+-]?[0-9]{3,}[\s,}\]]")
#: Integer parts this long may overflow a double (1e308); shorter ones with a 2-digit
#: exponent cannot (< 1e299).
_LONG_DIGITS: Final = 200
_SCAN_CHUNK: Final = 1 << 20
#: orjson refuses JSON nested deeper than this. msgspec has no depth option: on
#: CPython 3.11 it stops at the recursion limit (its C recursion shares the counter of
#: Python frames), which bounds it when the limit is below this; later versions bound C
#: recursion separately (1,500 and more), so there the body's depth is checked itself.
_MAX_DEPTH: Final = 1024
_DEPTH_BOUNDED_BY_RECURSION_LIMIT: Final = sys.version_info[:2] == (3, 11)
#: Every byte but the four brackets, deleted to count nesting.
_NOT_BRACKETS: Final = bytes(b for b in range(256) if b not in b"[]{}")
#: Passes of the depth check: each removes one or two levels, so a body that empties
#: within them is at most 2 x this deep (FHIR resources nest about 10 levels).
_DEPTH_PASSES: Final = 48
_UTF8_CHUNK: Final = 1 << 20


def skeleton_safe(body: bytes) -> bool:
    """Whether msgspec reads this body exactly as orjson would (same depth limit, UTF-8
    and number rules), so that a skeleton of it gives the answers of the orjson path."""
    bounded = _DEPTH_BOUNDED_BY_RECURSION_LIMIT and sys.getrecursionlimit() <= _MAX_DEPTH
    if not bounded and not _shallow(body):
        return False
    if not body.isascii() and not _valid_utf8(body):
        return False
    return not _may_overflow(body)


def _shallow(body: bytes) -> bool:
    """Whether the body surely nests less than 2 x `_DEPTH_PASSES` levels: its brackets
    (string contents included, which can only make this answer no) reduce to nothing by
    removing adjacent `[]` and `{}` pairs within that many passes. All in C: a delete
    translation, then replaces on a string a few per cent of the body's size."""
    brackets = body.translate(None, _NOT_BRACKETS)
    for _ in range(_DEPTH_PASSES):
        if not brackets:
            return True
        reduced = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if len(reduced) == len(brackets):
            return False
        brackets = reduced
    return not brackets


def _may_overflow(body: bytes) -> bool:
    """Whether a number in the body may be too large for a double, which orjson refuses
    (400) and msgspec does not check in what it skips. Over-inclusive: an exponent of 3
    or more digits, or 200 digits in a row. Scanned in chunks through a translation
    table (a regular expression took 9 ms per MB), so no copy of the body is made."""
    view = memoryview(body)
    digits = b"0" * _LONG_DIGITS
    for start in range(0, len(view), _SCAN_CHUNK):
        # Overlap the next chunk by more than a digit run or an exponent can span.
        shape = bytes(view[start : start + _SCAN_CHUNK + _LONG_DIGITS + 8])
        shape = shape.translate(_NUMBER_SHAPE)
        if shape.find(digits) >= 0:
            return True
        for marker in (b"0e000", b"0e+000"):
            at = shape.find(marker)
            while at >= 0:
                if _number_with_big_exponent(body, start + at):
                    return True
                at = shape.find(marker, at + 1)
    return False


def _number_with_big_exponent(body: bytes, at: int) -> bool:
    """Whether the digit at `at` ends the mantissa of a JSON number with a 3+ digit
    exponent (not, say, the `3e135` of an escaped `\\u003e135` in a narrative)."""
    if not _BIG_EXPONENT.match(body, at):
        return False
    start = at
    while start > 0 and body[start - 1] in b"0123456789.":
        start -= 1
    if start > 0 and body[start - 1] == ord("-"):
        start -= 1
    return start == 0 or body[start - 1] in b" \t\n\r:,["


def _valid_utf8(body: bytes) -> bool:
    """Decode in chunks, so no second copy of a large body is made."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(body)
    try:
        for start in range(0, len(view), _UTF8_CHUNK):
            decoder.decode(view[start : start + _UTF8_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
