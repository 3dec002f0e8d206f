"""An assessment as CDS Hooks cards: one card for certain, high or moderate risk, none for low.

High: indicator `warning`, one suggestion creating the RiskAssessment and the therapy
checklist CarePlan. Certain (the diagnosis is already recorded): indicator `info`, no
alarm, the checklist offered the same way; in relapse (DESIGN.md, "Episodes"), indicator
`warning` ("OMS relapse since DATE"). Moderate: indicator `info`, the card names the
missing work-up and its suggestion creates the RiskAssessment and the work-up CarePlan
(the plan cites the assessment, so both go together). Each suggested resource gets a
fresh `id`, and the CarePlan cites the RiskAssessment as `RiskAssessment/<id>`: a
suggestion's actions carry no fullUrl, so a `urn:uuid:` reference could not be resolved
by the client.
No value in a card is null or empty (CDS Hooks 2.0 forbids both).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Final

from service.domain.criteria import CriterionResult, CriterionStatus, RiskLevel
from service.engine import AssessmentResult
from service.fhir_json import Json
from service.terminology import CANONICAL_BASE, Terminology

SOURCE_LABEL: Final = "oms-cds"
#: Why a clinician may dismiss the card (sent back in feedback as `overrideReason.reason`):
#: the concepts of this CodeSystem in profiles/.
OVERRIDE_SYSTEM: Final = f"{CANONICAL_BASE}/CodeSystem/oms-cds-override-reason"
_STATUS_WORDS: Final = {
    CriterionStatus.MET: "met",
    CriterionStatus.NOT_MET: "not met",
    CriterionStatus.UNKNOWN: "unknown",
}
#: Risk values (`RiskLevel` values, as strings) whose card links to the clinician app:
#: `certain` (a recorded OMS diagnosis) is included by value, whether or not the
#: domain has that level yet.
SMART_LINK_RISKS: Final = frozenset({"high", "moderate", "certain"})
SMART_LINK_LABEL: Final = "Open the OMS assessment: criteria, timeline and plan"
_MARKDOWN_SPECIAL: Final = re.compile(r"([\\`*_{}\[\]<>|#~!&])")


def cards_for(
    result: AssessmentResult,
    terminology: Terminology,
    *,
    new_uuid: Callable[[], str] = lambda: str(uuid.uuid4()),
    app_launch_url: str | None = None,
) -> list[Json]:
    """The cards for one assessment: [] for low risk.

    `app_launch_url`: the SMART app's launch URL; the card of a risk in
    `SMART_LINK_RISKS` then carries a link of type `smart` to it (CDS Hooks 2.0).
    """
    risk = result.assessment.risk
    if risk is RiskLevel.LOW or result.care_plan is None:
        return []
    risk_assessment, care_plan = _suggested_resources(result, new_uuid)
    criteria_table = _criteria_markdown(result, terminology)
    total = len(result.assessment.results)
    met = result.assessment.met_count
    relapse = None if result.course is None else result.course.relapse_since
    if risk is RiskLevel.CERTAIN and relapse is not None:
        summary = f"OMS relapse since {relapse.isoformat()}: therapy checklist for the relapse"
        indicator = "warning"
        detail = (
            f"**Opsoclonus myoclonus syndrome, in relapse since {relapse.isoformat()}.** "
            f"{met} of {total} diagnostic criteria are met on the data available.\n\n"
            f"{criteria_table}\n\n"
            f"The suggestion proposes the *{_escape(str(care_plan['title']))}* "
            f"({len(care_plan['activity'])} items, following what was given in this episode) "
            "as a draft care plan."
        )
        label = "Record the OMS assessment and propose the relapse checklist"
        plan_action = "Propose the OMS therapy checklist as a draft CarePlan"
    elif risk is RiskLevel.CERTAIN:
        summary = "OMS diagnosis recorded: therapy checklist available"
        indicator = "info"
        detail = (
            "**Opsoclonus myoclonus syndrome is already diagnosed** in this record. "
            f"{met} of {total} diagnostic criteria are met on the data available.\n\n"
            f"{criteria_table}\n\n"
            f"The suggestion proposes the *{_escape(str(care_plan['title']))}* "
            f"({len(care_plan['activity'])} items) as a draft care plan."
        )
        label = "Record the OMS assessment and propose the therapy checklist"
        plan_action = "Propose the OMS therapy checklist as a draft CarePlan"
    elif risk is RiskLevel.HIGH:
        summary = f"Meets OMS diagnostic criteria ({met} of {total})"
        indicator = "warning"
        detail = (
            f"**{met} of {total} OMS diagnostic criteria are met** "
            f"(Genoa 2004 consensus: 3 of 4 needed).\n\n{criteria_table}\n\n"
            f"The suggestion records this assessment and proposes the "
            f"*{_escape(str(care_plan['title']))}* "
            f"({len(care_plan['activity'])} items) as a draft care plan."
        )
        label = "Record the OMS assessment and propose the therapy checklist"
        plan_action = "Propose the OMS therapy checklist as a draft CarePlan"
    else:
        summary = f"OMS cannot be ruled out ({met} of {total} criteria met): work-up needed"
        indicator = "info"
        detail = (
            f"**{met} of {total} OMS diagnostic criteria are met** (3 of 4 are needed), "
            f"with a neurological sign: OMS cannot be ruled out.\n\n{criteria_table}\n\n"
            f"**Missing work-up**\n\n{_activities_markdown(care_plan)}"
        )
        label = "Record the OMS assessment and propose the diagnostic work-up"
        plan_action = "Propose the OMS diagnostic work-up as a draft CarePlan"
    if result.assessment.preliminary:
        detail += (
            "\n\nA met criterion (or the diagnosis) rests only on unconfirmed or "
            "preliminary evidence, so the assessment is marked preliminary."
        )
    card: Json = {
        "uuid": new_uuid(),
        "summary": summary,
        "indicator": indicator,
        "detail": detail,
        "source": _source(result.risk_assessment),
        "suggestions": [
            {
                "label": label,
                "uuid": new_uuid(),
                "isRecommended": True,
                "actions": [
                    {
                        "type": "create",
                        "description": "Record the OMS risk assessment",
                        "resource": risk_assessment,
                    },
                    {"type": "create", "description": plan_action, "resource": care_plan},
                ],
            }
        ],
        "selectionBehavior": "at-most-one",
        "overrideReasons": [
            {"system": OVERRIDE_SYSTEM, "code": concept["code"], "display": concept["display"]}
            for concept in terminology.definition(OVERRIDE_SYSTEM)["concept"]
        ],
    }
    if app_launch_url and str(risk.value) in SMART_LINK_RISKS:
        card["links"] = [{"label": SMART_LINK_LABEL, "url": app_launch_url, "type": "smart"}]
    return [card]


def _suggested_resources(
    result: AssessmentResult, new_uuid: Callable[[], str]
) -> tuple[Json, Json]:
    """New top-level dicts with their own ids (the nested elements are shared with the
    assessment's, never changed: a deep copy cost 7% of a 300-resource hook call)."""
    assert result.care_plan is not None
    risk_assessment = {**result.risk_assessment, "id": new_uuid()}
    care_plan = {
        **result.care_plan,
        "id": new_uuid(),
        "supportingInfo": [{"reference": f"RiskAssessment/{risk_assessment['id']}"}],
    }
    return _ordered(risk_assessment), _ordered(care_plan)


def _ordered(resource: Json) -> Json:
    """`resourceType` and `id` first, as FHIR JSON is usually written."""
    head = {"resourceType": resource["resourceType"], "id": resource["id"]}
    return {**head, **{k: v for k, v in resource.items() if k not in head}}


def _source(risk_assessment: Json) -> Json:
    source: Json = {"label": SOURCE_LABEL}
    codings = risk_assessment["prediction"][0]["outcome"].get("coding") or []
    if codings and codings[0].get("system") and codings[0].get("code"):
        source["topic"] = {
            k: codings[0][k] for k in ("system", "code", "display") if codings[0].get(k)
        }
    return source


def _criteria_markdown(result: AssessmentResult, terminology: Terminology) -> str:
    rows = ["| Criterion | Status | Evidence |", "| --- | --- | --- |"]
    rows.extend(
        f"| {_escape(terminology.criterion_displays[item.criterion])} "
        f"| {_STATUS_WORDS[item.status]} | {_evidence(item, terminology)} |"
        for item in result.assessment.results
    )
    return "\n".join(rows)


def _evidence(item: CriterionResult, terminology: Terminology) -> str:
    references = list(dict.fromkeys(e.reference for e in item.evidence))
    if not references:
        return "nothing recorded"
    shown = ", ".join(_escape(ref) for ref in references)
    if item.status is CriterionStatus.MET:
        return f"{shown} (unconfirmed)" if item.unconfirmed else shown
    words = terminology.not_met_words.get(item.criterion, "recorded absent")
    return f"{shown} ({_escape(words)})"


def _activities_markdown(care_plan: Json) -> str:
    lines = []
    for activity in care_plan["activity"]:
        detail = activity["detail"]
        codings = detail.get("code", {}).get("coding") or [{}]
        title = codings[0].get("display") or codings[0].get("code") or "Activity"
        lines.append(f"- **{_escape(str(title))}**: {_escape(str(detail['description']))}")
    return "\n".join(lines)


def _escape(text: str) -> str:
    """Plain text safe inside GitHub-flavoured Markdown (and its table cells): no HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
