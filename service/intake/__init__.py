"""Every source read the same way: request bytes, a hook's prefetch or a FHIR server's pages
-> the few resources that matter, checked, about exactly one patient.

Each source yields the same `Record`s (`body` for a posted Bundle or Parameters,
`prefetch` for a hook's prefetch and a server's search pages, `server_records` for the
resources `Patient/{id}/$oms-assess` reads); one walker (`walk`) applies versions,
nesting and containment; one decoder (`heads.read_head`) reads what the rules need of
each resource, with one fallback (bytes msgspec cannot type are parsed with orjson);
`identity` finds the one patient and checks every patient reference; `select` validates
the Patients and the candidates. The whole Bundle is never validated (a Synthea patient
takes ~0.4 s that way): only the Patient resources and the resources whose codes hit a
criterion or agent ValueSet are validated with the `fhir.resources.R4B` models, since
the answer depends on them only. Kept resources are the source's own dicts, not
copies: treat them as read-only.

Decisions an integrator may want to know:

* Patient identity. `Patient/<id>` whenever an id is known (from the Patient
  resource, its fullUrl, or a relative or absolute `.../Patient/<id>` reference, with
  any `_history` dropped), so the answer can be written back to the server the data
  came from; otherwise the `urn:uuid:`/`urn:oid:` fullUrl or reference.
* A kept Observation without `subject` is taken to be about the bundle's patient
  (FHIR allows it; the bundle is about one patient by contract), and a contained one
  about its container's subject. A Condition always has one: R4 makes
  `Condition.subject` 1..1, so its absence fails validation (except when contained).
* Versions and nesting (`walk`): Bundles nested in entries are read like the outer
  one; only the latest version of a resource counts.
* Whitespace around `Coding.code`/`Coding.system` breaks the FHIR primitive
  pattern, but DESIGN.md says to ignore it, so those pattern errors are forgiven.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from service.intake.body import top_records
from service.intake.guards import skeleton_safe
from service.intake.heads import Head, Resource
from service.intake.record import COLLECTION, BundleHead, Record
from service.intake.result import DEFAULT_MAX_ENTRIES, IngestResult, KeptResource, is_input_path
from service.intake.select import select as _select
from service.intake.validate import (
    CONDITION_VER_STATUS,
    CONDITION_VER_STATUSES,
    OBSERVATION_STATUSES,
    verification_status,
)
from service.intake.walk import walk as _walk
from service.json_reader import UTF8_BOM
from service.terminology import Terminology

__all__ = [
    "CONDITION_VER_STATUS",
    "CONDITION_VER_STATUSES",
    "DEFAULT_MAX_ENTRIES",
    "OBSERVATION_STATUSES",
    "UTF8_BOM",
    "Head",
    "IngestResult",
    "KeptResource",
    "Record",
    "Resource",
    "is_input_path",
    "read_body",
    "read_records",
    "server_records",
    "skeleton_safe",
    "verification_status",
]


def read_body(
    body: bytes, terminology: Terminology, *, max_entries: int = DEFAULT_MAX_ENTRIES
) -> IngestResult:
    """A posted Bundle (any type), or a Parameters with a `bundle` part: what counts.

    Raises UnreadableInput (400) for bytes that are not JSON, UnprocessablePayload (422)
    for JSON that is not such a payload, for an invalid kept resource, for evidence
    about two patients and for a bundle from which no patient can be identified.
    Messages name elements and rules only, never input values.
    """
    records, bundle, root = top_records(body)
    return read(records, bundle, root, terminology, max_entries)


def read_records(
    records: Sequence[Record],
    terminology: Terminology,
    *,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> IngestResult:
    """Gathered records (a hook's prefetch and fallback reads, a server's pages), read as
    the entries of one collection Bundle (`Bundle.entry[i].resource` in errors: map them
    back with each record's `source`)."""
    return read(records, COLLECTION, "Bundle", terminology, max_entries)


def read(
    records: Sequence[Record],
    bundle: BundleHead,
    root: str,
    terminology: Terminology,
    max_entries: int,
) -> IngestResult:
    """The one path every source takes: walk, then select."""
    return _select(_walk(records, bundle, root, max_entries, terminology), root, terminology)


def server_records(base_url: str, found: Sequence[Record]) -> list[Record]:
    """Records read from a FHIR server, each once (a resource two searches found is one
    record), with their server URLs as fullUrls."""
    records: dict[str, Record] = {}
    for record in found:
        url = f"{base_url}{record.resource_type}/{record.ident}"
        if url not in records:
            records[url] = msgspec.structs.replace(record, full_url=url)
    return list(records.values())
