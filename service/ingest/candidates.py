"""Which resources can be evidence: decided on the head, before anything is parsed.

Conditions and Observations whose code (or an Observation's value or component) is in a
criterion ValueSet or records the diagnosis; DiagnosticReports whose `conclusionCode`
is; and requests whose `reasonCode` is (a suspicion: it counts at most as unconfirmed).
"""

from __future__ import annotations

from typing import Final

from service.ingest.heads import Head
from service.terminology import Terminology

#: Requests whose reason (`reasonCode`, or a Condition contained as the reason) is a
#: suspicion, never a finding: "rule out neuroblastoma" on an MIBG order.
REQUEST_TYPES: Final = frozenset(
    {"ServiceRequest", "MedicationRequest", "DeviceRequest", "CommunicationRequest"}
)
CANDIDATE_TYPES: Final = frozenset({"Condition", "Observation", "DiagnosticReport"}) | REQUEST_TYPES
#: Treatment records (DESIGN.md, "The course of treatment"), and the statuses and intents
#: that say something was given or ordered (required bindings of R4).
MEDICATION_RECORD_TYPES: Final = frozenset(
    {"MedicationRequest", "MedicationAdministration", "MedicationStatement"}
)
TREATMENT_TYPES: Final = MEDICATION_RECORD_TYPES | {"Procedure", "ServiceRequest", "Observation"}
COUNTED_STATUSES: Final = {
    "MedicationRequest": frozenset({"active", "on-hold", "completed", "stopped"}),
    "MedicationAdministration": frozenset({"completed", "in-progress", "on-hold", "stopped"}),
    "MedicationStatement": frozenset({"active", "completed", "on-hold", "stopped"}),
    "Procedure": frozenset({"completed", "in-progress"}),
    "ServiceRequest": frozenset({"active"}),
    "Observation": frozenset({"final", "amended", "corrected", "preliminary"}),
}
ORDER_INTENTS: Final = frozenset({"order", "original-order", "instance-order", "plan"})
#: Containers whose contained findings are about someone else (a relative).
NEVER_ABOUT_THE_PATIENT: Final = frozenset({"FamilyMemberHistory"})


def is_candidate(head: Head, terminology: Terminology) -> bool:
    """Whether the resource can be evidence or record the diagnosis."""
    resource_type = head.type
    if resource_type == "DiagnosticReport":
        return _any_relevant(head.conclusionCode, terminology)
    if resource_type in REQUEST_TYPES:
        return _any_relevant(head.reasonCode, terminology)
    if _relevant(head.code, terminology):
        return True
    if resource_type != "Observation":
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


def counted_record(head: Head) -> bool:
    """Whether a treatment record's status (and a MedicationRequest's intent) says the
    agent was given, is being given, or (a ServiceRequest) is ordered."""
    resource_type = head.type
    statuses = COUNTED_STATUSES.get(resource_type or "")
    if statuses is None or head.status not in statuses:
        return False
    return resource_type != "MedicationRequest" or head.intent in ORDER_INTENTS


def treatment_kind(head: Head, terminology: Terminology) -> str | None:
    """`record` for a treatment record to read whole, `unclassified` for a counted
    medication record whose codes match no agent, None for anything else. A record that
    names its Medication by reference is read whole (the Medication decides)."""
    resource_type = head.type
    if resource_type not in TREATMENT_TYPES or not counted_record(head):
        return None
    if resource_type in MEDICATION_RECORD_TYPES:
        if head.medicationReference is not None:
            return "record"
        return "record" if _classes(head.medicationCodeableConcept, terminology) else "unclassified"
    return "record" if _classes(head.code, terminology) else None


def _classes(concept: object, terminology: Terminology) -> bool:
    """Whether a coding of the concept falls in an agent class (stops at the first)."""
    if not isinstance(concept, dict):
        return False
    codings = concept.get("coding")
    if not isinstance(codings, list):
        return False
    tracks = terminology.treatment.tracks
    for coding in codings:
        if isinstance(coding, dict):
            system, code = coding.get("system"), coding.get("code")
            if isinstance(system, str) and isinstance(code, str) and tracks(system, code):
                return True
    return False


def _any_relevant(concepts: object, terminology: Terminology) -> bool:
    return isinstance(concepts, list) and any(_relevant(c, terminology) for c in concepts)


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
