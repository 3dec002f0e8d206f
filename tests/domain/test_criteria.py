"""The 3-of-4 rule, three-valued criteria and the risk levels of DESIGN.md."""

from __future__ import annotations

import pytest

from service.domain.criteria import (
    Assessment,
    CriterionStatus,
    RiskLevel,
    assess,
)
from service.domain.evidence import Diagnosis, Evidence

NB, OPSO, MA, BS = "neuroblastoma", "opsoclonus", "myoclonus-ataxia", "behavior-sleep"
CRITERIA = (NB, OPSO, MA, BS)
#: The CodeSystem properties of profiles/ (tests/test_terminology.py checks they are these).
RULES = {"neurological_signs": {OPSO, MA}, "warrants_work_up_alone": {OPSO}}


def judge(evidence: list[Evidence], diagnoses: tuple[Diagnosis, ...] = ()) -> Assessment:
    return assess(CRITERIA, evidence, diagnoses=diagnoses, **RULES)


def present(criterion: str, ref: str | None = None, *, preliminary: bool = False) -> Evidence:
    return Evidence(criterion, True, preliminary, ref or f"Condition/{criterion}-yes")


def absent(criterion: str, ref: str | None = None, *, preliminary: bool = False) -> Evidence:
    return Evidence(criterion, False, preliminary, ref or f"Condition/{criterion}-no")


def statuses(assessment: Assessment) -> dict[str, str]:
    return {r.criterion: r.status.value for r in assessment.results}


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        pytest.param([present(NB)], "met", id="present-only-met"),
        pytest.param([absent(NB)], "not-met", id="absent-only-not-met"),
        pytest.param([], "unknown", id="no-evidence-unknown"),
        pytest.param([present(NB), absent(NB)], "met", id="present-beats-absent"),
        pytest.param([absent(NB), present(NB)], "met", id="present-beats-absent-any-order"),
        pytest.param(
            [present(NB, preliminary=True)], "met", id="provisional-neuroblastoma-still-met"
        ),
        pytest.param([present(OPSO)], "unknown", id="evidence-for-another-criterion"),
    ],
)
def test_criterion_is_three_valued(evidence: list[Evidence], expected: str) -> None:
    assert assess(CRITERIA, evidence).result_for(NB).status.value == expected


@pytest.mark.parametrize(
    ("met", "not_met", "expected"),
    [
        pytest.param((NB, OPSO, MA, BS), (), RiskLevel.HIGH, id="4-met-high"),
        pytest.param((NB, OPSO, MA), (BS,), RiskLevel.HIGH, id="3-met-1-not-met-high"),
        pytest.param((OPSO, MA, BS), (), RiskLevel.HIGH, id="3-met-no-neuroblastoma-high"),
        pytest.param((OPSO, MA), (), RiskLevel.MODERATE, id="2-neurological-met-2-unknown"),
        pytest.param((OPSO, MA), (NB,), RiskLevel.MODERATE, id="2-met-negative-tumour-search"),
        pytest.param((OPSO, MA), (NB, BS), RiskLevel.MODERATE, id="2-met-2-not-met-moderate"),
        pytest.param((NB, MA), (OPSO, BS), RiskLevel.MODERATE, id="tumour-and-ataxia-moderate"),
        pytest.param((NB, BS), (), RiskLevel.LOW, id="tumour-and-behaviour-no-sign-low"),
        pytest.param((NB, BS), (OPSO, MA), RiskLevel.LOW, id="oncology-irritability-low"),
        pytest.param((OPSO,), (), RiskLevel.MODERATE, id="opsoclonus-alone-3-unknown"),
        pytest.param((OPSO,), (NB,), RiskLevel.MODERATE, id="opsoclonus-alone-2-unknown"),
        # Contract v3: opsoclonus met is at least moderate, whatever the others (v2: low).
        pytest.param((OPSO,), (NB, MA, BS), RiskLevel.MODERATE, id="opsoclonus-alone-rest-not-met"),
        pytest.param((OPSO, BS), (NB, MA), RiskLevel.MODERATE, id="opsoclonus-and-behaviour"),
        pytest.param((MA,), (), RiskLevel.LOW, id="ataxia-alone-low"),
        pytest.param((), (), RiskLevel.LOW, id="nothing-known-low"),
        pytest.param((), (NB, OPSO, MA, BS), RiskLevel.LOW, id="all-refuted-low"),
    ],
)
def test_risk_level(met: tuple[str, ...], not_met: tuple[str, ...], expected: RiskLevel) -> None:
    evidence = [present(c) for c in met] + [absent(c) for c in not_met]
    assessment = judge(evidence)
    assert assessment.risk is expected
    assert assessment.met_count == len(met)


