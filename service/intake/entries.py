"""A Bundle's entries as records, whether the Bundle is still bytes or a dict.

Bytes are decoded into entries whose resources stay bytes (`msgspec.Raw`, no copy);
where msgspec cannot type the Bundle (an entry that is no object), it is parsed with
orjson and read as a dict, whose checks name the element at fault.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from service.errors import UnprocessablePayload
from service.fhir_json import Json
from service.intake.heads import Resource, parse_part, parse_resource
from service.intake.record import BundleHead, Record


class _Search(msgspec.Struct):
    mode: Any = None


class RawEntry(msgspec.Struct, gc=False):
    """A Bundle entry: its fullUrl and search mode, its request, response and resource as
    bytes. `search` is typed (a decode per entry saved) and takes any JSON, so that an odd
    one never sends the whole body down the orjson path (the walk ignores it)."""

    fullUrl: Any = None
    search: _Search | list[Any] | str | int | float | bool | None = None
    request: msgspec.Raw = msgspec.Raw()
    response: msgspec.Raw = msgspec.Raw()
    resource: msgspec.Raw = msgspec.Raw()

    @property
    def mode(self) -> object:
        """`search.mode` (None when `search` is not an object)."""
        search = self.search
        return search.mode if type(search) is _Search else None


class RawBundle(msgspec.Struct):
    resourceType: Any = None
    type: Any = None
    total: Any = None
    link: Any = None
    entry: list[RawEntry] = msgspec.field(default_factory=list)


_BUNDLE: Final = msgspec.json.Decoder(RawBundle)
_OPEN_BRACE: Final = ord("{")
#: `_first` of a missing resource, and of `null`.
_ABSENT: Final = (-1, ord("n"))


def entries_of(bundle: Resource, root: str) -> tuple[list[Record], BundleHead]:
    """The entries of a Bundle resource (bytes or dict) and what it says of itself."""
    if isinstance(bundle, msgspec.Raw):
        try:
            decoded = _BUNDLE.decode(bundle)
        except (msgspec.DecodeError, RecursionError):
            return dict_entries(parse_resource(bundle, root), root)
        return raw_entries(decoded, root)
    return dict_entries(bundle, root)


def raw_entries(bundle: RawBundle, root: str) -> tuple[list[Record], BundleHead]:
    """The entries of a Bundle decoded as bytes; `root`, the Bundle's path, for errors."""
    records: list[Record] = []
    for i, entry in enumerate(bundle.entry):
        resource = entry.resource
        first = _first(resource)
        absent = first in _ABSENT
        full_url = entry.fullUrl
        records.append(
            Record(
                full_url.strip() if isinstance(full_url, str) else None,
                None if absent else resource,
                "absent" if absent else "object" if first == _OPEN_BRACE else "other",
                entry.mode,
                # Read only where a DELETE can be: entries without a resource.
                _json(entry.request, root, i, "request") if absent else None,
                _json(entry.response, root, i, "response") if absent else None,
            )
        )
    return records, BundleHead(bundle.type, bundle.total, bundle.link)


def dict_entries(bundle: Json, root: str) -> tuple[list[Record], BundleHead]:
    """The entries of a Bundle dict, each checked to be an object."""
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise UnprocessablePayload("Bundle.entry must be an array", expression=[f"{root}.entry"])
    records: list[Record] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise UnprocessablePayload(
                "A Bundle entry must be an object",
                code="structure",
                expression=[f"{root}.entry[{i}]"],
            )
        search = entry.get("search")
        resource = entry.get("resource")
        full_url = entry.get("fullUrl")
        records.append(
            Record(
                full_url.strip() if isinstance(full_url, str) else None,
                resource if isinstance(resource, dict) else None,
                "absent"
                if resource is None
                else "object"
                if isinstance(resource, dict)
                else "other",
                search.get("mode") if isinstance(search, dict) else None,
                entry.get("request"),
                entry.get("response"),
            )
        )
    return records, BundleHead(bundle.get("type"), bundle.get("total"), bundle.get("link"))


def _first(raw: msgspec.Raw) -> int:
    """The first byte of a raw value, -1 when there is none (cheaper than a bytes slice:
    it runs twice for every entry)."""
    return memoryview(raw)[0] if len(raw) else -1


def _json(raw: msgspec.Raw, root: str, i: int, element: str) -> object:
    """An entry's request or response, when it is an object (the path is made only then)."""
    if _first(raw) != _OPEN_BRACE:
        return None
    return parse_part(raw, f"{root}.entry[{i}].{element}")
