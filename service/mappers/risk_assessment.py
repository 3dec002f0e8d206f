"""Assessment -> RiskAssessment JSON on profile oms-risk-assessment.

Every code written here is read from `profiles/`: the method and the outcome from the
profile's patterns, the criterion and risk displays from their CodeSystem and ValueSet.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from datetime import date
from functools import cache
from html import escape

from service.domain.criteria import Assessment, CriterionResult, CriterionStatus, RiskLevel
from service.domain.dates import describe_age_between
from service.fhir_json import Json
from service.mappers.references import reference_to
from service.mappers.timing import PatientClock
from service.mappers.track import Track
from service.terminology import CANONICAL_BASE, Terminology

PROFILE = f"{CANONICAL_BASE}/StructureDefinition/oms-risk-assessment"
CRITERION_RESULT = f"{CANONICAL_BASE}/StructureDefinition/oms-criterion-result"
CRITERIA_SYSTEM = f"{CANONICAL_BASE}/CodeSystem/oms-criteria"
RISK_LEVEL_VALUE_SET = f"{CANONICAL_BASE}/ValueSet/oms-risk-level"
OUTCOME_TEXT = "Opsoclonus myoclonus syndrome"

_CONCLUSION = {
    RiskLevel.CERTAIN: "The diagnosis is recorded: the therapy checklist is proposed.",
    RiskLevel.HIGH: "Meets the OMS diagnostic criteria.",
    RiskLevel.MODERATE: "OMS cannot be ruled out: work-up needed.",
    RiskLevel.LOW: "Does not meet the OMS diagnostic criteria on the data available.",
}


@dataclass(frozen=True, slots=True)
class Circumstances:
    """What the rationale says besides the criteria: the patient's age (the clock), the
    tumour-search track, a record sent incomplete, OMS codes outside a Condition, and
    dates after the assessment that were skipped (reference, element)."""

    clock: PatientClock
    track: Track
    incomplete: bool = False
    oms_mentions: tuple[str, ...] = ()
    future_dates: tuple[tuple[str, str], ...] = ()
    #: The start of the current episode when it is a relapse (DESIGN.md, "Episodes").
    relapse_since: date | None = None


def build_risk_assessment(
    assessment: Assessment,
    terminology: Terminology,
    patient: str,
    now: str,
    circumstances: Circumstances,
) -> Json:
    """The RiskAssessment for `patient` (a reference string), dated `now` (FHIR dateTime).

    `preliminary` when a met criterion rests only on unconfirmed evidence, when OMS is
    only suspected, or when the record sent was incomplete."""
    vocabulary = _vocabulary(terminology)
    rationale = _rationale(assessment, terminology, circumstances)
    preliminary = assessment.preliminary or circumstances.incomplete
    return {
        "resourceType": "RiskAssessment",
        "meta": {"profile": [PROFILE]},
        "text": {
            "status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{escape(rationale)}</p></div>',
        },
        "extension": [_criterion_extension(result, terminology) for result in assessment.results],
        "status": "preliminary" if preliminary else "final",
        "method": deepcopy(vocabulary.method),
        "subject": {"reference": patient},
        "occurrenceDateTime": now,
        **({"basis": [reference_to(ref) for ref in assessment.basis]} if assessment.basis else {}),
        "prediction": [
            {
                "outcome": deepcopy(vocabulary.outcome),
                "qualitativeRisk": {"coding": [dict(vocabulary.risk[assessment.risk])]},
                "rationale": rationale,
            }
        ],
    }


def _rationale(
    assessment: Assessment, terminology: Terminology, circumstances: Circumstances
) -> str:
    """The recorded (or suspected) diagnosis, the criteria with the dates of their
    evidence, what makes the record less than it seems, the age, the track, and the
    conclusion, in words a clinician reads."""
    parts: list[str] = []
    if assessment.diagnosed:
        dates = sorted(d.recorded for d in assessment.diagnoses if d.recorded and not d.preliminary)
        when = f"recorded {dates[0]}" if dates else "date not recorded"
        parts.append(f"Opsoclonus myoclonus syndrome is already diagnosed ({when}).")
    elif assessment.suspected:
        parts.append(
            "Opsoclonus myoclonus syndrome is suspected in the record (provisional, "
            "differential, unconfirmed or the reason for a request), not diagnosed."
        )
    if circumstances.oms_mentions:
        parts.append(
            "An observation or report carries the opsoclonus myoclonus syndrome code; that "
            "is no recorded diagnosis."
        )
    if circumstances.relapse_since is not None:
        parts.append(f"In relapse since {circumstances.relapse_since.isoformat()}.")
    summary = assessment.rationale(terminology.criterion_displays, terminology.not_met_words)
    parts.append(f"{summary}.")
    if circumstances.incomplete:
        parts.append(
            "The record sent was incomplete (a page of search results): what was not sent "
            "may change this assessment."
        )
    if circumstances.future_dates:
        skipped = ", ".join(f"{element} of {ref}" for ref, element in circumstances.future_dates)
        parts.append(f"Dates later than the assessment were skipped as errors: {skipped}.")
    parts.append(_age(circumstances.clock))
    parts.append(f"Tumour-search track: {circumstances.track.title}.")
    parts.append(_CONCLUSION[assessment.risk])
    return " ".join(parts)


def _age(clock: PatientClock) -> str:
    if clock.birth is None:
        return "Deceased; age not recorded." if clock.deceased else "Age not recorded."
    if clock.deceased and not clock.death_dated:
        return "Deceased (date of death not recorded)."
    age = describe_age_between(clock.birth, clock.today)
    return f"Age at death: {age}." if clock.deceased else f"Age at assessment: {age}."


@dataclass(frozen=True)
class _Vocabulary:
    """The codings every RiskAssessment carries, read from profiles/ once.

    Shared by every request: builders hand out copies, so a caller that edits its
    RiskAssessment (write-back adds identifiers) cannot change the next one.
    """

    method: Json
    outcome: Json
    risk: dict[RiskLevel, Json]


@cache
def _vocabulary(terminology: Terminology) -> _Vocabulary:
    return _Vocabulary(
        method=_pattern(terminology, "RiskAssessment.method"),
        outcome={
            **_pattern(terminology, "RiskAssessment.prediction.outcome"),
            "text": OUTCOME_TEXT,
        },
        risk={level: _risk_coding(level, terminology) for level in RiskLevel},
    )


def _criterion_extension(result: CriterionResult, terminology: Terminology) -> Json:
    parts: list[Json] = [
        {
            "url": "criterion",
            "valueCoding": {
                "system": CRITERIA_SYSTEM,
                "code": result.criterion,
                "display": terminology.criterion_displays[result.criterion],
            },
        },
        {"url": "status", "valueCode": str(result.status)},
    ]
    if result.unconfirmed:
        parts.append({"url": "unconfirmed", "valueBoolean": True})
    if result.status is not CriterionStatus.UNKNOWN:
        parts.extend(
            {"url": "evidence", "valueReference": reference_to(ref)}
            for ref in dict.fromkeys(item.reference for item in result.evidence)
        )
    return {"url": CRITERION_RESULT, "extension": parts}


def _pattern(terminology: Terminology, element_id: str) -> Json:
    """The patternCodeableConcept the oms-risk-assessment profile sets on an element."""
    profile = terminology.definition(PROFILE)
    for element in profile["differential"]["element"]:
        if element.get("id") == element_id and "patternCodeableConcept" in element:
            concept: Json = element["patternCodeableConcept"]
            return {"coding": [_with_display(c, terminology) for c in concept["coding"]]}
    raise KeyError(element_id)


def _with_display(coding: Json, terminology: Terminology) -> Json:
    if "display" in coding:
        return dict(coding)
    code_system = terminology.code_systems.get(coding["system"], {})
    for concept in code_system.get("concept", []):
        if concept["code"] == coding["code"]:
            return {**coding, "display": concept["display"]}
    return dict(coding)


def _risk_coding(risk: RiskLevel, terminology: Terminology) -> Json:
    value_set = terminology.definition(RISK_LEVEL_VALUE_SET)
    for include in value_set["compose"]["include"]:
        for concept in include.get("concept", []):
            if concept["code"] == risk.value:
                return {
                    "system": include["system"],
                    "code": concept["code"],
                    "display": concept["display"],
                }
    raise KeyError(risk.value)
