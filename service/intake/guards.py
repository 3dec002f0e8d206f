"""Whether msgspec reads a request body exactly as `orjson.loads` would (`skeleton_safe`).

msgspec is more lenient than orjson in what it skips: invalid UTF-8 in a string, a
number that overflows a double, nesting past 1024 when the recursion limit does not
bound msgspec below that. A body that may hold any of them is read whole with orjson
instead, so both readings give the same answers and the same errors
(tests/test_ingest_skeleton.py). Each check runs in C over the body or over chunks of
it, so no second copy of a large body is made.
"""

from __future__ import annotations

import codecs
import re
import sys
from collections.abc import Iterator
from typing import Final

_NUMBER_BYTES: Final = b"0123456789eE+-,}] \t\n\r\f\v"
#: For `_may_overflow`: digits -> "0", e/E -> "e", signs -> "+", the bytes that may end
#: a number (`_BIG_EXPONENT`'s last) -> "s", anything else (hex letters too) -> "x".
_NUMBER_SHAPE: Final = bytes.maketrans(
    _NUMBER_BYTES + bytes(b for b in range(256) if b not in _NUMBER_BYTES),
    b"0000000000ee++sssssssss" + b"x" * (256 - len(_NUMBER_BYTES)),
)
#: A number's end whose exponent has 3+ digits: where orjson may find a double overflow.
_BIG_EXPONENT: Final = re.compile(rb"[0-9.][eE][+-]?[0-9]{3,}[\s,}\]]")
#: The same in `_NUMBER_SHAPE`, from the mantissa's last digit to the byte after it.
_BIG_EXPONENT_SHAPE: Final = re.compile(rb"0e\+?000+s")
#: Where every `_BIG_EXPONENT_SHAPE` ends: three digits and the byte after them. Its
#: start, `0e000`, is in thousands of hex UUIDs of a large body (each a Python step);
#: this end never is, as a number's end byte is never inside a UUID.
_EXPONENT_END: Final = b"000s"
#: What precedes `_EXPONENT_END` in a big exponent: its `e`, its sign or a 4th digit.
_EXPONENT_LAST: Final = b"e+0"
#: Integer parts this long may overflow a double (1e308); shorter ones with a 2-digit
#: exponent cannot (< 1e299).
_LONG_DIGITS: Final = 200
#: Chunks of this size stay in the CPU's cache between the translation and the finds.
_SCAN_CHUNK: Final = 1 << 18
#: Ends looked at one by one in a chunk before a regular expression reads the rest of
#: it instead (bodies dense with numbers, a waveform's `SampledData.data`).
_MAX_ENDS: Final = 1024
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
    table (a regular expression over the body took 9 ms per MB), so no copy of the body
    is made. A chunk overlaps the next by more than a digit run or an exponent can span,
    so every number that ends in a chunk and starts in it or before is read there."""
    view = memoryview(body)
    digits = b"0" * _LONG_DIGITS
    for start in range(0, len(view), _SCAN_CHUNK):
        shape = bytes(view[start : start + _SCAN_CHUNK + _LONG_DIGITS + 8])
        shape = shape.translate(_NUMBER_SHAPE)
        if digits in shape:
            return True
        for at in _big_exponents(shape):
            if _number_with_big_exponent(body, start + at):
                return True
    return False


def _big_exponents(shape: bytes) -> Iterator[int]:
    """Where each `_BIG_EXPONENT_SHAPE` in a translated chunk starts. Found from its end
    (`_EXPONENT_END`), then the `e` before it; past `_MAX_ENDS` ends, the whole chunk is
    read with the regular expression instead (so some starts may come twice)."""
    at = shape.find(_EXPONENT_END)
    for _ in range(_MAX_ENDS):
        if at < 0:
            return
        end = at + len(_EXPONENT_END)
        if at > 0 and shape[at - 1] in _EXPONENT_LAST:
            e = shape.rfind(b"e", max(0, at - _LONG_DIGITS), at)
            if e > 0 and _BIG_EXPONENT_SHAPE.fullmatch(shape, e - 1, end):
                yield e - 1
        at = shape.find(_EXPONENT_END, end)
    if at >= 0:
        yield from (m.start() for m in _BIG_EXPONENT_SHAPE.finditer(shape))


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
