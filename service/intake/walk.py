"""Every resource of the request, in document order, with only its latest version current.

Bundles nested in entries (a batch-response of searchsets) are walked like the outer one.
When the same resource (type and id) appears more than once (a `history` Bundle, a
repeated search), only its latest version is current: the highest `meta.versionId`,
else the latest `meta.lastUpdated`, else the last one in the Bundle. A `history` entry
whose `request.method` is DELETE removes the resource (unless a version it names is
older than one present).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import msgspec

from service.errors import PayloadTooLarge, UnprocessablePayload
from service.fhir_json import LITERAL_REFERENCE, Json
from service.intake import candidates
from service.intake.candidates import CANDIDATE_TYPES, NEVER_ABOUT_THE_PATIENT, TREATMENT_TYPES
from service.intake.entries import entries_of
from service.intake.heads import Head, Resource, read_head, whole
from service.intake.record import BundleHead, Record
from service.terminology import Terminology

_ETAG: Final = re.compile(r'^(?:W/)?"([^"]+)"$')


class Node(msgspec.Struct, gc=False):
    """One resource of the request (not a nested Bundle, not a contained resource).
    A Struct: one is made per resource, in C."""

    #: Where the resource is: `path` is `<root>.entry[<entry>].resource`, made when asked
    #: (for a candidate, a Patient or an error: not for every resource).
    root: str
    entry: int
    order: int
    full_url: str | None
    head: Head
    #: The resource as its source holds it (bytes or a dict); `load` parses it once.
    resource: Resource
    #: The head's resourceType and id, read once (every later step asks for them).
    type: str
    ident: str | None
    #: Whether it is a Condition/Observation that can be evidence, and which of its
    #: contained resources can (their indexes in `contained`).
    candidate: bool = False
    contained_candidates: tuple[int, ...] = ()
    #: A treatment record to read whole (DESIGN.md, "The course of treatment").
    treatment: bool = False
    #: A counted medication record whose codes match no agent (the view says how many).
    unclassified: bool = False
    current: bool = True

    @property
    def path(self) -> str:
        return f"{self.root}.entry[{self.entry}].resource"

    @property
    def key(self) -> tuple[str, str] | None:
        return None if self.ident is None else (self.type, self.ident)


@dataclass(frozen=True, slots=True)
class _Version:
    """What orders two versions of one resource; a DELETE entry is one too."""

    version_id: str | None
    last_updated: str | None
    order: int
    deleted: bool = False


@dataclass(slots=True)
class Walked:
    """The resources of the request, its top-level entry count, and whether a searchset in
    it was only part of its results (a `next` link, or a `total` above its matches)."""

    nodes: list[Node]
    entry_count: int
    incomplete: bool = False
    #: `urn:` fullUrl -> type, for every resource (current or not): what a `urn:` reference
    #: resolves to (`identity.resolve`; a `Type/id` or a full URL names its type itself);
    #: and the Patient resources, in order (both made by the walk).
    index: dict[str, str] = field(default_factory=dict)
    patients: list[Node] = field(default_factory=list)


def walk(
    records: Sequence[Record],
    bundle: BundleHead,
    root: str,
    max_entries: int,
    terminology: Terminology,
) -> Walked:
    """All resources (nested Bundles flattened) with `current` set. 413 past `max_entries`
    top-level entries; 422s name the entry or resource at fault."""
    check_entry_count(len(records), max_entries, root)
    walked = Walked([], len(records))
    deletes: dict[tuple[str, str], list[_Version]] = {}
    _walk(records, bundle, root, walked, deletes, terminology)
    _mark_current(walked.nodes, deletes)
    return walked


def check_entry_count(count: int, max_entries: int, root: str) -> None:
    if count > max_entries:
        raise PayloadTooLarge(
            f"The Bundle has more than {max_entries} entries", expression=[f"{root}.entry"]
        )


def load(node: Node) -> Json:
    """The node's whole resource as a dict, parsed once."""
    resource = node.resource
    if type(resource) is dict:
        return resource
    loaded = whole(resource, node.path)
    node.resource = loaded
    return loaded


def incomplete_searchset(head: BundleHead, records: Sequence[Record]) -> bool:
    """A searchset that is a page: a `next` link, or a `total` larger than its matches."""
    if head.type != "searchset":
        return False
    links = head.link if isinstance(head.link, list) else []
    if any(isinstance(link, dict) and link.get("relation") == "next" for link in links):
        return True
    total = head.total
    # Any JSON number: an integer past 64 bits is an int to msgspec, a float to orjson, and
    # both readings must say the same (an invalid total is compared all the same).
    if type(total) is not int and type(total) is not float:
        return False
    matches = sum(record.search_mode not in ("include", "outcome") for record in records)
    return total > matches


#: Up to this many entries in one Bundle, the walk keeps each head's codes (`_drop_codes`).
_KEEP_CODES_UP_TO: Final = 1_000
#: The types whose codes the walk reads (the rest need only identity and version).
_CODED: Final = CANDIDATE_TYPES | TREATMENT_TYPES


