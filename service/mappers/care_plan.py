"""RiskAssessment -> CarePlan on profile oms-care-plan, generated from a PlanDefinition.

Like PlanDefinition/$apply, but small: each action becomes one activity; an action's
applicability conditions and dynamic values are FHIRPath expressions in the
PlanDefinition, evaluated with `%riskAssessment` bound to the RiskAssessment. Which
text a patient gets is therefore decided in `profiles/`, not here.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from functools import cache
from html import escape
from typing import Any

from fhirpathpy import compile as compile_fhirpath
from fhirpathpy.models import models as fhirpath_models

from service.domain.criteria import RiskLevel
from service.errors import TerminologyError
from service.terminology import CANONICAL_BASE, Terminology

Json = dict[str, Any]

PROFILE = f"{CANONICAL_BASE}/StructureDefinition/oms-care-plan"
CHECKLIST = f"{CANONICAL_BASE}/PlanDefinition/oms-therapy-checklist"
WORKUP = f"{CANONICAL_BASE}/PlanDefinition/oms-diagnostic-workup"
PLAN_FOR_RISK = {RiskLevel.HIGH: CHECKLIST, RiskLevel.MODERATE: WORKUP}
FHIRPATH = "text/fhirpath"

Expression = Callable[[Json, Json], list[Any]]


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
) -> Json:
    """A proposed CarePlan with one activity per applicable action, in action order."""
    plan = terminology.definition(plan_definition_url)
    context = {"riskAssessment": risk_assessment}
    activities = [
        {
            "detail": {
                "code": deepcopy(action["code"][0]),
                "status": "not-started",
                "description": _description(action, context),
            }
        }
        for action in plan.get("action", [])
        if _applies(action, context)
    ]
    items = "".join(
        f"<li>{escape(a['detail']['code']['coding'][0].get('display', ''))}: "
        f"{escape(a['detail']['description'])}</li>"
        for a in activities
    )
    return {
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
        "activity": activities,
    }


def _applies(action: Json, context: Json) -> bool:
    for condition in action.get("condition", []):
        if condition.get("kind") != "applicability":
            continue
        result = _compiled(_expression_text(condition["expression"]))({}, context)
        if result != [True]:
            return False
    return True


def _description(action: Json, context: Json) -> str:
    description = str(action.get("description") or action.get("title") or "")
    for dynamic in action.get("dynamicValue", []):
        if dynamic.get("path") == "description":
            result = _compiled(_expression_text(dynamic["expression"]))({}, context)
            if len(result) != 1 or not isinstance(result[0], str):
                raise TerminologyError("a description dynamicValue must yield one string")
            description = result[0]
    return description


def _expression_text(expression: Json) -> str:
    if expression.get("language") != FHIRPATH or not isinstance(expression.get("expression"), str):
        raise TerminologyError("PlanDefinition expressions must be inline text/fhirpath")
    text: str = expression["expression"]
    return text


@cache
def _compiled(text: str) -> Expression:
    """Compile each expression once per process: compiling costs far more than running."""
    compiled: Expression = compile_fhirpath(text, fhirpath_models["r4"])
    return compiled
