"""Whether msgspec reads a request body as `orjson.loads` would (`skeleton_safe`).

msgspec is more lenient than orjson in what it skips: invalid UTF-8 in a string, nesting
past 1024 when the recursion limit does not bound msgspec below that. A body that may
hold either is read whole with orjson instead, so both readings give the same answers
and the same errors (tests/test_ingest_skeleton.py). Each check runs in C over the body
or over chunks of it, so no second copy of a large body is made.

Numbers are the one difference kept on purpose. A FHIR decimal has no range ("do not use
an IEEE floating point type": R4 datatypes), so `1e400` or a 320-digit integer is valid
FHIR that orjson, reading doubles, cannot hold. Where the service does not read an
element (msgspec skips it), such a number is no reason to refuse the request; where it
reads one (a resource parsed whole, a head, a prefetch value read whole), the answer is
a 400 naming where (`heads.parse_resource`). Until 2026-12-08 every body was scanned for
such numbers first, to refuse them anywhere: 10-15% of a typical call.
"""

from __future__ import annotations

import codecs
import sys
from typing import Final

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
    """Whether msgspec reads this body as orjson would (the same depth limit and UTF-8
    rules), so that a skeleton of it gives the answers of the orjson path."""
    bounded = _DEPTH_BOUNDED_BY_RECURSION_LIMIT and sys.getrecursionlimit() <= _MAX_DEPTH
    if not bounded and not _shallow(body):
        return False
    return body.isascii() or _valid_utf8(body)


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
