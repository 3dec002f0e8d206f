"""Assessment -> RiskAssessment JSON on profile oms-risk-assessment.

Every code written here is read from `profiles/`: the method and the outcome from the
profile's patterns, the criterion and risk displays from their CodeSystem and ValueSet.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from functools import cache
from html import escape

from service.domain.criteria import Assessment, CriterionResult, CriterionStatus, RiskLevel
from service.domain.dates import age_in_months, describe_age, parse_date
from service.fhir_json import Json
from service.mappers.references import reference_to
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


def build_risk_assessment(
    assessment: Assessment,
    terminology: Terminology,
    patient: str,
    now: str,
    birth_date: str | None = None,
) -> Json:
    """The RiskAssessment for `patient` (a reference string), dated `now` (FHIR dateTime)."""
    vocabulary = _vocabulary(terminology)
    rationale = _rationale(assessment, terminology, now, birth_date)
    return {
        "resourceType": "RiskAssessment",
        "meta": {"profile": [PROFILE]},
        "text": {
            "status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{escape(rationale)}</p></div>',
        },
        "extension": [_criterion_extension(result, terminology) for result in assessment.results],
        "status": "preliminary" if assessment.preliminary else "final",
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
    assessment: Assessment, terminology: Terminology, now: str, birth_date: str | None
) -> str:
    """The recorded diagnosis, the criteria with the dates of their evidence, the age at
    assessment, and the conclusion, in words a clinician reads."""
    parts: list[str] = []
    if assessment.diagnoses:
        dates = sorted(d.recorded for d in assessment.diagnoses if d.recorded)
        when = f"recorded {dates[0]}" if dates else "date not recorded"
        if all(d.preliminary for d in assessment.diagnoses):
            when += ", not confirmed"
        parts.append(f"Opsoclonus myoclonus syndrome is already diagnosed ({when}).")
    summary = assessment.rationale(terminology.criterion_displays, terminology.not_met_words)
    parts.append(f"{summary}.")
    birth, today = parse_date(birth_date), parse_date(now)
    if birth is not None and today is not None:
        parts.append(f"Age at assessment: {describe_age(age_in_months(birth, today))}.")
    else:
        parts.append("Age not recorded.")
    parts.append(_CONCLUSION[assessment.risk])
    return " ".join(parts)


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
