"""What a CDS Hooks 2.0 validator (Inferno's checks, the S3 invariants) would flag."""

from __future__ import annotations

import re
from typing import Any

from tests.cds.builders import empty_values

Json = dict[str, Any]

INDICATORS = {"info", "warning", "critical"}
SELECTION = {"at-most-one", "any"}
ACTION_TYPES = {"create", "update", "delete"}
_TOKEN = re.compile(r"\{\{(.*?)\}\}")
_ALLOWED_TOKENS = re.compile(
    r"context\.[A-Za-z][A-Za-z0-9]*|userPractitionerId|userPractitionerRoleId"
    r"|userPatientId|userRelatedPersonId"
)


def response_problems(document: Json) -> list[str]:
    problems: list[str] = []
    cards = document.get("cards")
    if not isinstance(cards, list):
        return ["cards is not an array"]
    body = {k: v for k, v in document.items() if not (k == "cards" and v == [])}
    problems += [f"empty value at {p}" for p in empty_values(body) if p != "$"]
    for n, card in enumerate(cards):
        where = f"cards[{n}]"
        summary = card.get("summary")
        if not isinstance(summary, str) or len(summary) >= 140:
            problems.append(f"{where}.summary missing or 140+ characters")
        if card.get("indicator") not in INDICATORS:
            problems.append(f"{where}.indicator not info/warning/critical")
        source = card.get("source")
        if not isinstance(source, dict) or not isinstance(source.get("label"), str):
            problems.append(f"{where}.source.label missing")
        suggestions = card.get("suggestions")
        if suggestions is not None:
            if card.get("selectionBehavior") not in SELECTION:
                problems.append(f"{where}.selectionBehavior missing with suggestions")
            recommended = [s for s in suggestions if s.get("isRecommended")]
            if card.get("selectionBehavior") == "at-most-one" and len(recommended) > 1:
                problems.append(f"{where}: more than one recommended suggestion")
            for k, suggestion in enumerate(suggestions):
                if not isinstance(suggestion.get("label"), str):
                    problems.append(f"{where}.suggestions[{k}].label missing")
                for a, action in enumerate(suggestion.get("actions", [])):
                    problems += _action(action, f"{where}.suggestions[{k}].actions[{a}]")
        for k, reason in enumerate(card.get("overrideReasons", [])):
            if not all(isinstance(reason.get(f), str) for f in ("code", "system", "display")):
                problems.append(f"{where}.overrideReasons[{k}] lacks code, system or display")
        for k, link in enumerate(card.get("links", [])):
            if not all(isinstance(link.get(f), str) for f in ("label", "url", "type")):
                problems.append(f"{where}.links[{k}] lacks label, url or type")
            if link.get("type") != "smart" and "appContext" in link:
                problems.append(f"{where}.links[{k}].appContext on a non-smart link")
    for a, action in enumerate(document.get("systemActions", [])):
        problems += _action(action, f"systemActions[{a}]")
    return problems


def _action(action: Json, where: str) -> list[str]:
    problems = []
    if action.get("type") not in ACTION_TYPES:
        problems.append(f"{where}.type not create/update/delete")
    if not isinstance(action.get("description"), str):
        problems.append(f"{where}.description missing")
    if action.get("type") in ("create", "update"):
        resource = action.get("resource")
        if not isinstance(resource, dict) or "resourceType" not in resource:
            problems.append(f"{where}.resource is not a FHIR resource")
    return problems


def discovery_problems(document: Json) -> list[str]:
    problems = [f"empty value at {p}" for p in empty_values(document) if p != "$"]
    services = document.get("services")
    if not isinstance(services, list):
        return ["services is not an array"]
    for n, service in enumerate(services):
        problems.extend(
            f"services[{n}].{field} missing"
            for field in ("hook", "description", "id")
            if not isinstance(service.get(field), str)
        )
        problems.extend(
            f"services[{n}].prefetch.{key}: token {token} not allowed"
            for key, template in service.get("prefetch", {}).items()
            for token in _TOKEN.findall(template)
            if not _ALLOWED_TOKENS.fullmatch(token)
        )
    return problems
