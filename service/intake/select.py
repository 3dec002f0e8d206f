"""From the walked resources to what the mappers need: the patient and the candidates.

Candidates are the current resources, top-level or contained, that can be evidence
(`candidates`). Only they and the Patients are validated with the R4B models: they are
the only resources the answer depends on. A candidate, a contained one or its container
carrying a modifier extension the service does not know is refused (FHIR forbids
ignoring a modifier: one may say "negated"); so is a Patient that a `replaced-by` link
marks as obsolete. An Observation whose `focus` is anyone or anything but the patient
(a sibling, a fetus, a specimen) is about that focus and is not kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from service.errors import UnprocessablePayload
from service.fhir_json import Json
from service.intake.candidates import REQUEST_TYPES
from service.intake.identity import (
    OnePatient,
    base_of,
    check_reference,
    check_references,
    contained_by_id,
    one_patient,
    require_patient,
    resolve,
)
from service.intake.result import IngestResult, KeptResource
from service.intake.validate import check_bindings, validate
from service.intake.walk import Node, Walked, load
from service.terminology import Terminology


@dataclass(frozen=True, slots=True)
class _Candidate:
    node: Node
    resource: Json
    path: str
    suspicion: bool


def select(walked: Walked, root: str, terminology: Terminology) -> IngestResult:
    """Validate the Patients and candidates (in document order), find the one patient,
    check every patient reference, then each candidate's subject and focus."""
    candidates: list[_Candidate] = []
    treated: list[Node] = []
    medications: dict[str, Node] = {}
    unclassified = 0
    faults = _Faults()
    for node in walked.nodes:  # the one pass over every resource
        if not node.current:
            continue
        if node.treatment:
            treated.append(node)
        elif node.unclassified:
            unclassified += 1
        elif node.type == "Medication":
            _add_medication(node, medications)
        if node.type == "Patient":
            with faults:
                record = load(node)
                validate(record, node.path)
                _refuse_obsolete(record, node.path)
        elif node.candidate:
            resource = load(node)
            with faults:
                _validate_candidate(resource, node.path, terminology, contained=False)
                candidates.append(_Candidate(node, resource, node.path, node.type in REQUEST_TYPES))
        if node.contained_candidates:
            container = load(node)
            if not node.candidate:
                with faults:
                    _refuse_unknown_modifiers(container, node.path, terminology)
            for k in node.contained_candidates:
                resource = container["contained"][k]
                path = f"{node.path}.contained[{k}]"
                with faults:
                    _validate_candidate(resource, path, terminology, contained=True)
                    suspicion = REQUEST_TYPES.isdisjoint((node.type, resource["resourceType"]))
                    candidates.append(_Candidate(node, resource, path, not suspicion))
    treatments: list[_Candidate] = []
    for node in treated:
        resource = load(node)
        with faults:
            _refuse_unknown_modifiers(resource, node.path, terminology)
            treatments.append(_Candidate(node, resource, node.path, False))
    faults.raise_any()

    index = walked.index
    patient = one_patient(walked.nodes, walked.patients, index, terminology)
    check_references(walked.nodes, patient, index, terminology)
    kept = [
        KeptResource(c.resource, _reference(c.node), c.node.order, c.path, c.suspicion)
        for c in candidates
        if _about_the_patient(c, patient, index)
    ]
    records: list[KeptResource] = []
    for c in treatments:
        if not _about_the_patient(c, patient, index):
            continue
        named, medication = _medication_of(c, medications, index)
        if named and not (medication and _classified(medication, terminology)):
            unclassified += 1
            continue
        records.append(
            KeptResource(
                c.resource, _reference(c.node), c.node.order, c.path, medication=medication
            )
        )
    key = require_patient(patient, root)
    birth, deceased = _birth_and_death(patient)
    return IngestResult(
        key,
        birth,
        tuple(kept),
        walked.entry_count,
        deceased=deceased,
        incomplete=walked.incomplete,
        treatments=tuple(records),
        unclassified_medications=unclassified,
    )


def _add_medication(node: Node, medications: dict[str, Node]) -> None:
    """A current Medication resource, by fullUrl and `Medication/<id>`."""
    if node.full_url:
        medications[node.full_url] = node
    if node.ident is not None:
        medications[f"Medication/{node.ident}"] = node


