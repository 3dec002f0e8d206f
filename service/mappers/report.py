"""DiagnosticReport and request reasons -> Evidence (DESIGN.md, "Evidence that counts").

A report whose `conclusionCode` is in a criterion ValueSet (a biopsy or MIBG report that
concludes "neuroblastoma") is evidence that the finding is present: final, amended or
corrected reports count, preliminary ones as unconfirmed. A request's `reasonCode`
("rule out neuroblastoma" on an MIBG order) is a suspicion: present, but unconfirmed.
"""

from __future__ import annotations

from typing import Final

from service.domain.dates import AgeSpan
from service.domain.evidence import Diagnosis, Evidence
from service.intake import KeptResource
from service.mappers.reading import Reading
from service.mappers.timing import PatientClock, authored_timing, observation_timing
from service.terminology import Terminology

#: Report statuses whose conclusion counts; `preliminary` as unconfirmed.
REPORT_STATUSES: Final = frozenset({"final", "amended", "corrected", "preliminary"})


def read_report(kept: KeptResource, terminology: Terminology, clock: PatientClock) -> Reading:
    """A conclusion in a criterion ValueSet: present (preliminary reports unconfirmed); a
    conclusion of OMS is named, never a diagnosis."""
    report = kept.resource
    timing = observation_timing(report, clock)
    status = report.get("status")
    if status not in REPORT_STATUSES:
        return Reading(skipped=timing.skipped)
    concepts = report.get("conclusionCode")
    preliminary = status == "preliminary" or kept.suspicion
    evidence = tuple(
        Evidence(criterion, True, preliminary, kept.reference, timing.recorded, timing.age)
        for criterion in _criteria(concepts, terminology, timing.age)
    )
    mentions_oms = isinstance(concepts, list) and any(
        terminology.records_diagnosis(c) for c in concepts
    )
    return Reading(evidence, mentions_oms=mentions_oms, skipped=timing.skipped)


def read_reason(kept: KeptResource, terminology: Terminology, clock: PatientClock) -> Reading:
    """Each criterion a request's reasonCode names: present, unconfirmed; a request made
    for OMS is a suspicion of OMS (never a diagnosis)."""
    request = kept.resource
    if request.get("status") == "entered-in-error":
        return Reading()
    concepts = request.get("reasonCode")
    timing = authored_timing(request, clock)
    evidence = tuple(
        Evidence(criterion, True, True, kept.reference, timing.recorded, timing.age)
        for criterion in _criteria(concepts, terminology, timing.age)
    )
    suspected = isinstance(concepts, list) and any(
        terminology.records_diagnosis(c) for c in concepts
    )
    diagnosis = Diagnosis(kept.reference, True, timing.recorded, timing.age) if suspected else None
    return Reading(evidence, diagnosis)


def _criteria(concepts: object, terminology: Terminology, age: AgeSpan | None) -> list[str]:
    if not isinstance(concepts, list):
        return []
    found: dict[str, None] = {}
    for concept in concepts:
        for criterion in terminology.criteria_in(concept, age):
            found[criterion] = None
    return list(found)
