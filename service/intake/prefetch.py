"""A hook's prefetch values and a FHIR server's search pages -> records, each value read once.

A prefetch value is a resource (the Patient read), a Bundle of search results, `null`,
or something the service cannot use. What `prefetch.gather_prefetch` needs of it (is it an
object, its resourceType, the Bundle's entries with their types and ids, a `next`
link) is read here, so the event loop only decides what to fetch. Values still in the
request's bytes (`msgspec.Raw`) are read with small msgspec decodes, each entry's head
once (the walk reuses it); values already parsed (the whole-body fall-back) as dicts,
to the same result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import msgspec

from service.fhir_json import Json, next_link
from service.intake.entries import RawEntry
from service.intake.guards import skeleton_safe
from service.intake.heads import Head, Resource, head_or_none, parse_part, parse_resource
from service.intake.record import Record

_FAILED_SEVERITIES: Final = frozenset({"error", "fatal"})


@dataclass(frozen=True, slots=True)
class PrefetchValue:
    """One key's value. `resource` is the value itself where it may be read as a resource
    (None for a search's value read typed); `entries` (the Bundle entries whose resources
    are objects) is None when it is not a Bundle with well-formed entries; `failed` when
    one of them is an OperationOutcome with an error (the search failed: unusable)."""

    null: bool
    is_object: bool
    resource_type: str | None = None
    resource: Resource | None = None
    head: Head | None = None
    entries: tuple[Record, ...] | None = None
    failed: bool = False
    next_url: str | None = None

    @property
    def entry_count(self) -> int:
        """How many entries hold a resource (what a server's page is bounded by)."""
        return len(self.entries) if self.entries is not None else 0


NULL: Final = PrefetchValue(null=True, is_object=False)
NOT_AN_OBJECT: Final = PrefetchValue(null=False, is_object=False)


def read_value(value: object, where: str) -> PrefetchValue:
    """A prefetch value from the request (bytes or parsed), or a search page from a server;
    `where` is its path (for the entries' error paths)."""
    if isinstance(value, msgspec.Raw):
        return _read_raw(value, where)
    return _read_dict(value, where)


# --- values parsed as dicts -------------------------------------------------------------


def _read_dict(value: object, where: str) -> PrefetchValue:
    if isinstance(value, dict) and "resourceType" not in value and "resource" in value:
        value = value["resource"]  # cqf-ruler's pre-1.0 {"response", "resource"} wrapper
    if value is None:
        return NULL
    if not isinstance(value, dict):
        return NOT_AN_OBJECT
    resource_type = _text(value.get("resourceType"))
    if resource_type != "Bundle":
        return PrefetchValue(False, True, resource_type, value)
    entries, failed = _dict_entries(value, where)
    return PrefetchValue(False, True, resource_type, value, None, entries, failed, next_link(value))


def _dict_entries(bundle: Json, where: str) -> tuple[tuple[Record, ...] | None, bool]:
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        return None, False
    read: list[Record] = []
    failed = False
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            return None, False
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            continue
        resource_type = _text(resource.get("resourceType"))
        failed = failed or (resource_type == "OperationOutcome" and _failed(resource))
        search = entry.get("search")
        read.append(
            Record(
                _url(entry.get("fullUrl")),
                resource,
                search_mode=search.get("mode") if isinstance(search, dict) else None,
                origin=where,
                index=n,
                resource_type=resource_type,
                ident=_text(resource.get("id")),
            )
        )
    return tuple(read), failed


# --- values still in the request's bytes --------------------------------------------------


class _Value(msgspec.Struct, gc=False):
    """A prefetch value: a resource, a Bundle (its entries typed in the same pass) or the
    pre-1.0 wrapper. Entries that are not objects fail the decode (read as dicts then)."""

    resourceType: Any = msgspec.UNSET
    resource: msgspec.Raw = msgspec.Raw()
    entry: list[RawEntry] | msgspec.UnsetType = msgspec.UNSET
    link: Any = None


_VALUE: Final = msgspec.json.Decoder(_Value)


class KnownPrefetch(msgspec.Struct, gc=False):
    """The keys this service asks for (`cds.discovery`), typed so that the hook body
    is read in one decode: the Patient kept as bytes, each search down to its entries
    (resources as bytes). A value of another shape fails the decode: the hook body is
    then read with `prefetch` as bytes per key (`read_value`)."""

    patient: msgspec.Raw = msgspec.Raw()
    conditions: _Value | msgspec.UnsetType | None = msgspec.UNSET
    observations: _Value | msgspec.UnsetType | None = msgspec.UNSET
    observationsByValue: _Value | msgspec.UnsetType | None = msgspec.UNSET
    medicationRequests: _Value | msgspec.UnsetType | None = msgspec.UNSET
    medicationAdministrations: _Value | msgspec.UnsetType | None = msgspec.UNSET
    medicationStatements: _Value | msgspec.UnsetType | None = msgspec.UNSET
    procedures: _Value | msgspec.UnsetType | None = msgspec.UNSET
    serviceRequests: _Value | msgspec.UnsetType | None = msgspec.UNSET
    diagnosticReports: _Value | msgspec.UnsetType | None = msgspec.UNSET


def read_known(prefetch: KnownPrefetch) -> dict[str, PrefetchValue]:
    """The values of the keys the request has (absent keys are left out)."""
    values: dict[str, PrefetchValue] = {}
    if len(prefetch.patient):
        values["patient"] = _read_raw(prefetch.patient, "prefetch.patient")
    for key in KnownPrefetch.__struct_fields__[1:]:
        value = getattr(prefetch, key)
        if value is msgspec.UNSET:
            continue
        where = f"prefetch.{key}"
        values[key] = NULL if value is None else _read_decoded(value, None, where)
    return values


def read_page(body: bytes, where: str) -> PrefetchValue:
    """A FHIR server's answer to a search, read like a posted body: its entries' resources
    stay bytes, each with its head. A page msgspec might read otherwise than orjson
    (`guards.skeleton_safe`: nesting, invalid UTF-8) or cannot type is parsed whole; JSON
    that is not valid raises the JSON reader's error (`UnreadableInput`, naming `where`)."""
    raw = msgspec.Raw(body)
    if skeleton_safe(body):
        try:
            return _read_decoded(_VALUE.decode(raw), raw, where)
        except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
            pass
    return _read_dict(parse_part(raw, where), where)


def _read_raw(raw: msgspec.Raw, where: str) -> PrefetchValue:
    first = _first_byte(raw)
    if first == b"n":
        return NULL
    if first != b"{":
        return NOT_AN_OBJECT
    try:
        value = _VALUE.decode(raw)
    except msgspec.ValidationError:  # `entry` is not an array of objects: rare, read whole
        return _read_dict(parse_part(raw, where), where)
    return _read_decoded(value, raw, where)


def _read_decoded(value: _Value, raw: msgspec.Raw | None, where: str) -> PrefetchValue:
    """A decoded object value; `raw`, its bytes, is needed only for a resource read by
    itself (the Patient), not for a search's Bundle."""
    if value.resourceType is msgspec.UNSET and len(value.resource):
        return _read_raw(value.resource, where)  # cqf-ruler's pre-1.0 wrapper
    resource_type = _text(value.resourceType)
    if resource_type != "Bundle":
        head = head_or_none(raw) if raw is not None else None
        return PrefetchValue(False, True, resource_type, raw, head)
    entries, failed = _raw_entries(value.entry or [], where)
    return PrefetchValue(
        False, True, resource_type, raw, None, entries, failed, next_link({"link": value.link})
    )


def _raw_entries(entries: list[RawEntry], where: str) -> tuple[tuple[Record, ...], bool]:
    read: list[Record] = []
    failed = False
    for n, entry in enumerate(entries):
        resource = entry.resource
        head = head_or_none(resource)
        if head is not None:
            resource_type = head.resourceType if type(head.resourceType) is str else None
            ident = head.id if type(head.id) is str and head.id else None
        elif _first_byte(resource) != b"{":  # absent, null, or not an object: no resource
            continue
        else:  # the head cannot be typed: the walk's fallback will say why
            loaded = parse_resource(resource, f"{where}.entry[{n}].resource")
            resource_type, ident = _text(loaded.get("resourceType")), _text(loaded.get("id"))
        if resource_type == "OperationOutcome" and not failed:
            failed = _failed(parse_resource(resource, f"{where}.entry[{n}].resource"))
        full_url = entry.fullUrl
        read.append(
            Record(  # positional: a keyword call costs more, once per entry
                full_url.strip() or None if type(full_url) is str else None,
                resource,
                "object",
                entry.mode,
                None,
                None,
                head,
                where,
                n,
                resource_type,
                ident,
            )
        )
    return tuple(read), failed


def _url(value: object) -> str | None:
    """A fullUrl, trimmed as every source trims it; an empty one identifies nothing."""
    return value.strip() or None if isinstance(value, str) else None


def _first_byte(raw: msgspec.Raw) -> bytes:
    return bytes(memoryview(raw)[:1])


def _text(value: object) -> str | None:
    """A string element as it is (an empty id identifies nothing)."""
    return value if isinstance(value, str) and value else None


def _failed(outcome: Json) -> bool:
    issues = outcome.get("issue")
    if not isinstance(issues, list):
        return True
    return any(isinstance(i, dict) and i.get("severity") in _FAILED_SEVERITIES for i in issues)
