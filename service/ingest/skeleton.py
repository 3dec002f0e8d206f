"""The msgspec skeleton path, and the guards that send a body to the orjson path instead.

Memory: the body is first decoded with msgspec into a skeleton (`_Document`) in which
each entry's resource stays as its bytes (`msgspec.Raw`, no copy); a second small
decode reads each resource's type, id, codes and subject (`_Head`), and only the
Patients and the candidates are parsed with orjson. The rest never becomes Python
objects (bench [3]: the whole tree was ~4.6x the body, orjson's own copy ~2.3x more).
Whatever the skeleton cannot type, or where msgspec is more lenient than orjson
(invalid UTF-8 in a skipped string, a number that overflows a double, nesting past
1024 when the recursion limit does not bound msgspec below that), goes through the
whole-body `orjson.loads` path instead, so both paths give the same answers and the
same errors (tests/test_ingest_skeleton.py).
"""

from __future__ import annotations

import codecs
import re
import sys
from collections.abc import Sequence
from typing import Any, Final

import msgspec
import orjson

from service.fhir_json import Json
from service.ingest.heads import BundleHead, Entry, EntryView, Head, Source
from service.ingest.parsed import (
    refuse_non_bundle_part,
    refuse_unless_parameters,
    the_bundle_part,
)
from service.ingest.result import IngestResult
from service.ingest.select import select
from service.ingest.walk import walk
from service.terminology import Terminology


class _Search(msgspec.Struct):
    mode: Any = None


class RawEntry(msgspec.Struct, gc=False):
    """A Bundle entry: its fullUrl, request and response, its search and resource as bytes
    (a CDS prefetch Bundle's entries are read with it too: `cds.prefetch_values`)."""

    fullUrl: Any = None
    search: msgspec.Raw = msgspec.Raw()
    request: msgspec.Raw = msgspec.Raw()
    response: msgspec.Raw = msgspec.Raw()
    resource: msgspec.Raw = msgspec.Raw()


class _Bundle(msgspec.Struct):
    resourceType: Any = None
    type: Any = None
    total: Any = None
    link: Any = None
    entry: list[RawEntry] = msgspec.field(default_factory=list)


class _Part(msgspec.Struct):
    name: Any = None
    resource: _Bundle | None = None


class _Document(_Bundle):
    """A Bundle, or a Parameters whose parts' resources are read as Bundles."""

    parameter: list[_Part] = msgspec.field(default_factory=list)


_DOCUMENT: Final = msgspec.json.Decoder(_Document)
_SEARCH: Final = msgspec.json.Decoder(_Search)
_BUNDLE: Final = msgspec.json.Decoder(_Bundle)
HEAD_DECODER: Final = msgspec.json.Decoder(Head)
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


def decode_skeleton(body: bytes) -> _Document | None:
    """The body as a skeleton, or None where only the orjson path answers exactly."""
    if not skeleton_safe(body):
        return None
    try:
        return _DOCUMENT.decode(body)
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None


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


class SkeletonUnsure(Exception):
    """msgspec could not type part of the body: only the orjson path answers exactly."""


def ingest_skeleton(
    document: _Document, terminology: Terminology, max_entries: int
) -> IngestResult:
    """`ingest_parsed`, step for step, on the skeleton: same checks, same order.

    Raises SkeletonUnsure where a resource cannot be typed (the caller falls back).
    """
    bundle, root = _unwrap_skeleton(document)
    walked = walk(bundle, root, SKELETON_SOURCE, max_entries, terminology)
    return select(walked, root, SKELETON_SOURCE, terminology)


def _entries(bundle: object, root: str) -> tuple[Sequence[Entry], BundleHead]:
    if isinstance(bundle, msgspec.Raw):
        try:
            bundle = _BUNDLE.decode(bundle)
        except msgspec.DecodeError:
            raise SkeletonUnsure from None
    assert isinstance(bundle, _Bundle)
    views: list[EntryView] = []
    for entry in bundle.entry:
        search = entry.search
        mode = _SEARCH.decode(search).mode if _first(search) == _OPEN_BRACE else None
        resource = entry.resource
        first = _first(resource)
        absent = first in _ABSENT
        full_url = entry.fullUrl
        views.append(
            EntryView(
                full_url.strip() if isinstance(full_url, str) else None,
                mode,
                # Read only where a DELETE can be: entries without a resource.
                _json(entry.request) if absent else None,
                _json(entry.response) if absent else None,
                "absent" if absent else "object" if first == _OPEN_BRACE else "other",
                resource,
            )
        )
    return views, BundleHead(bundle.type, bundle.total, bundle.link)


_OPEN_BRACE: Final = ord("{")
#: `_first` of a missing resource, and of `null`.
_ABSENT: Final = (-1, ord("n"))


def _first(raw: msgspec.Raw) -> int:
    """The first byte of a raw value, -1 when there is none (cheaper than a bytes slice:
    it runs twice for every entry)."""
    return memoryview(raw)[0] if len(raw) else -1


def _json(raw: msgspec.Raw) -> object:
    return orjson.loads(memoryview(raw)) if _first_byte(raw) == b"{" else None


def _head(raw: object, path: str) -> Head:
    assert isinstance(raw, msgspec.Raw)
    try:
        return HEAD_DECODER.decode(raw)
    except msgspec.DecodeError:
        raise SkeletonUnsure from None


def _resource(raw: object) -> Json:
    assert isinstance(raw, msgspec.Raw)
    try:
        resource: Json = orjson.loads(memoryview(raw))
    except orjson.JSONDecodeError:  # deeper than orjson allows: its 413 comes from there
        raise SkeletonUnsure from None
    return resource


SKELETON_SOURCE: Final = Source(_entries, _head, _resource)


def _unwrap_skeleton(document: _Document) -> tuple[_Bundle, str]:
    """`_unwrap` on the skeleton (a non-object anywhere it reads already fell back)."""
    resource_type = document.resourceType
    if resource_type == "Bundle":
        return document, "Bundle"
    refuse_unless_parameters(resource_type)
    k = the_bundle_part([k for k, p in enumerate(document.parameter) if p.name == "bundle"])
    bundle = document.parameter[k].resource
    if bundle is None or bundle.resourceType != "Bundle":
        refuse_non_bundle_part(k)
    return bundle, f"Parameters.parameter[{k}].resource"


def _first_byte(raw: msgspec.Raw) -> bytes:
    return bytes(memoryview(raw)[:1])
