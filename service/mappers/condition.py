"""Condition -> Evidence or a recorded diagnosis (DESIGN.md, "Evidence that counts")."""

from __future__ import annotations

from typing import Any, Final

from service.domain.course import OmsCondition
from service.domain.evidence import Diagnosis, Evidence
from service.fhir_json import LITERAL_REFERENCE
from service.intake import KeptResource, verification_status
from service.mappers.reading import Reading
from service.mappers.timing import PatientClock, condition_timing, unknown_clock
from service.terminology import Terminology

#: verificationStatus codes that count as present but make the assessment preliminary.
PRELIMINARY_STATUSES: Final = frozenset({"unconfirmed", "provisional", "differential"})
#: Who may assert a Condition that, without a verificationStatus, is only reported.
_REPORTERS: Final = frozenset({"Patient", "RelatedPerson"})


def read_condition(kept: KeptResource, terminology: Terminology, clock: PatientClock) -> Reading:
    """Evidence for every criterion whose ValueSet holds a coding of `Condition.code`, and
    the OMS diagnosis it records; its verificationStatus and dates read once.

    Any clinicalStatus counts (a resected neuroblastoma is still a neuroblastoma).
    verificationStatus: refuted -> absent; entered-in-error -> nothing; unconfirmed,
    provisional, differential -> present but preliminary; confirmed or missing ->
    present (but preliminary when only reported: see `_unconfirmed`). Codes that count
    only at some ages (site codes of a malignant neoplasm) are judged by the age at onset.
    An OMS code is a diagnosis unless refuted or entered in error, `preliminary` (a
    suspicion) when unconfirmed.
    """
    condition = kept.resource
    status = verification_status(condition, kept.path)
    timing = condition_timing(condition, clock)
    if status == "entered-in-error":
        return Reading(skipped=timing.skipped)
    unconfirmed = _unconfirmed(kept, status, terminology)
    code = condition.get("code")
    evidence = tuple(
        Evidence(
            criterion, status != "refuted", unconfirmed, kept.reference, timing.recorded, timing.age
        )
        for criterion in terminology.criteria_in(code, timing.age)
    )
    if status == "refuted" or not terminology.records_diagnosis(code):
        return Reading(evidence, skipped=timing.skipped)
    # When the diagnosis was recorded: its recordedDate (a relapse moves the onset), else
    # when it began.
    recorded = _date(condition.get("recordedDate"))
    if not recorded or recorded[:10] > clock.now.isoformat():
        recorded = timing.recorded
    diagnosis = Diagnosis(kept.reference, unconfirmed, recorded and recorded[:10], timing.age)
    return Reading(
        evidence, diagnosis, skipped=timing.skipped, oms_condition=oms_condition(condition)
    )


def condition_evidence(
    kept: KeptResource, terminology: Terminology, clock: PatientClock | None = None
) -> list[Evidence]:
    """`read_condition`'s evidence (a patient of unknown age assessed today by default)."""
    return list(read_condition(kept, terminology, clock or unknown_clock()).evidence)


def oms_condition(condition: dict[str, Any]) -> OmsCondition:
    """An OMS Condition's clinicalStatus and the dates that place a relapse or remission."""
    return OmsCondition(
        _clinical_status(condition.get("clinicalStatus")),
        _date(condition.get("onsetDateTime")) or _date(_part(condition, "onsetPeriod", "start")),
        _date(condition.get("recordedDate")),
        _date(condition.get("abatementDateTime"))
        or _date(_part(condition, "abatementPeriod", "end"))
        or _date(_part(condition, "abatementPeriod", "start")),
    )


def _clinical_status(concept: Any) -> str | None:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    for coding in codings if isinstance(codings, list) else []:
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            return str(coding["code"]).strip()
    return None


def _part(resource: dict[str, Any], element: str, part: str) -> object:
    value = resource.get(element)
    return value.get(part) if isinstance(value, dict) else None


def _date(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _unconfirmed(kept: KeptResource, status: str | None, terminology: Terminology) -> bool:
    """Unconfirmed, provisional or differential; a request's reason; or, without a
    verificationStatus, a health concern or a Condition the patient or a relative
    asserted (a parent's report is not a clinician's finding)."""
    if kept.suspicion or status in PRELIMINARY_STATUSES:
        return True
    if status is not None:
        return False
    condition = kept.resource
    categories = condition.get("category")
    if isinstance(categories, list) and any(
        terminology.is_reported_category(c) for c in categories
    ):
        return True
    return _asserter_type(condition.get("asserter")) in _REPORTERS


def _asserter_type(asserter: Any) -> str | None:
    if not isinstance(asserter, dict):
        return None
    declared, literal = asserter.get("type"), asserter.get("reference")
    if isinstance(declared, str):
        return declared
    match = LITERAL_REFERENCE.search(literal.strip()) if isinstance(literal, str) else None
    return match[1] if match else None
