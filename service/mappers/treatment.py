"""Treatment records -> `Treatment` facts (DESIGN.md, "The course of treatment").

Which agent a record gives comes from its codes through the agent ValueSets and the
product-to-ingredient ConceptMap (`terminology.treatment`): a medication record's
`medicationCodeableConcept`, or its Medication's `code` and ingredients; a procedure's,
order's or CSF test's `code`. When it was given: a MedicationRequest's
`dosageInstruction.timing.repeat.boundsPeriod`, else `dispenseRequest.validityPeriod`,
else `authoredOn` (a start only); MedicationAdministration and MedicationStatement
`effective[x]`; Procedure `performed[x]`; ServiceRequest `occurrence[x]`, else
`authoredOn`; an Observation's effective time. A tumour resection counts only with the
neuroblastoma as its reason.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any, Final

from service.domain.course import RecordState, Treatment
from service.intake import KeptResource
from service.terminology import CANONICAL_BASE, Terminology

#: The agent ValueSet that counts only with the tumour (a criterion with the CodeSystem
#: property `tumour`: the neuroblastoma) as the procedure's reason.
TUMOUR_RESECTION: Final = f"{CANONICAL_BASE}/ValueSet/oms-tumour-resection"

_STATES: Final[dict[str, dict[str, RecordState]]] = {
    "MedicationRequest": {
        "active": RecordState.ACTIVE,
        "on-hold": RecordState.ON_HOLD,
        "completed": RecordState.GIVEN,
        "stopped": RecordState.GIVEN,
    },
    "MedicationAdministration": {
        "in-progress": RecordState.ACTIVE,
        "on-hold": RecordState.ON_HOLD,
        "completed": RecordState.GIVEN,
        "stopped": RecordState.GIVEN,
    },
    "MedicationStatement": {
        "active": RecordState.ACTIVE,
        "on-hold": RecordState.ON_HOLD,
        "completed": RecordState.GIVEN,
        "stopped": RecordState.GIVEN,
    },
    "Procedure": {"in-progress": RecordState.ACTIVE, "completed": RecordState.GIVEN},
    "ServiceRequest": {"active": RecordState.ORDERED},
    "Observation": {
        "final": RecordState.GIVEN,
        "amended": RecordState.GIVEN,
        "corrected": RecordState.GIVEN,
        "preliminary": RecordState.GIVEN,
    },
}


def treatment_of(
    kept: KeptResource, terminology: Terminology, tumour_evidence: Collection[str]
) -> Treatment | None:
    """The Treatment a record is, or None when it gives no tracked agent (or its status
    says nothing was given). `tumour_evidence`: references of the resources that record
    the neuroblastoma, which a resection's `reasonReference` may name."""
    record = kept.resource
    resource_type = str(record.get("resourceType"))
    state = _STATES.get(resource_type, {}).get(str(record.get("status")))
    if state is None:
        return None
    codings = list(_codings(record, kept.medication))
    pairs = [terminology.normalise(system, code) for system, code, _ in codings]
    classes = set(terminology.treatment.classify(pairs))
    if TUMOUR_RESECTION in classes and not _for_the_tumour(record, terminology, tumour_evidence):
        classes.discard(TUMOUR_RESECTION)
    if not classes:
        return None
    start, end = _when(record, state)
    return Treatment(
        frozenset(classes), name_of(codings, terminology), state, kept.reference, start, end
    )


def name_of(codings: list[tuple[str, str, str | None]], terminology: Terminology) -> str:
    """What a clinician reads: the ingredient a product maps to, else the agent's name in
    the ValueSet, else the coding's display, else the code."""
    treatment = terminology.treatment
    for system, code, _ in codings:
        ingredient = treatment.ingredient_of(system, code)
        if ingredient is not None and (words := treatment.display(*ingredient)):
            return words
    for system, code, _ in codings:
        if treatment.classify([terminology.normalise(system, code)]):
            words = treatment.display(system, code)
            if words:
                return words
    for _, code, display in codings:
        return display or code
    return "treatment"


def _codings(
    record: dict[str, Any], medication: dict[str, Any] | None
) -> Iterator[tuple[str, str, str | None]]:
    concepts: list[Any]
    if medication is not None:
        concepts = [medication.get("code")] + [
            i.get("itemCodeableConcept")
            for i in medication.get("ingredient") or []
            if isinstance(i, dict)
        ]
    elif "medicationCodeableConcept" in record:
        concepts = [record.get("medicationCodeableConcept")]
    else:
        concepts = [record.get("code")]
    for concept in concepts:
        codings = concept.get("coding") if isinstance(concept, dict) else None
        for coding in codings if isinstance(codings, list) else []:
            if not isinstance(coding, dict):
                continue
            system, code, display = coding.get("system"), coding.get("code"), coding.get("display")
            if isinstance(system, str) and isinstance(code, str):
                yield system, code, display if isinstance(display, str) else None


def _for_the_tumour(
    procedure: dict[str, Any], terminology: Terminology, tumour_evidence: Collection[str]
) -> bool:
    reasons = procedure.get("reasonCode")
    if isinstance(reasons, list) and any(
        not terminology.tumour_criteria.isdisjoint(terminology.criteria_in(reason))
        for reason in reasons
    ):
        return True
    references = procedure.get("reasonReference")
    return isinstance(references, list) and any(
        isinstance(r, dict) and str(r.get("reference", "")).strip() in tumour_evidence
        for r in references
    )


def _when(record: dict[str, Any], state: RecordState) -> tuple[str | None, str | None]:
    """The record's start and end (FHIR dates); a single date given and done is both."""
    resource_type = record.get("resourceType")
    if resource_type == "MedicationRequest":
        for dosage in record.get("dosageInstruction") or []:
            bounds = _get(dosage, "timing", "repeat", "boundsPeriod")
            if isinstance(bounds, dict) and (bounds.get("start") or bounds.get("end")):
                return _period(bounds)
        validity = _get(record, "dispenseRequest", "validityPeriod")
        if isinstance(validity, dict) and (validity.get("start") or validity.get("end")):
            return _period(validity)
        return _text(record.get("authoredOn")), None
    prefix = {
        "MedicationAdministration": "effective",
        "MedicationStatement": "effective",
        "Procedure": "performed",
        "ServiceRequest": "occurrence",
        "Observation": "effective",
    }.get(str(resource_type), "effective")
    period = record.get(f"{prefix}Period")
    if isinstance(period, dict):
        return _period(period)
    day = _text(record.get(f"{prefix}DateTime")) or _text(record.get("effectiveInstant"))
    if day is None and resource_type in ("ServiceRequest", "Observation"):
        day = _text(record.get("authoredOn") or record.get("issued"))
    if day is None:
        return None, None
    return day, None if state in (RecordState.ACTIVE, RecordState.ORDERED) else day


def _period(period: dict[str, Any]) -> tuple[str | None, str | None]:
    return _text(period.get("start")), _text(period.get("end"))


def _get(element: Any, *path: str) -> Any:
    for name in path:
        element = element.get(name) if isinstance(element, dict) else None
    return element


def _text(value: object) -> str | None:
    return value.strip()[:10] if isinstance(value, str) and value.strip() else None