def _walk(
    records: Sequence[Record],
    bundle: BundleHead,
    root: str,
    walked: Walked,
    deletes: dict[tuple[str, str], list[_Version]],
    terminology: Terminology,
) -> None:
    nodes = walked.nodes
    index = walked.index
    read_codes = candidates.read_codes
    walked.incomplete = walked.incomplete or incomplete_searchset(bundle, records)
    # A small request keeps its heads' codes: what dropping them saves is memory that
    # only a large one needs (bench [3]), and it is a step per resource.
    drop_codes = len(records) > _KEEP_CODES_UP_TO
    for i, record in enumerate(records):
        if record.search_mode == "outcome":
            continue
        kind = record.kind
        if kind == "absent":
            _record_delete(record, nodes, deletes)
            continue
        if kind != "object":
            raise UnprocessablePayload(
                "Bundle.entry.resource must be a resource",
                code="structure",
                expression=[f"{root}.entry[{i}].resource"],
            )
        resource = record.resource
        assert resource is not None
        head = record.head
        read_ahead = head is not None
        if head is None:
            head, resource = read_head(resource, root, i)
        resource_type = head.resourceType
        if type(resource_type) is not str:
            raise UnprocessablePayload(
                "A resource must have a resourceType",
                code="required",
                expression=[f"{root}.entry[{i}].resource.resourceType"],
            )
        if resource_type == "Bundle":
            path = f"{root}.entry[{i}].resource"
            inner, inner_head = entries_of(resource, path)
            _walk(inner, inner_head, path, walked, deletes, terminology)
            continue
        ident = head.id
        if type(ident) is not str or not ident:
            ident = None
        full_url = record.full_url
        node = Node(root, i, len(nodes), full_url, head, resource, resource_type, ident)
        if full_url and full_url.startswith("urn:"):
            index[full_url] = resource_type
        if resource_type == "Patient":
            walked.patients.append(node)
        if resource_type in _CODED:
            candidate, treatment = read_codes(head, terminology, resource_type)
            if candidate:
                node.candidate = True
            if treatment is not None:
                node.treatment = treatment == "record"
                node.unclassified = treatment == "unclassified"
        if head.contained and resource_type not in NEVER_ABOUT_THE_PATIENT:
            node.contained_candidates = tuple(
                k
                for k, inner in enumerate(head.contained)
                if inner.type in CANDIDATE_TYPES and candidates.is_candidate(inner, terminology)
            )
        if drop_codes and not read_ahead:  # a head read ahead may be read again
            _drop_codes(head)
        nodes.append(node)


def _drop_codes(head: Head) -> None:
    """Drop what only candidate selection reads, so that the heads of a large bundle cost
    little memory while the walk goes on (the codes of every Observation add up: bench [3])."""
    head.code = head.valueCodeableConcept = head.component = None
    head.conclusionCode = head.reasonCode = head.medicationCodeableConcept = None
    for inner in head.contained or ():
        inner.code = inner.valueCodeableConcept = inner.component = None
        inner.conclusionCode = inner.reasonCode = inner.medicationCodeableConcept = None


def _record_delete(
    record: Record, nodes: list[Node], deletes: dict[tuple[str, str], list[_Version]]
) -> None:
    request = record.request
    if not isinstance(request, dict) or request.get("method") != "DELETE":
        return
    url = request.get("url")
    match = LITERAL_REFERENCE.search(url.strip()) if isinstance(url, str) else None
    if match is None:
        return
    response = record.response
    response = response if isinstance(response, dict) else {}
    etag = response.get("etag")
    etag_match = _ETAG.match(etag.strip()) if isinstance(etag, str) else None
    last_modified = response.get("lastModified")
    deletes.setdefault((match[1], match[2]), []).append(
        _Version(
            etag_match[1] if etag_match else match[3],
            last_modified if isinstance(last_modified, str) else None,
            len(nodes),
            deleted=True,
        )
    )


def _mark_current(nodes: list[Node], deletes: dict[tuple[str, str], list[_Version]]) -> None:
    """Only resources that come more than once (or were deleted) need their versions read:
    the first pass only counts keys (most of a large request's resources are unique)."""
    first: dict[tuple[str, str], Node] = {}
    repeated: dict[tuple[str, str], list[Node]] = {}
    for node in nodes:
        ident = node.ident
        if ident is None:
            continue
        key = (node.type, ident)
        seen = first.setdefault(key, node)
        if seen is not node:
            repeated.setdefault(key, [seen]).append(node)
    for key in deletes.keys() - repeated.keys():
        if key in first:
            repeated[key] = [first[key]]
    for key, group in repeated.items():
        removed = deletes.get(key, [])
        versions = [_version_of(node) for node in group] + removed
        latest = _latest(versions)
        for node, version in zip(group, versions, strict=False):
            node.current = version is latest and not latest.deleted


def _version_of(node: Node) -> _Version:
    meta = node.head.meta if isinstance(node.head.meta, dict) else {}
    version_id, last_updated = meta.get("versionId"), meta.get("lastUpdated")
    return _Version(
        version_id if isinstance(version_id, str) and version_id else None,
        last_updated if isinstance(last_updated, str) and last_updated else None,
        node.order,
    )


def _latest(versions: list[_Version]) -> _Version:
    """The latest by the first rule every version can answer; a DELETE without any
    version information wins (it removes the resource whatever was read)."""
    blind_deletes = [v for v in versions if v.deleted and not v.version_id and not v.last_updated]
    if blind_deletes:
        return blind_deletes[0]
    rules: list[Callable[[_Version], object]] = [
        lambda v: _version_number(v.version_id),
        lambda v: _instant(v.last_updated),
    ]
    for rule in rules:
        keys = [rule(v) for v in versions]
        if all(k is not None for k in keys):
            best = max(range(len(versions)), key=lambda n: (keys[n], versions[n].order))
            return versions[best]
    return max(versions, key=lambda v: v.order)


def _version_number(version_id: str | None) -> tuple[int, int | str] | None:
    """Numeric versions compare as numbers, others as text (numbers first)."""
    if version_id is None:
        return None
    return (1, int(version_id)) if version_id.isdigit() else (0, version_id)


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
