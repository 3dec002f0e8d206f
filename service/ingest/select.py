"""From the walked resources to what the mappers need: the patient and the candidates.

Candidates are the current Conditions and Observations, top-level or contained in any
resource, whose code (or an Observation's value, or a component's code or value) is in
a criterion ValueSet or records the diagnosis. Only they and the Patients are validated
with the R4B models: they are the only resources the answer depends on.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.errors import UnprocessablePayload
from service.fhir_json import Json
from service.ingest.heads import Head, Source
from service.ingest.identity import (
    check_reference,
    check_references,
    contained_by_id,
    one_patient,
    reference_index,
    require_patient,
)
from service.ingest.result import IngestResult, KeptResource
from service.ingest.validate import check_bindings, validate
from service.ingest.walk import Node, load
from service.terminology import Terminology

_EVIDENCE_TYPES = ("Condition", "Observation")


def select(
    nodes: Sequence[Node], root: str, entry_count: int, source: Source, terminology: Terminology
) -> IngestResult:
    """Validate the Patients and candidates (in document order), find the one patient,
    check every patient reference, then each candidate's subject."""
    candidates: list[tuple[Node, Json, str]] = []
    faults = _Faults()
    for node in nodes:
        if not node.current:
            continue
        if node.type == "Patient":
            with faults:
                validate(load(node, source), node.path)
        elif node.type in _EVIDENCE_TYPES and is_candidate(node.head, terminology):
            resource = load(node, source)
            with faults:
                _validate_candidate(resource, node.path, contained=False)
                candidates.append((node, resource, node.path))
        for k, inner in enumerate(node.head.contained or []):
            if inner.type in _EVIDENCE_TYPES and is_candidate(inner, terminology):
                resource = load(node, source)["contained"][k]
                path = f"{node.path}.contained[{k}]"
                with faults:
                    _validate_candidate(resource, path, contained=True)
                    candidates.append((node, resource, path))
    faults.raise_any()

    index = reference_index(nodes)
    patient = one_patient(nodes, index)
    check_references(nodes, patient, index)
    conditions: list[KeptResource] = []
    observations: list[KeptResource] = []
    for node, resource, path in candidates:
        subject = resource.get("subject")
        if subject is not None:
            check_reference(
                subject,
                f"{path}.subject",
                patient,
                index,
                contained_by_id(node.head),
                must_be_patient=True,
            )
        kept = KeptResource(resource, _reference(node), node.order, path)
        (conditions if resource["resourceType"] == "Condition" else observations).append(kept)
    key = require_patient(patient, root)
    return IngestResult(
        key, patient.birth_date, tuple(conditions), tuple(observations), entry_count
    )


class _Faults:
    """Collects the validation faults of every resource read, so that one answer reports
    them all (as HAPI does); at most MAX_ISSUES are kept."""

    MAX_ISSUES = 100

    def __init__(self) -> None:
        self.first: UnprocessablePayload | None = None

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> bool:
        if not isinstance(error, UnprocessablePayload):
            return False
        if self.first is None:
            self.first = error
        elif len(self.first.more) < self.MAX_ISSUES:
            self.first.more.extend(error.issues()[: self.MAX_ISSUES - len(self.first.more)])
        return True

    def raise_any(self) -> None:
        if self.first is not None:
            raise self.first


def is_candidate(head: Head, terminology: Terminology) -> bool:
    """Whether a Condition or Observation can be evidence or record the diagnosis."""
    if _relevant(head.code, terminology):
        return True
    if head.type != "Observation":
        return False
    if _relevant(head.valueCodeableConcept, terminology):
        return True
    components = head.component if isinstance(head.component, list) else []
    return any(
        isinstance(c, dict)
        and (
            _relevant(c.get("code"), terminology)
            or _relevant(c.get("valueCodeableConcept"), terminology)
        )
        for c in components
    )


def _relevant(concept: object, terminology: Terminology) -> bool:
    """Stops at the first relevant coding: it runs for every Condition and Observation."""
    if not isinstance(concept, dict):
        return False
    codings = concept.get("coding")
    if not isinstance(codings, list):
        return False
    for coding in codings:
        if isinstance(coding, dict):
            system, code = coding.get("system"), coding.get("code")
            if (
                isinstance(system, str)
                and isinstance(code, str)
                and terminology.relevant(system, code)
            ):
                return True
    return False


def _validate_candidate(resource: Json, path: str, *, contained: bool) -> None:
    validate(resource, path, contained=contained)
    check_bindings(resource, path)


def _reference(node: Node) -> str:
    """`Type/id`, else the fullUrl, else the FHIRPath (a display-only reference)."""
    if node.ident is not None:
        return f"{node.type}/{node.ident}"
    return node.full_url or node.path
