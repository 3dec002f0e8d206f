"""Assessment -> RiskAssessment JSON: shape of the oms-risk-assessment profile, codes from
profiles/, the evidence that decided each criterion."""

from __future__ import annotations

from typing import Any

import pytest

from service.domain.criteria import assess
from service.domain.evidence import Evidence
from service.mappers.risk_assessment import CRITERION_RESULT, PROFILE, build_risk_assessment
from service.terminology import Terminology
from tests.builders import circumstances

NOW = "2026-11-25T10:00:00Z"


def build(terminology: Terminology, *evidence: Evidence) -> dict[str, Any]:
    return build_risk_assessment(
        assess(terminology.criteria, evidence),
        terminology,
        "Patient/p1",
        NOW,
        circumstances(terminology),
    )


def results(ra: dict[str, Any]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    found = []
    for extension in ra["extension"]:
        assert extension["url"] == CRITERION_RESULT
        parts = extension["extension"]
        criterion = next(p["valueCoding"]["code"] for p in parts if p["url"] == "criterion")
        status = next(p["valueCode"] for p in parts if p["url"] == "status")
        evidence = [p["valueReference"] for p in parts if p["url"] == "evidence"]
        found.append((criterion, status, evidence))
    return found


def test_nothing_known_gives_four_unknown_criteria_and_low_risk(terminology: Terminology) -> None:
    ra = build(terminology)

    assert ra["meta"]["profile"] == [PROFILE]
    assert ra["status"] == "final"
    assert ra["subject"] == {"reference": "Patient/p1"}
    assert ra["occurrenceDateTime"] == NOW
    assert results(ra) == [
        ("neuroblastoma", "unknown", []),
        ("opsoclonus", "unknown", []),
        ("myoclonus-ataxia", "unknown", []),
        ("behavior-sleep", "unknown", []),
    ]
    assert "basis" not in ra
    prediction = ra["prediction"][0]
    assert prediction["qualitativeRisk"]["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/risk-probability",
            "code": "low",
            "display": "Low likelihood",
        }
    ]
    assert prediction["outcome"]["coding"][0]["system"] == "https://www.orpha.net"
    assert prediction["outcome"]["coding"][0]["code"] == "1183"
    assert prediction["rationale"].startswith("0 of 4 criteria met; unknown: Neuroblastoma")
    assert ra["method"]["coding"][0]["code"] == "genoa-2004"


def test_evidence_and_basis_name_what_decided(terminology: Terminology) -> None:
    ra = build(
        terminology,
        Evidence("neuroblastoma", False, False, "Condition/refuted-nb"),
        Evidence("opsoclonus", True, False, "Observation/eyes"),
        Evidence("opsoclonus", False, False, "Observation/old-normal-exam"),
        Evidence("myoclonus-ataxia", True, False, "Condition/ataxia"),
        Evidence("behavior-sleep", True, False, "Bundle.entry[7].resource"),
    )

    assert results(ra) == [
        ("neuroblastoma", "not-met", [{"reference": "Condition/refuted-nb"}]),
        ("opsoclonus", "met", [{"reference": "Observation/eyes"}]),
        ("myoclonus-ataxia", "met", [{"reference": "Condition/ataxia"}]),
        ("behavior-sleep", "met", [{"display": "input element Bundle.entry[7].resource"}]),
    ]
    assert [b.get("reference", b.get("display")) for b in ra["basis"]] == [
        "Condition/refuted-nb",
        "Observation/eyes",
        "Condition/ataxia",
        "input element Bundle.entry[7].resource",
    ]
    assert ra["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "high"


@pytest.mark.parametrize(
    ("preliminary", "status"),
    [
        pytest.param(True, "preliminary", id="unconfirmed-evidence"),
        pytest.param(False, "final", id="confirmed"),
    ],
)
def test_status_follows_preliminary_evidence(
    terminology: Terminology, preliminary: bool, status: str
) -> None:
    ra = build(terminology, Evidence("opsoclonus", True, preliminary, "Observation/eyes"))
    assert ra["status"] == status


def test_outputs_do_not_share_mutable_state(terminology: Terminology) -> None:
    first = build(terminology)
    first["prediction"][0]["outcome"]["coding"][0]["code"] = "changed"
    assert build(terminology)["prediction"][0]["outcome"]["coding"][0]["code"] == "1183"
