"""Observation -> Evidence (DESIGN.md, "Evidence that counts": Observation).

Pattern A: `code` names the finding and the value says whether it is there (no value,
`valueBoolean`, or a Present/Positive/Absent/Negative valueCodeableConcept from the
finding ValueSets). Pattern B: `valueCodeableConcept` names the finding, whatever
generic question `code` asks; the finding is then present.

Any other value type (valueQuantity, valueString, ...) says nothing the rules can read
without interpretation (a urinary HVA level needs reference ranges), so pattern A
gives no evidence for it; pattern B does not apply since it needs a CodeableConcept.
"""

from __future__ import annotations

from typing import Any

from service.domain.evidence import Evidence
from service.ingest import KeptResource
from service.terminology import Terminology

#: Observation statuses whose result can be used; `preliminary` makes it preliminary.
USABLE_STATUSES = frozenset({"final", "amended", "corrected", "preliminary"})


def observation_evidence(kept: KeptResource, terminology: Terminology) -> list[Evidence]:
    """Evidence from pattern A and pattern B, one per criterion and polarity.

    Nothing from an Observation whose status is not final, amended, corrected or
    preliminary, or that has a dataAbsentReason.
    """
    observation = kept.resource
    status = observation.get("status")
    if status not in USABLE_STATUSES or "dataAbsentReason" in observation:
        return []
    preliminary = status == "preliminary"
    value_concept = observation.get("valueCodeableConcept")

    found: dict[tuple[str, bool], None] = {}
    said = _pattern_a(observation, terminology)
    if said is not None:
        for criterion in terminology.criteria_in(observation.get("code")):
            found[criterion, said] = None
    for criterion in terminology.criteria_in(value_concept):
        found[criterion, True] = None
    return [
        Evidence(criterion, present, preliminary, kept.reference, kept.path)
        for criterion, present in found
    ]


def _pattern_a(observation: dict[str, Any], terminology: Terminology) -> bool | None:
    """What the value says of the finding in `code`: True, False, or None (nothing)."""
    values = [key for key in observation if key.startswith("value")]
    if not values:
        return True
    if values == ["valueBoolean"]:
        value = observation["valueBoolean"]
        return value if isinstance(value, bool) else None
    if values == ["valueCodeableConcept"]:
        return terminology.finding_value(observation["valueCodeableConcept"])
    return None
