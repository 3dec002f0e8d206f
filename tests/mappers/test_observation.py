"""Observation -> evidence: usable statuses, pattern A (code is the finding) and pattern B
(value is the finding)."""

from __future__ import annotations

from typing import Any

import pytest

from service.domain.evidence import Evidence
from service.mappers.observation import observation_evidence
from service.terminology import Terminology
from tests.builders import (
    ABSENT,
    CLINICAL_FINDING,
    HPO,
    HPO_ALIAS,
    LOINC,
    NEGATIVE,
    POSITIVE,
    PRESENT,
    SCT,
    concept,
    kept,
    observation,
)
from tests.mappers.codes import COUNTING, NOT_COUNTING

OPSOCLONUS = (HPO, "HP:0010543")

PATTERN_A_VALUES = [
    pytest.param({}, True, id="no-value-present"),
    pytest.param({"valueBoolean": True}, True, id="value-true-present"),
    pytest.param({"valueCodeableConcept": concept(PRESENT)}, True, id="value-present"),
    pytest.param({"valueCodeableConcept": concept(POSITIVE)}, True, id="value-positive"),
    pytest.param({"valueBoolean": False}, False, id="value-false-absent"),
    pytest.param({"valueCodeableConcept": concept(ABSENT)}, False, id="value-absent"),
    pytest.param({"valueCodeableConcept": concept(NEGATIVE)}, False, id="value-negative"),
]


@pytest.mark.parametrize(("value", "present"), PATTERN_A_VALUES)
@pytest.mark.parametrize(("criterion", "coding"), COUNTING)
def test_pattern_a_code_is_the_finding(
    terminology: Terminology,
    criterion: str,
    coding: tuple[str, str],
    value: dict[str, Any],
    present: bool,
) -> None:
    resource = observation(coding, id="exam1", **value)
    evidence = observation_evidence(kept(resource, 2), terminology)
    assert evidence == [Evidence(criterion, present, False, "Observation/exam1")]


@pytest.mark.parametrize(("criterion", "coding"), COUNTING)
@pytest.mark.parametrize(
    "question",
    [
        pytest.param(CLINICAL_FINDING, id="clinical-finding-question"),
        pytest.param((LOINC, "75325-1"), id="loinc-symptom-question"),
        pytest.param((LOINC, "75321-0"), id="loinc-clinical-finding-question"),
    ],
)
def test_pattern_b_value_is_the_finding(
    terminology: Terminology,
    criterion: str,
    coding: tuple[str, str],
    question: tuple[str, str],
) -> None:
    resource = observation(question, valueCodeableConcept=concept(coding))
    assert observation_evidence(kept(resource), terminology) == [
        Evidence(criterion, True, False, "Observation/o1")
    ]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param("final", [Evidence("opsoclonus", True, False, "Observation/o1")], id="final"),
        pytest.param(
            "amended", [Evidence("opsoclonus", True, False, "Observation/o1")], id="amended"
        ),
        pytest.param(
            "corrected", [Evidence("opsoclonus", True, False, "Observation/o1")], id="corrected"
        ),
        pytest.param(
            "preliminary",
            [Evidence("opsoclonus", True, True, "Observation/o1")],
            id="preliminary-counts-preliminary",
        ),
        pytest.param("registered", [], id="registered-ignored"),
        pytest.param("cancelled", [], id="cancelled-ignored"),
        pytest.param("entered-in-error", [], id="entered-in-error-ignored"),
        pytest.param("unknown", [], id="unknown-status-ignored"),
    ],
)
@pytest.mark.parametrize(
    "shape",
    [
        pytest.param({"code": concept(OPSOCLONUS)}, id="pattern-a"),
        pytest.param(
            {"code": concept(CLINICAL_FINDING), "valueCodeableConcept": concept(OPSOCLONUS)},
            id="pattern-b",
        ),
    ],
)
def test_status(
    terminology: Terminology, status: str, expected: list[Evidence], shape: dict[str, Any]
) -> None:
    resource = observation(status=status) | shape
    assert observation_evidence(kept(resource), terminology) == expected


def test_preliminary_negative_is_preliminary_absent(terminology: Terminology) -> None:
    resource = observation(OPSOCLONUS, status="preliminary", valueBoolean=False)
    assert observation_evidence(kept(resource), terminology) == [
        Evidence("opsoclonus", False, True, "Observation/o1")
    ]