def test_without_the_properties_two_met_is_not_moderate() -> None:
    """The neurological-sign rule is data: without it, nothing is moderate."""
    assert assess(CRITERIA, [present(OPSO), present(MA)]).risk is RiskLevel.LOW


@pytest.mark.parametrize(
    ("evidence", "diagnoses", "risk", "preliminary"),
    [
        pytest.param(
            [],
            (Diagnosis("Condition/oms", False),),
            RiskLevel.CERTAIN,
            False,
            id="diagnosis-alone-certain",
        ),
        pytest.param(
            [present(NB), present(OPSO), present(MA)],
            (Diagnosis("Condition/oms", False),),
            RiskLevel.CERTAIN,
            False,
            id="diagnosis-outranks-high",
        ),
        # Contract v3: a provisional OMS Condition is a suspicion: at least moderate,
        # preliminary (v2: certain).
        pytest.param(
            [],
            (Diagnosis("Condition/oms", True),),
            RiskLevel.MODERATE,
            True,
            id="provisional-diagnosis-is-a-suspicion",
        ),
        pytest.param(
            [present(NB), present(OPSO), present(MA)],
            (Diagnosis("Condition/oms", True),),
            RiskLevel.HIGH,
            True,
            id="suspicion-keeps-the-criteria-risk-when-higher",
        ),
        pytest.param(
            [],
            (Diagnosis("Condition/a", True), Diagnosis("Condition/b", False)),
            RiskLevel.CERTAIN,
            False,
            id="a-confirmed-diagnosis-makes-it-final",
        ),
    ],
)
def test_recorded_diagnosis_is_certain(
    evidence: list[Evidence], diagnoses: tuple[Diagnosis, ...], risk: RiskLevel, preliminary: bool
) -> None:
    assessment = judge(evidence, diagnoses)
    assert (assessment.risk, assessment.preliminary) == (risk, preliminary)
    assert assessment.basis[0] == diagnoses[0].reference


def test_results_follow_criteria_order_not_evidence_order() -> None:
    assessment = assess(CRITERIA, [present(BS), absent(MA), present(NB)])
    assert [r.criterion for r in assessment.results] == list(CRITERIA)
    assert statuses(assessment) == {NB: "met", OPSO: "unknown", MA: "not-met", BS: "met"}


def test_met_result_carries_only_present_evidence() -> None:
    yes, no = present(NB, "Condition/a"), absent(NB, "Observation/b")
    result = assess(CRITERIA, [no, yes]).result_for(NB)
    assert result.status is CriterionStatus.MET
    assert result.evidence == (yes,)


def test_not_met_result_carries_absent_evidence() -> None:
    refuted, negative = absent(NB, "Condition/a"), absent(NB, "Observation/b")
    result = assess(CRITERIA, [refuted, negative]).result_for(NB)
    assert result.status is CriterionStatus.NOT_MET
    assert result.evidence == (refuted, negative)


def test_unknown_result_carries_no_evidence() -> None:
    assert assess(CRITERIA, []).result_for(OPSO).evidence == ()


def test_basis_is_counted_references_once_in_criteria_order() -> None:
    both = "Condition/nb-and-opsoclonus"
    assessment = assess(
        CRITERIA,
        [
            present(OPSO, both),
            absent(BS, "Observation/sleep-normal"),
            present(NB, both),
            absent(NB, "Condition/ignored-because-met"),
            present(NB, "Observation/hva"),
        ],
    )
    assert assessment.basis == (both, "Observation/hva", "Observation/sleep-normal")


