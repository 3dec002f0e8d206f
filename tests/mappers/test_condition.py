"""Condition -> evidence: code in a criterion ValueSet, verificationStatus decides polarity."""

from __future__ import annotations

import pytest

from service.domain.evidence import Evidence
from service.errors import UnprocessablePayload
from service.intake import KeptResource
from service.mappers.condition import condition_evidence
from service.terminology import Terminology
from tests.builders import HPO, ICD10CM, SCT, VER_STATUS, condition, kept
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
    resource = condition((ICD10CM, "Z00.00"), (HPO, "HP:0003006"))
    assert [e.criterion for e in condition_evidence(kept(resource), terminology)] == [
        "neuroblastoma"
    ]


def test_an_excluded_coding_vetoes_the_criterion(terminology: Terminology) -> None:
    """Olfactory neuroblastoma is listed as an exclusion: the HPO coding beside it is not
    enough to call it the neuroblastoma of OMS."""
    resource = condition((SCT, "422886007"), (HPO, "HP:0003006"))
    assert condition_evidence(kept(resource), terminology) == []


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


@pytest.mark.parametrize(
    "coding",
    [
        pytest.param({"system": "http://hl7.org/fhir/condition-ver-status"}, id="stu3-system"),
        pytest.param({}, id="no-system"),
        pytest.param({"system": VER_STATUS}, id="r4-system"),
    ],
)
def test_verification_status_read_from_r4_stu3_or_no_system(
    terminology: Terminology, coding: dict[str, str]
) -> None:
    resource = condition((SCT, "432328008"))
    resource["verificationStatus"] = {"coding": [coding | {"code": "refuted"}]}
    assert [e.present for e in condition_evidence(kept(resource), terminology)] == [False]


@pytest.mark.parametrize(
    "verification",
    [
        pytest.param({"text": "refuted by the oncologist"}, id="text-only"),
        pytest.param({"coding": [{"system": "http://example.org/vs", "code": "no"}]}, id="other"),
    ],
)
def test_unreadable_verification_status_is_422(
    terminology: Terminology, verification: dict[str, object]
) -> None:
    resource = condition((SCT, "432328008"), verificationStatus=verification)
    with pytest.raises(UnprocessablePayload) as raised:
        condition_evidence(kept(resource), terminology)
    assert raised.value.expression == ["Bundle.entry[0].resource.verificationStatus"]


def test_reference_is_the_kept_reference(terminology: Terminology) -> None:
    resource = condition((SCT, "432328008"), id=None)
    item = KeptResource(resource, "urn:uuid:1b3f5c2e-0000-4000-8000-000000000001", 2, "p")
    assert condition_evidence(item, terminology)[0].reference == item.reference
