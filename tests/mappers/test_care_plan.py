"""CarePlan generation from the PlanDefinitions: which actions apply and what they say is
decided by the FHIRPath in profiles/, evaluated against the RiskAssessment."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import pytest

from service.domain.criteria import RiskLevel, assess
from service.domain.evidence import Evidence
from service.mappers.care_plan import CHECKLIST, WORKUP, build_care_plan, plan_for
from service.mappers.risk_assessment import build_risk_assessment
from service.terminology import Terminology
from tests.builders import circumstances, track

NOW = "2026-11-25T10:00:00Z"
CRITERIA = ("neuroblastoma", "opsoclonus", "myoclonus-ataxia", "behavior-sleep")
WORKUP_CODE = {
    "neuroblastoma": "neuroblastoma-search",
    "opsoclonus": "opsoclonus-examination",
    "myoclonus-ataxia": "myoclonus-ataxia-examination",
    "behavior-sleep": "behavior-sleep-assessment",
}


def risk_assessment(terminology: Terminology, **statuses: str) -> dict[str, Any]:
    """A RiskAssessment whose criteria have the given statuses (met / not-met / unknown;
    `provisional`: met only on unconfirmed evidence)."""
    evidence = [
        Evidence(criterion, status != "not-met", status == "provisional", f"Condition/{criterion}")
        for criterion, status in statuses.items()
        if status != "unknown"
    ]
    return build_risk_assessment(
        assess(terminology.criteria, evidence),
        terminology,
        "Patient/p1",
        NOW,
        circumstances(terminology),
    )


def plan(terminology: Terminology, url: str, ra: dict[str, Any]) -> dict[str, Any]:
    return build_care_plan(
        url, terminology, ra, "urn:uuid:ra", "Patient/p1", NOW, track(terminology)
    )


def codes(care_plan: dict[str, Any]) -> list[str]:
    return [a["detail"]["code"]["coding"][0]["code"] for a in care_plan["activity"]]


def test_plan_for_each_risk() -> None:
    assert plan_for(RiskLevel.CERTAIN) == CHECKLIST
    assert plan_for(RiskLevel.HIGH) == CHECKLIST
    assert plan_for(RiskLevel.MODERATE) == WORKUP
    assert plan_for(RiskLevel.LOW) is None


def test_checklist_has_the_15_items_in_order(terminology: Terminology) -> None:
    ra = risk_assessment(terminology, **dict.fromkeys(CRITERIA, "met"))
    care_plan = plan(terminology, CHECKLIST, ra)

    assert codes(care_plan) == [
        "mitigate-trigger", "treat-neuroinflammation", "reassess-high-risk",
        "treat-infections", "escalate-steroids-acth", "retest-neuroinflammation",
        "review-drug-responses", "change-disease-modifying-drugs", "formal-iq-testing",
        "treat-neuropsychiatric", "avoid-pitfalls", "give-ivig", "select-tapering",
        "multimodal-immunotherapy", "intensify-rehabilitation",
    ]  # fmt: skip
    assert care_plan["instantiatesCanonical"] == [CHECKLIST]
    assert care_plan["supportingInfo"] == [{"reference": "urn:uuid:ra"}]
    assert care_plan["intent"] == "proposal"
    snomed = {
        c["code"]
        for a in care_plan["activity"]
        for c in a["detail"]["code"]["coding"]
        if c["system"] == "http://snomed.info/sct"
    }
    assert "86553008" in snomed  # Immunosuppressive therapy, verified in terminology.md


@pytest.mark.parametrize(
    ("neuroblastoma", "mitigate_says", "reassess_says"),
    [
        pytest.param(
            "met",
            "resect or treat the neuroblastoma",
            "tumour status",
            id="neuroblastoma-met-treat-the-tumour",
        ),
        pytest.param(
            "provisional",
            "confirm it first",
            "once the neuroblastoma is confirmed",
            id="neuroblastoma-provisional-confirm-first",
        ),
        pytest.param(
            "unknown",
            "search for an occult neuroblastoma",
            "search for an occult",
            id="neuroblastoma-unknown-search-occult",
        ),
        pytest.param(
            "not-met",
            "repeat the search",
            "repeat urine HVA and VMA and imaging",
            id="neuroblastoma-negative-search-repeat-it",
        ),
    ],
)
def test_trigger_and_reassess_text_depends_on_neuroblastoma(
    terminology: Terminology, neuroblastoma: str, mitigate_says: str, reassess_says: str
) -> None:
    others = dict.fromkeys(CRITERIA[1:], "met")
    care_plan = plan(
        terminology, CHECKLIST, risk_assessment(terminology, neuroblastoma=neuroblastoma, **others)
    )

    mitigate, _, reassess = (a["detail"]["description"] for a in care_plan["activity"][:3])
    assert mitigate_says in mitigate
    assert reassess_says in reassess
    assert all("occult" not in a["detail"]["description"] for a in care_plan["activity"][3:])
    assert "FHIRPath" not in care_plan["description"] + care_plan["title"]


MODERATE_CASES = [
    dict(zip(CRITERIA, statuses, strict=True))
    for statuses in itertools.product(("met", "not-met", "unknown"), repeat=4)
    if statuses.count("met") == 2 and "unknown" in statuses
] + [
    {
        "neuroblastoma": "not-met",
        "opsoclonus": "met",
        "myoclonus-ataxia": "met",
        "behavior-sleep": "not-met",
    },
    {
        "neuroblastoma": "unknown",
        "opsoclonus": "met",
        "myoclonus-ataxia": "not-met",
        "behavior-sleep": "unknown",
    },
]


@pytest.mark.parametrize(
    "statuses", MODERATE_CASES, ids=lambda s: "+".join(f"{k}={v}" for k, v in s.items())
)
def test_work_up_has_one_action_per_criterion_not_met_then_reassess(
    terminology: Terminology, statuses: dict[str, str]
) -> None:
    care_plan = plan(terminology, WORKUP, risk_assessment(terminology, **statuses))

    missing = [c for c in CRITERIA if statuses[c] != "met"]
    assert codes(care_plan) == [WORKUP_CODE[c] for c in missing] + ["reassess-high-risk"]
    for activity, criterion in zip(care_plan["activity"], missing, strict=False):
        repeat = statuses[criterion] == "not-met"
        assert activity["detail"]["description"].startswith("No ") is not repeat
    assert care_plan["instantiatesCanonical"] == [WORKUP]
    assert all(a["detail"]["status"] == "not-started" for a in care_plan["activity"])


def test_actions_come_from_the_plan_definition_not_from_code(terminology: Terminology) -> None:
    """Edit the PlanDefinition (drop an action, change a title) and the CarePlan follows."""
    definition = dict(terminology.plan_definitions[CHECKLIST])
    actions = [dict(a) for a in definition["action"][1:]]
    actions[0]["description"] = "Changed in the PlanDefinition."
    definition["action"] = actions
    edited = dataclasses.replace(
        terminology, plan_definitions={**terminology.plan_definitions, CHECKLIST: definition}
    )
    ra = risk_assessment(terminology, **dict.fromkeys(CRITERIA, "met"))
    care_plan = plan(edited, CHECKLIST, ra)

    assert len(care_plan["activity"]) == 14
    assert care_plan["activity"][0]["detail"]["description"] == "Changed in the PlanDefinition."


def test_care_plans_do_not_share_the_plan_definitions_codes(terminology: Terminology) -> None:
    ra = risk_assessment(terminology, **dict.fromkeys(CRITERIA, "met"))
    plan(terminology, CHECKLIST, ra)["activity"][0]["detail"]["code"]["coding"][0]["code"] = "x"
    assert codes(plan(terminology, CHECKLIST, ra))[0] == "mitigate-trigger"