def test_identical_evidence_counts_once() -> None:
    result = assess(CRITERIA, [present(NB, "Condition/x"), present(NB, "Condition/x")])
    assert result.result_for(NB).evidence == (present(NB, "Condition/x"),)


def test_dates_do_not_make_evidence_distinct() -> None:
    first = Evidence(NB, True, False, "Condition/x", "2026-01-02")
    second = Evidence(NB, True, False, "Condition/x", "2026-03-04")
    assert assess(CRITERIA, [first, second]).result_for(NB).evidence == (first,)


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        pytest.param([present(NB)], False, id="confirmed-final"),
        pytest.param([present(NB, preliminary=True)], True, id="unconfirmed-counted"),
        pytest.param(
            [absent(NB, preliminary=True)], False, id="preliminary-negative-is-no-met-criterion"
        ),
        pytest.param(
            [present(NB), absent(NB, preliminary=True)],
            False,
            id="preliminary-negative-outvoted-not-counted",
        ),
        pytest.param(
            [present(NB), present(NB, "Condition/2", preliminary=True)],
            False,
            id="confirmed-evidence-makes-the-criterion-final",
        ),
        pytest.param(
            [present(NB, preliminary=True), present(OPSO)],
            True,
            id="one-met-criterion-only-unconfirmed",
        ),
    ],
)
def test_preliminary_when_counted_evidence_is(evidence: list[Evidence], expected: bool) -> None:
    assert assess(CRITERIA, evidence).preliminary is expected


def test_evidence_for_unknown_criterion_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown criterion"):
        assess(CRITERIA, [present("dancing-feet")])


def test_repeated_criteria_rejected() -> None:
    with pytest.raises(ValueError, match="repeat"):
        assess((NB, NB), [])


def test_rationale_names_met_not_met_unknown() -> None:
    assessment = assess(CRITERIA, [present(NB), present(OPSO), present(MA), absent(BS)])
    assert assessment.rationale() == (
        "3 of 4 criteria met: neuroblastoma (date not recorded), opsoclonus (date not "
        "recorded), myoclonus-ataxia (date not recorded); not met: behavior-sleep (recorded absent)"
    )


def test_rationale_gives_the_date_range_and_what_not_met_means() -> None:
    evidence = [
        Evidence(OPSO, True, False, "Observation/a", recorded="2025-03-05"),
        Evidence(OPSO, True, False, "Observation/b", recorded="2025-01-10"),
        Evidence(MA, True, True, "Condition/c", recorded="2025-02"),
        absent(NB),
    ]
    words = {NB: "no neuroblastoma found so far"}
    assert judge(evidence).rationale(not_met_words=words) == (
        "2 of 4 criteria met: opsoclonus (2025-01-10 to 2025-03-05), myoclonus-ataxia "
        "(2025-02, unconfirmed); not met: neuroblastoma (no neuroblastoma found so far); "
        "unknown: behavior-sleep"
    )


def test_rationale_uses_displays_and_omits_empty_groups() -> None:
    displays = {OPSO: "Opsoclonus", MA: "Myoclonus and/or ataxia"}
    assessment = assess(CRITERIA, [present(OPSO), present(MA)])
    assert assessment.rationale(displays) == (
        "2 of 4 criteria met: Opsoclonus (date not recorded), Myoclonus and/or ataxia (date "
        "not recorded); unknown: neuroblastoma, behavior-sleep"
    )


def test_rationale_with_nothing_met() -> None:
    assert assess(CRITERIA, []).rationale() == (
        "0 of 4 criteria met; unknown: neuroblastoma, opsoclonus, myoclonus-ataxia, behavior-sleep"
    )


def test_result_for_unknown_criterion_raises() -> None:
    with pytest.raises(KeyError):
        assess(CRITERIA, []).result_for("dancing-feet")
