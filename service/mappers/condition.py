"""Condition -> Evidence (DESIGN.md, "Evidence that counts": Condition)."""

from __future__ import annotations

from service.domain.evidence import Evidence
from service.ingest import CONDITION_VER_STATUS, KeptResource
from service.terminology import Terminology

#: verificationStatus codes that count as present but make the assessment preliminary.
PRELIMINARY_STATUSES = frozenset({"unconfirmed", "provisional", "differential"})


def condition_evidence(kept: KeptResource, terminology: Terminology) -> list[Evidence]:
    """Evidence for every criterion whose ValueSet holds a coding of `Condition.code`.

    Any clinicalStatus counts (a resected neuroblastoma is still a neuroblastoma).
    verificationStatus: refuted -> absent; entered-in-error -> nothing; unconfirmed,
    provisional, differential -> present but preliminary; confirmed, missing, or coded
    only in another system -> present.
    """
    criteria = terminology.criteria_in(kept.resource.get("code"))
    if not criteria:
        return []
    status = verification_status(kept.resource)
    if status == "entered-in-error":
        return []
    present = status != "refuted"
    preliminary = status in PRELIMINARY_STATUSES
    return [
        Evidence(criterion, present, preliminary, kept.reference, kept.path)
        for criterion in criteria
    ]


def verification_status(condition: dict[str, object]) -> str | None:
    """The condition-ver-status code (whitespace stripped), or None if there is none."""
    concept = condition.get("verificationStatus")
    codings = concept.get("coding") if isinstance(concept, dict) else None
    for coding in codings if isinstance(codings, list) else []:
        if not isinstance(coding, dict):
            continue
        system, code = coding.get("system"), coding.get("code")
        if (
            isinstance(system, str)
            and system.strip() == CONDITION_VER_STATUS
            and isinstance(code, str)
        ):
            return code.strip()
    return None
