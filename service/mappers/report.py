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
from service.ingest import KeptResource
from service.mappers.timing import PatientClock, authored_timing, observation_timing
from service.terminology import Terminology

#: Report statuses whose conclusion counts; `preliminary` as unconfirmed.
REPORT_STATUSES: Final = frozenset({"final", "amended", "corrected", "preliminary"})


def report_evidence(
    kept: KeptResource, terminology: Terminology, clock: PatientClock
) -> list[Evidence]:
    report = kept.resource
    status = report.get("status")
    if status not in REPORT_STATUSES:
        return []
    timing = observation_timing(report, clock)
    preliminary = status == "preliminary" or kept.suspicion
    return [
        Evidence(criterion, True, preliminary, kept.reference, timing.recorded, timing.age)
        for criterion in _criteria(report.get("conclusionCode"), terminology, timing.age)
    ]


def report_records_oms(kept: KeptResource, terminology: Terminology) -> bool:
    """A report concluding OMS: no recorded diagnosis, but the rationale names it."""
    report = kept.resource
    concepts = report.get("conclusionCode")
    if report.get("status") not in REPORT_STATUSES or not isinstance(concepts, list):
        return False
    return any(terminology.records_diagnosis(c) for c in concepts)


def reason_evidence(
    kept: KeptResource, terminology: Terminology, clock: PatientClock
) -> list[Evidence]:
    """Each criterion a request's reasonCode names: present, unconfirmed."""
    request = kept.resource
    if request.get("status") == "entered-in-error":
        return []
    timing = authored_timing(request, clock)
    return [
        Evidence(criterion, True, True, kept.reference, timing.recorded, timing.age)
        for criterion in _criteria(request.get("reasonCode"), terminology, timing.age)
    ]


def reason_diagnosis(
    kept: KeptResource, terminology: Terminology, clock: PatientClock
) -> Diagnosis | None:
    """A request made for OMS: a suspicion of OMS (never a diagnosis)."""
    request = kept.resource
    concepts = request.get("reasonCode")
    if request.get("status") == "entered-in-error" or not isinstance(concepts, list):
        return None
    if not any(terminology.records_diagnosis(c) for c in concepts):
        return None
    timing = authored_timing(request, clock)
    return Diagnosis(kept.reference, True, timing.recorded, timing.age)


def _criteria(concepts: object, terminology: Terminology, age: AgeSpan | None) -> list[str]:
    if not isinstance(concepts, list):
        return []
    found: dict[str, None] = {}
    for concept in concepts:
        for criterion in terminology.criteria_in(concept, age):
            found[criterion] = None
    return list(found)
