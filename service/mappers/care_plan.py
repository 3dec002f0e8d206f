"""RiskAssessment -> CarePlan on profile oms-care-plan, generated from a PlanDefinition.

Like PlanDefinition/$apply, but small: each action becomes one activity; an action's
applicability conditions and dynamic values are FHIRPath expressions in the
PlanDefinition, evaluated with `%riskAssessment` bound to the RiskAssessment, and
`%track` / `%trackSearch` to the patient's tumour-search track (`track.Track`). Which
text a patient gets is therefore decided in `profiles/`, not here.

The expressions are evaluated against the RiskAssessment's criterion results only (each
oms-criterion-result extension's `criterion` and `status` parts, in order) and the track,
so what they yield depends on nothing else, and it is computed once per (terminology,
PlanDefinition, criterion results, track): evaluating them took more than half of a
300-resource assessment with OMS hits (bench/RESULTS.md). Every call gets fresh copies;
the course of treatment (`follow`) is applied to them afterwards.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

import orjson

from service.domain.course import Course
from service.domain.criteria import RiskLevel
from service.fhir_json import Json
from service.mappers.actions import applies, description
from service.mappers.references import reference_to
from service.mappers.risk_assessment import CRITERION_RESULT
from service.mappers.track import Track
from service.terminology import CANONICAL_BASE, Terminology

PROFILE = f"{CANONICAL_BASE}/StructureDefinition/oms-care-plan"
CHECKLIST = f"{CANONICAL_BASE}/PlanDefinition/oms-therapy-checklist"
WORKUP = f"{CANONICAL_BASE}/PlanDefinition/oms-diagnostic-workup"
PLAN_FOR_RISK = {
    RiskLevel.CERTAIN: CHECKLIST,
    RiskLevel.HIGH: CHECKLIST,
    RiskLevel.MODERATE: WORKUP,
}


def plan_for(risk: RiskLevel) -> str | None:
    """The PlanDefinition canonical a risk level calls for; None for low (no CarePlan)."""
    return PLAN_FOR_RISK.get(risk)


def build_care_plan(
    plan_definition_url: str,
    terminology: Terminology,
    risk_assessment: Json,
    risk_assessment_ref: str,
    patient: str,
    now: str,
    track: Track,
    course: Course | None = None,
    unclassified: int = 0,
) -> Json:
    """A proposed CarePlan with one activity per applicable action, in action order; each
    activity the course of treatment tracks follows it (status, records, progress)."""
    plan = terminology.definition(plan_definition_url)
    activities, items = _activities(
        terminology, plan["url"], _criterion_results(risk_assessment), track.code, track.search
    )
    activity: list[Json] = orjson.loads(activities)
    if course is not None:
        follow(activity, course)
    care_plan: Json = {
        "resourceType": "CarePlan",
        "meta": {"profile": [PROFILE]},
        "text": {
            "status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{escape(plan["title"])}'
            f"</p><ol>{items}</ol></div>",
        },
        "instantiatesCanonical": [plan["url"]],
        "status": "draft",
        "intent": "proposal",
        "title": plan["title"],
        "description": plan["description"],
        "subject": {"reference": patient},
        "created": now,
        "supportingInfo": [{"reference": risk_assessment_ref}],
        "activity": activity,
    }
    if unclassified:
        records, verb = ("record", "is") if unclassified == 1 else ("records", "are")
        care_plan["note"] = [
            {
                "text": f"{unclassified} medication {records} could not be classified (no "
                f"code in the agent ValueSets or the product map) and {verb} not counted."
            }
        ]
    return care_plan


def follow(activities: list[Json], course: Course) -> None:
    """Each tracked activity's status, the records behind it and what was given, in
    words; untracked ones stay not-started."""
    progress = {item.code: item for item in course.items}
    for activity in activities:
        detail = activity["detail"]
        item = progress.get(detail["code"]["coding"][0]["code"])
        if item is None:
            continue
        detail["status"] = str(item.status)
        if item.references:
            activity["outcomeReference"] = [reference_to(ref) for ref in item.references]
        if item.progress:
            activity["progress"] = [{"text": item.progress}]


#: Distinct (PlanDefinition, criterion results) answers kept; 4 criteria with 3 statuses
#: each make 81 per PlanDefinition.
_CACHED_PLANS = 512

CriterionResults = tuple[tuple[bytes, ...], ...]


def _criterion_results(risk_assessment: Json) -> CriterionResults:
    """The `criterion`, `status` and `unconfirmed` parts of each criterion result, as
    sorted-key JSON."""
    return tuple(
        tuple(
            orjson.dumps(part, option=orjson.OPT_SORT_KEYS)
            for part in extension.get("extension", [])
            if isinstance(part, dict) and part.get("url") in ("criterion", "status", "unconfirmed")
        )
        for extension in risk_assessment.get("extension", [])
        if isinstance(extension, dict) and extension.get("url") == CRITERION_RESULT
    )


@lru_cache(maxsize=_CACHED_PLANS)
def _activities(
    terminology: Terminology,
    plan_url: str,
    results: CriterionResults,
    track: str,
    track_search: str,
) -> tuple[bytes, str]:
    """The activities as JSON, which each caller parses into its own copy (~10 us for
    15 activities; deepcopy took ~95 us), and their narrative list items. Keyed on the
    loaded terminology itself (immutable, hashed by identity), not on the PlanDefinition's
    10 kB of JSON serialised on every call."""
    plan = terminology.definition(plan_url)
    context = {
        "riskAssessment": {
            "resourceType": "RiskAssessment",
            "extension": [
                {"url": CRITERION_RESULT, "extension": [orjson.loads(p) for p in parts]}
                for parts in results
            ],
        },
        "track": track,
        "trackSearch": track_search,
    }
    activities = [
        {
            "detail": {
                "code": action["code"][0],
                "status": "not-started",
                "description": description(action, context),
            }
        }
        for action in plan.get("action", [])
        if applies(action, context)
    ]
    items = "".join(
        f"<li>{escape(a['detail']['code']['coding'][0].get('display', ''))}: "
        f"{escape(a['detail']['description'])}</li>"
        for a in activities
    )
    return orjson.dumps(activities), items