@pytest.mark.parametrize(
    "shape",
    [
        pytest.param({"code": concept(OPSOCLONUS)}, id="pattern-a"),
        pytest.param(
            {"code": concept(CLINICAL_FINDING), "valueCodeableConcept": concept(OPSOCLONUS)},
            id="pattern-b",
        ),
    ],
)
def test_data_absent_reason_ignored(terminology: Terminology, shape: dict[str, Any]) -> None:
    resource = observation(dataAbsentReason={"text": "not examined"}) | shape
    assert observation_evidence(kept(resource), terminology) == []


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"valueQuantity": {"value": 12.5, "unit": "mg/g"}}, id="quantity"),
        pytest.param({"valueString": "present"}, id="string-saying-present"),
        pytest.param({"valueInteger": 1}, id="integer"),
        pytest.param({"valueCodeableConcept": {"text": "Present"}}, id="text-only-present"),
        pytest.param(
            {"valueCodeableConcept": {"coding": [{"system": SCT, "code": "225886003"}]}},
            id="unrelated-coded-value",
        ),
        pytest.param(
            {"valueCodeableConcept": concept(PRESENT, ABSENT)}, id="contradictory-present-absent"
        ),
    ],
)
def test_pattern_a_other_values_are_not_evidence(
    terminology: Terminology, value: dict[str, Any]
) -> None:
    resource = observation(OPSOCLONUS, **value)
    assert observation_evidence(kept(resource), terminology) == []


@pytest.mark.parametrize("coding", NOT_COUNTING)
@pytest.mark.parametrize("pattern", ["pattern-a", "pattern-b"])
def test_look_alike_gives_no_evidence(
    terminology: Terminology, coding: tuple[str, str], pattern: str
) -> None:
    if pattern == "pattern-a":
        resource = observation(coding, valueCodeableConcept=concept(PRESENT))
    else:
        resource = observation(CLINICAL_FINDING, valueCodeableConcept=concept(coding))
    assert observation_evidence(kept(resource), terminology) == []


def test_display_never_decides(terminology: Terminology) -> None:
    resource = observation(CLINICAL_FINDING)
    resource["code"]["coding"][0]["display"] = "Opsoclonus"
    resource["valueCodeableConcept"] = {
        "coding": [{"system": SCT, "code": "225886003", "display": "Present"}]
    }
    assert observation_evidence(kept(resource), terminology) == []


def test_one_observation_can_evidence_two_criteria(terminology: Terminology) -> None:
    resource = observation(OPSOCLONUS, (SCT, "17450006"), valueBoolean=False)
    assert observation_evidence(kept(resource), terminology) == [
        Evidence("opsoclonus", False, False, "Observation/o1"),
        Evidence("myoclonus-ataxia", False, False, "Observation/o1"),
    ]


def test_pattern_b_value_with_two_criteria(terminology: Terminology) -> None:
    resource = observation(
        CLINICAL_FINDING, valueCodeableConcept=concept((HPO_ALIAS, "HP:0010543"), (SCT, "17450006"))
    )
    assert [e.criterion for e in observation_evidence(kept(resource), terminology)] == [
        "opsoclonus",
        "myoclonus-ataxia",
    ]


@pytest.mark.parametrize(
    "question",
    [
        pytest.param((LOINC, "10157-6"), id="family-history-is-about-a-relative"),
        pytest.param((LOINC, "42349-1"), id="reason-for-referral-is-a-suspicion"),
        pytest.param((LOINC, "2436-4"), id="unrelated-lab-question"),
        pytest.param(OPSOCLONUS, id="a-finding-code-is-no-question"),
    ],
)
def test_other_questions_never_count(terminology: Terminology, question: tuple[str, str]) -> None:
    resource = observation(question, valueCodeableConcept=concept((SCT, "432328008")))
    assert observation_evidence(kept(resource), terminology) == []


def test_whitespace_around_codes_is_ignored(terminology: Terminology) -> None:
    resource = observation((HPO, "\tHP:0010543 "), valueCodeableConcept=concept((SCT, " 2667000")))
    assert observation_evidence(kept(resource), terminology) == [
        Evidence("opsoclonus", False, False, "Observation/o1")
    ]


def test_components_are_read_like_observations(terminology: Terminology) -> None:
    resource = observation(
        CLINICAL_FINDING,
        valueString="see components",
        component=[
            {"code": concept(OPSOCLONUS), "valueBoolean": True},
            {"code": concept(CLINICAL_FINDING), "valueCodeableConcept": concept((SCT, "17450006"))},
            {"code": concept((SCT, "193462001")), "dataAbsentReason": {"text": "not asked"}},
        ],
    )
    assert observation_evidence(kept(resource), terminology) == [
        Evidence("opsoclonus", True, False, "Observation/o1"),
        Evidence("myoclonus-ataxia", True, False, "Observation/o1"),
    ]


def test_a_panel_code_is_not_itself_a_finding(terminology: Terminology) -> None:
    """Components and no value of its own: a panel, whose code says nothing present."""
    resource = observation(
        OPSOCLONUS, component=[{"code": concept((SCT, "17450006")), "valueBoolean": False}]
    )
    assert observation_evidence(kept(resource), terminology) == [
        Evidence("myoclonus-ataxia", False, False, "Observation/o1")
    ]
