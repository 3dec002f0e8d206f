"""Observation -> Evidence (DESIGN.md, "Evidence that counts": Observation).

Pattern A: `code` names the finding and the value says whether it is there (no value,
`valueBoolean`, or a Present/Absent/Yes/No valueCodeableConcept from the finding
ValueSets). Pattern B: `code` is a generic finding question (ValueSet
oms-finding-question) and `valueCodeableConcept` names the finding, which is then
present. Other questions (family history, reason for referral) never count: they are
about someone else, or a suspicion.

Each `component` is read like an Observation of its own (its code and value, the
parent's status and subject). An Observation with components and no value of its own
is a panel: its top-level code is not itself a finding.

Any other value type (valueQuantity, valueString, ...) says nothing the rules can read
without interpretation (a urinary HVA level needs reference ranges).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, Final

from service.domain.dates import age_in_months, parse_date
from service.domain.evidence import Evidence
from service.ingest import KeptResource
from service.terminology import Terminology

#: Observation statuses whose result can be used; `preliminary` makes it preliminary.
USABLE_STATUSES: Final = frozenset({"final", "amended", "corrected", "preliminary"})


def observation_evidence(
    kept: KeptResource,
    terminology: Terminology,
    birth_date: date | None = None,
    today: date | None = None,
) -> list[Evidence]:
    """Evidence from patterns A and B, for the Observation and each component, one per
    criterion and polarity.

    Nothing from an Observation whose status is not final, amended, corrected or
    preliminary, or that has a dataAbsentReason (nor from such a component).
    """
    observation = kept.resource
    status = observation.get("status")
    if status not in USABLE_STATUSES or "dataAbsentReason" in observation:
        return []
    preliminary = status == "preliminary"
    when = recorded_date(observation)
    on = parse_date(when) or today
    age = None if birth_date is None or on is None else age_in_months(birth_date, on) // 12

    found: dict[tuple[str, bool], None] = {}
    for part in _parts(observation):
        said = _pattern_a(part, terminology)
        if said is not None:
            for criterion in terminology.criteria_in(part.get("code"), age):
                found[criterion, said] = None
        if terminology.is_finding_question(part.get("code")):
            for criterion in terminology.criteria_in(part.get("valueCodeableConcept"), age):
                found[criterion, True] = None
    return [
        Evidence(criterion, present, preliminary, kept.reference, kept.path, when)
        for criterion, present in found
    ]


def recorded_date(observation: dict[str, Any]) -> str | None:
    """When the finding was seen (effective time, else issued), as a FHIR date."""
    period = observation.get("effectivePeriod")
    for value in (
        observation.get("effectiveDateTime"),
        period.get("start") if isinstance(period, dict) else None,
        observation.get("effectiveInstant"),
        observation.get("issued"),
    ):
        if isinstance(value, str) and parse_date(value) is not None:
            return value[:10]
    return None


def _parts(observation: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The Observation itself unless it is a panel, then each usable component."""
    components = observation.get("component")
    components = components if isinstance(components, list) else []
    if not (components and not _value_keys(observation)):
        yield observation
    for component in components:
        if isinstance(component, dict) and "dataAbsentReason" not in component:
            yield component


def _value_keys(element: dict[str, Any]) -> list[str]:
    return [key for key in element if key.startswith("value")]


def _pattern_a(element: dict[str, Any], terminology: Terminology) -> bool | None:
    """What the value says of the finding in `code`: True, False, or None (nothing)."""
    values = _value_keys(element)
    if not values:
        return True
    if values == ["valueBoolean"]:
        value = element["valueBoolean"]
        return value if isinstance(value, bool) else None
    if values == ["valueCodeableConcept"]:
        return terminology.finding_value(element["valueCodeableConcept"])
    return None