def _medication_of(
    candidate: _Candidate, medications: dict[str, Node], index: dict[str, str]
) -> tuple[bool, Json | None]:
    """Whether the record names a Medication by reference, and that Medication (contained,
    or another entry's; None when it cannot be found: the record cannot be classified)."""
    reference = candidate.resource.get("medicationReference")
    if reference is None:
        return False, None
    text = reference.get("reference") if isinstance(reference, dict) else None
    if not isinstance(text, str):
        return True, None
    text = text.strip()
    if text.startswith("#"):
        for inner in candidate.resource.get("contained") or []:
            if isinstance(inner, dict) and inner.get("id") == text[1:]:
                return True, inner if inner.get("resourceType") == "Medication" else None
        return True, None
    target = resolve(text, base_of(candidate.node.full_url), index)
    node = None
    if target is not None:
        node = medications.get(target.absolute or "") or medications.get(target.local or "")
    return True, None if node is None else load(node)


def _classified(medication: Json, terminology: Terminology) -> bool:
    """Whether a Medication's code or an ingredient's code falls in an agent class."""
    concepts = [medication.get("code")] + [
        i.get("itemCodeableConcept")
        for i in medication.get("ingredient") or []
        if isinstance(i, dict)
    ]
    pairs = [pair for concept in concepts for pair in terminology.pairs(concept)]
    return bool(terminology.treatment.classify(pairs))


def _about_the_patient(candidate: _Candidate, patient: OnePatient, index: dict[str, str]) -> bool:
    """Check the candidate's subject (it must be the patient); False when its focus is
    someone or something else (a finding about a sibling counts for the sibling)."""
    node, resource, path = candidate.node, candidate.resource, candidate.path
    contained = contained_by_id(node.head)
    base = base_of(node.full_url)
    subject = resource.get("subject")
    if subject is not None:
        check_reference(
            subject, f"{path}.subject", patient, index, contained, base, must_be_patient=True
        )
    focus = resource.get("focus") if resource.get("resourceType") == "Observation" else None
    for k, reference in enumerate(focus if isinstance(focus, list) else []):
        if check_reference(reference, f"{path}.focus[{k}]", patient, index, contained, base) != (
            "Patient"
        ):
            return False
    return True


def _birth_and_death(patient: OnePatient) -> tuple[str | None, str | bool | None]:
    """The Patient's birthDate and `deceased[x]` (a dateTime's text, or True)."""
    if patient.node is None:
        return None, None
    resource = load(patient.node)
    birth = resource.get("birthDate")
    deceased = resource.get("deceasedDateTime")
    if not isinstance(deceased, str):
        deceased = True if resource.get("deceasedBoolean") is True else None
    return (birth if isinstance(birth, str) else None), deceased


def _refuse_obsolete(patient: Json, path: str) -> None:
    """A Patient replaced by another record is obsolete: assess the surviving record."""
    links = patient.get("link")
    for k, link in enumerate(links if isinstance(links, list) else []):
        if isinstance(link, dict) and link.get("type") == "replaced-by":
            raise UnprocessablePayload(
                "The Patient is an obsolete record (replaced by another): assess the "
                "surviving record",
                code="business-rule",
                expression=[f"{path}.link[{k}]"],
            )


def _refuse_unknown_modifiers(resource: Json, path: str, terminology: Terminology) -> None:
    """422 naming the first modifierExtension (on the resource or any of its elements,
    not in contained resources) whose URL the service does not know."""
    for where, extension in _modifier_extensions(resource, path):
        url = extension.get("url") if isinstance(extension, dict) else None
        if url not in terminology.known_modifiers:
            raise UnprocessablePayload(
                "A modifier extension the service does not know changes the meaning of "
                "this resource (it may say negated or ruled out): it cannot be assessed",
                code="not-supported",
                expression=[where],
            )


def _modifier_extensions(element: object, path: str) -> Iterator[tuple[str, object]]:
    if isinstance(element, list):
        for k, item in enumerate(element):
            yield from _modifier_extensions(item, f"{path}[{k}]")
        return
    if not isinstance(element, dict):
        return
    for key, value in element.items():
        if key == "modifierExtension" and isinstance(value, list):
            for k, extension in enumerate(value):
                yield f"{path}.modifierExtension[{k}]", extension
        elif key != "contained" and isinstance(value, dict | list):
            yield from _modifier_extensions(value, f"{path}.{key}")


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


def _validate_candidate(
    resource: Json, path: str, terminology: Terminology, *, contained: bool
) -> None:
    validate(resource, path, contained=contained)
    check_bindings(resource, path)
    _refuse_unknown_modifiers(resource, path, terminology)


def _reference(node: Node) -> str:
    """`Type/id`, else the fullUrl, else the FHIRPath (a display-only reference)."""
    if node.ident is not None:
        return f"{node.type}/{node.ident}"
    return node.full_url or node.path
