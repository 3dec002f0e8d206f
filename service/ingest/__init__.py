"""Request bytes -> the few resources that matter, checked, about exactly one patient.

The whole Bundle is never validated (a Synthea patient takes ~0.4 s that way): entries
are walked as plain dicts, and only the Patient resources and the Conditions and
Observations whose codes hit a criterion ValueSet are validated with the
`fhir.resources.R4B` models. Those are the only resources the answer depends on, so
they are the only ones whose faults become a 422. Kept resources are the caller's own
dicts, not copies: treat them as read-only.

Decisions an integrator may want to know:

* Patient identity. `Patient/<id>` whenever an id is known (from the Patient
  resource, its fullUrl, or a relative or absolute `.../Patient/<id>` reference, with
  any `_history` dropped), so the answer can be written back to the server the data
  came from; otherwise the `urn:uuid:`/`urn:oid:` fullUrl or reference. Every
  `subject` and `patient` reference of every resource is checked (`identity`).
* A kept Observation without `subject` is taken to be about the bundle's patient
  (FHIR allows it; the bundle is about one patient by contract), and a contained one
  about its container's subject. A Condition always has one: R4 makes
  `Condition.subject` 1..1, so its absence fails validation (except when contained).
* A Patient resource with neither id nor fullUrl cannot be referenced and does not
  identify the patient by itself.
* Versions and nesting (`walk`): Bundles nested in entries are read like the outer
  one; only the latest version of a resource counts.
* Whitespace around `Coding.code`/`Coding.system` breaks the FHIR primitive
  pattern, but DESIGN.md says to ignore it, so those pattern errors are forgiven.

Layout: `skeleton` (the msgspec path and its fall-back guards), `parsed` (the
whole-body orjson path), `gathered` (resources gathered one by one, bytes or dicts),
`heads` (what both read of each resource), `walk` (entries,
nested Bundles, versions), `identity` (the one patient, every patient reference),
`select` (candidates), `validate` (models and required bindings), `result`.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.fhir_json import Json
from service.ingest.gathered import Gathered, GatheredEntry, read_head
from service.ingest.gathered import ingest_gathered as _ingest_gathered
from service.ingest.heads import Head
from service.ingest.parsed import ingest_dict, ingest_parsed
from service.ingest.result import DEFAULT_MAX_ENTRIES, IngestResult, KeptResource, is_input_path
from service.ingest.skeleton import (
    RawEntry,
    SkeletonUnsure,
    decode_skeleton,
    ingest_skeleton,
    skeleton_safe,
)
from service.ingest.validate import (
    CONDITION_VER_STATUS,
    CONDITION_VER_STATUSES,
    OBSERVATION_STATUSES,
    verification_status,
)
from service.json_reader import UTF8_BOM
from service.terminology import Terminology

__all__ = [
    "CONDITION_VER_STATUS",
    "CONDITION_VER_STATUSES",
    "DEFAULT_MAX_ENTRIES",
    "OBSERVATION_STATUSES",
    "UTF8_BOM",
    "Gathered",
    "GatheredEntry",
    "Head",
    "IngestResult",
    "Json",
    "KeptResource",
    "RawEntry",
    "ingest",
    "ingest_document",
    "ingest_gathered",
    "is_input_path",
    "read_head",
    "skeleton_safe",
    "verification_status",
]


def ingest(
    body: bytes, terminology: Terminology, *, max_entries: int = DEFAULT_MAX_ENTRIES
) -> IngestResult:
    """Parse a Bundle (any type) or a Parameters with a `bundle` part and keep what counts.

    Raises UnreadableInput (400) for bytes that are not JSON, UnprocessablePayload (422)
    for JSON that is not such a payload, for an invalid kept resource, for evidence
    about two patients and for a bundle from which no patient can be identified.
    Messages name elements and rules only, never input values.
    """
    return _ingest(body, terminology, max_entries)


def ingest_document(
    document: object, terminology: Terminology, *, max_entries: int = DEFAULT_MAX_ENTRIES
) -> IngestResult:
    """`ingest` for a payload already parsed into JSON objects (the CDS Hooks and FHIR-server
    paths gather dicts): no serialising back to bytes, the same rules and errors."""
    return ingest_dict(document, terminology, max_entries)


def ingest_gathered(
    entries: Sequence[Gathered],
    terminology: Terminology,
    *,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> IngestResult:
    """`ingest` of a collection Bundle of these entries, without building it (the CDS
    Hooks path: resources still in the request's bytes, or dicts read from a server)."""
    return _ingest_gathered(entries, terminology, max_entries)


def _ingest(body: bytes, terminology: Terminology, max_entries: int) -> IngestResult:
    skeleton = decode_skeleton(body)
    if skeleton is not None:
        try:
            return ingest_skeleton(skeleton, terminology, max_entries)
        except SkeletonUnsure:
            pass
    return ingest_parsed(body, terminology, max_entries)
