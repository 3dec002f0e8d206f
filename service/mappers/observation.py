"""Observation -> Evidence (DESIGN.md, "Evidence that counts": Observation).

Pattern A: `code` names the finding and the value says whether it is there (no value,
`valueBoolean`, or a Present/Absent/Yes/No valueCodeableConcept from the finding
ValueSets). Pattern B: `code` is a generic finding question (ValueSet
oms-finding-question) and `valueCodeableConcept` names the finding, which is then
present. Other questions (family history, reason for referral) never count: they are
about someone else, or a suspicion.

`interpretation` decides when there is no value (POS/DET present, NEG/ND absent: how
phenotype feeds record an excluded sign); one that contradicts the value makes the
Observation decide nothing.

Each `component` is read like an Observation of its own (its code, value and
interpretation, the parent's status and subject). An Observation with components and no
value of its own is a panel: its top-level code is not itself a finding.

Any other value type (valueQuantity, valueString, ...) says nothing the rules can read
without interpretation (a urinary HVA level needs reference ranges).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from service.domain.evidence import Evidence
from service.intake import KeptResource
from service.mappers.reading import Reading
from service.mappers.timing import PatientClock, observation_timing, unknown_clock
from service.terminology import Terminology

#: Observation statuses whose result can be used; `preliminary` makes it preliminary.
USABLE_STATUSES: Final = frozenset({"final", "amended", "corrected", "preliminary"})


def read_observation(kept: KeptResource, terminology: Terminology, clock: PatientClock) -> Reading:
    """Evidence from patterns A and B, for the Observation and each component, one per
    criterion and polarity; and whether a part carries the OMS code (no recorded
    diagnosis, but the rationale names it). Its dates are read once.

    Nothing from an Observation whose status is not final, amended, corrected or
    preliminary, or that has a dataAbsentReason (nor from such a component).
    """
    observation = kept.resource
    timing = observation_timing(observation, clock)
    if not usable(observation):
        return Reading(skipped=timing.skipped)
    preliminary = observation.get("status") == "preliminary" or kept.suspicion

    found: dict[tuple[str, bool], None] = {}
    mentions_oms = False
    for part in _parts(observation):
        code, value = part.get("code"), part.get("valueCodeableConcept")
        interpretation = terminology.interpretation(part.get("interpretation"))
        said = _pattern_a(part, terminology, interpretation)
        if said is not None:
            for criterion in terminology.criteria_in(code, timing.age):
                found[criterion, said] = None
        if terminology.is_finding_question(code) and interpretation is not False:
            for criterion in terminology.criteria_in(value, timing.age):
                found[criterion, True] = None
        mentions_oms = mentions_oms or (
            terminology.records_diagnosis(code) or terminology.records_diagnosis(value)
        )
    evidence = tuple(
        Evidence(criterion, present, preliminary, kept.reference, timing.recorded, timing.age)
        for criterion, present in found
    )
    return Reading(evidence, mentions_oms=mentions_oms, skipped=timing.skipped)


def observation_evidence(
    kept: KeptResource, terminology: Terminology, clock: PatientClock | None = None
) -> list[Evidence]:
    """`read_observation`'s evidence (a patient of unknown age assessed today by default)."""
    return list(read_observation(kept, terminology, clock or unknown_clock()).evidence)


def usable(observation: dict[str, Any]) -> bool:
    return observation.get("status") in USABLE_STATUSES and "dataAbsentReason" not in observation


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


def _pattern_a(
    element: dict[str, Any], terminology: Terminology, interpretation: bool | None
) -> bool | None:
    """What the value (or, without one, the interpretation) says of the finding in
    `code`: True, False, or None (nothing, or a contradiction)."""
    values = _value_keys(element)
    if not values:
        return True if interpretation is None else interpretation
    said: bool | None = None
    if values == ["valueBoolean"]:
        value = element["valueBoolean"]
        said = value if isinstance(value, bool) else None
    elif values == ["valueCodeableConcept"]:
        said = terminology.finding_value(element["valueCodeableConcept"])
    if said is None or interpretation is None or interpretation == said:
        return said
    return None
