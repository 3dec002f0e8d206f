"""Which resources can be evidence: decided on the head, before anything is parsed."""

from __future__ import annotations

from service.ingest.heads import Head
from service.terminology import Terminology

EVIDENCE_TYPES = ("Condition", "Observation")


def is_candidate(head: Head, terminology: Terminology) -> bool:
    """Whether a Condition or Observation can be evidence or record the diagnosis."""
    if _relevant(head.code, terminology):
        return True
    if head.type != "Observation":
        return False
    if _relevant(head.valueCodeableConcept, terminology):
        return True
    components = head.component if isinstance(head.component, list) else []
    return any(
        isinstance(c, dict)
        and (
            _relevant(c.get("code"), terminology)
            or _relevant(c.get("valueCodeableConcept"), terminology)
        )
        for c in components
    )


def _relevant(concept: object, terminology: Terminology) -> bool:
    """Stops at the first relevant coding: it runs for every Condition and Observation."""
    if not isinstance(concept, dict):
        return False
    codings = concept.get("coding")
    if not isinstance(codings, list):
        return False
    for coding in codings:
        if isinstance(coding, dict):
            system, code = coding.get("system"), coding.get("code")
            if (
                isinstance(system, str)
                and isinstance(code, str)
                and terminology.relevant(system, code)
            ):
                return True
    return False
