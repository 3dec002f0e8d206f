"""Condition -> evidence: code in a criterion ValueSet, verificationStatus decides polarity."""

from __future__ import annotations

import pytest

from service.domain.evidence import Evidence
from service.ingest import KeptResource
from service.mappers.condition import condition_evidence
from service.terminology import Terminology
from tests.builders import HPO, SCT, VER_STATUS, condition, kept
from tests.mappers.codes import COUNTING, NOT_COUNTING

VERIFICATION = [
    pytest.param(None, True, False, id="no-verification-status"),
    pytest.param("confirmed", True, False, id="confirmed"),
    pytest.param("unconfirmed", True, True, id="unconfirmed"),
    pytest.param("provisional", True, True, id="provisional"),
    pytest.param("differential", True, True, id="differential"),
    pytest.param("refuted", False, False, id="refuted"),
]


@pytest.mark.parametrize(("verification", "present", "preliminary"), VERIFICATION)
@pytest.mark.parametrize(("criterion", "coding"), COUNTING)
def test_counting_code_gives_evidence(
    terminology: Terminology,
    criterion: str,
    coding: tuple[str, str],
    verification: str | None,
    present: bool,
    preliminary: bool,
) -> None:
    resource = condition(coding, id="nb1", verification=verification)
    evidence = condition_evidence(kept(resource, 4), terminology)
    assert evidence == [Evidence(criterion, present, preliminary, "Condition/nb1")]
    assert evidence[0].source_path == "Bundle.entry[4].resource"


@pytest.mark.parametrize(("criterion", "coding"), COUNTING)
def test_entered_in_error_is_ignored(
    terminology: Terminology, criterion: str, coding: tuple[str, str]
) -> None:
    resource = condition(coding, verification="entered-in-error")
    assert condition_evidence(kept(resource), terminology) == []


@pytest.mark.parametrize("coding", NOT_COUNTING)
@pytest.mark.parametrize("verification", [None, "refuted"], ids=["asserted", "refuted"])
def test_look_alike_gives_no_evidence(
    terminology: Terminology, coding: tuple[str, str], verification: str | None
) -> None:
    resource = condition(coding, verification=verification)
    assert condition_evidence(kept(resource), terminology) == []


@pytest.mark.parametrize(
    "clinical", ["active", "recurrence", "relapse", "inactive", "remission", "resolved", None]
)
def test_any_clinical_status_counts(terminology: Terminology, clinical: str | None) -> None:
    resource = condition((SCT, "432328008"), clinical=clinical)
    evidence = condition_evidence(kept(resource), terminology)
    assert [(e.criterion, e.present) for e in evidence] == [("neuroblastoma", True)]


def test_resected_neuroblastoma_still_counts(terminology: Terminology) -> None:
    resource = condition(
        (SCT, "281562007"),
        clinical="resolved",
        verification="confirmed",
        abatementDateTime="2025-01-10",
    )
    assert [e.present for e in condition_evidence(kept(resource), terminology)] == [True]


def test_one_condition_can_evidence_two_criteria(terminology: Terminology) -> None:
    resource = condition((HPO, "HP:0010543"), (SCT, "17450006"), id="oma")
    assert condition_evidence(kept(resource), terminology) == [
        Evidence("opsoclonus", True, False, "Condition/oma"),
        Evidence("myoclonus-ataxia", True, False, "Condition/oma"),
    ]


def test_several_codings_of_one_criterion_give_one_evidence(terminology: Terminology) -> None:
    resource = condition((SCT, "17450006"), (HPO, "HP:0001336"), verification="refuted")
    assert condition_evidence(kept(resource), terminology) == [
        Evidence("myoclonus-ataxia", False, False, "Condition/c1")
    ]


def test_any_coding_may_match(terminology: Terminology) -> None:
    resource = condition((SCT, "422886007"), (HPO, "HP:0003006"))
    assert [e.criterion for e in condition_evidence(kept(resource), terminology)] == [
        "neuroblastoma"
    ]


def test_whitespace_around_code_and_status_is_ignored(terminology: Terminology) -> None:
    resource = condition((SCT, " 432328008 "))
    resource["verificationStatus"] = {"coding": [{"system": VER_STATUS, "code": " refuted "}]}
    assert [e.present for e in condition_evidence(kept(resource), terminology)] == [False]


def test_display_never_decides(terminology: Terminology) -> None:
    resource = condition()
    resource["code"] = {
        "coding": [{"system": SCT, "code": "422886007", "display": "Neuroblastoma"}],
        "text": "Neuroblastoma",
    }
    assert condition_evidence(kept(resource), terminology) == []


def test_verification_status_without_a_ver_status_coding_counts_as_asserted(
    terminology: Terminology,
) -> None:
    resource = condition((SCT, "432328008"))
    resource["verificationStatus"] = {"text": "refuted by the oncologist"}
    assert [
        (e.present, e.preliminary) for e in condition_evidence(kept(resource), terminology)
    ] == [(True, False)]


def test_reference_is_the_kept_reference(terminology: Terminology) -> None:
    resource = condition((SCT, "432328008"), id=None)
    item = KeptResource(resource, "urn:uuid:1b3f5c2e-0000-4000-8000-000000000001", 2, "p")
    assert condition_evidence(item, terminology)[0].reference == item.reference
