"""Which resources can be evidence: decided on the head, before anything is parsed.

Conditions and Observations whose code (or an Observation's value or component) is in a
criterion ValueSet or records the diagnosis; DiagnosticReports whose `conclusionCode`
is; and requests whose `reasonCode` is (a suspicion: it counts at most as unconfirmed).
"""

from __future__ import annotations

from typing import Final

from service.intake.heads import Coding, Component, Concept, Head
from service.terminology import RELEVANT, TRACKED, Terminology

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


def read_codes(
    head: Head, terminology: Terminology, resource_type: str | None = None
) -> tuple[bool, str | None]:
    """(can it be evidence, its treatment kind): what the walk asks of every resource, in
    one pass over each concept's codings (the codes of every Observation are most of a
    large request's work here). `resource_type`: the head's, when the caller read it."""
    resource_type = resource_type or head.type
    if resource_type == "Observation" or resource_type == "Condition":
        flags = _flags(head.code, terminology)
        if resource_type == "Condition":
            return bool(flags & RELEVANT), None
        candidate = bool(flags & RELEVANT) or (
            (head.valueCodeableConcept is not None or head.component is not None)
            and _observation_values(head, terminology)
        )
        if flags & TRACKED and counted_record(head):
            return candidate, "record"
        return candidate, None
    if resource_type == "DiagnosticReport":
        return _any_relevant(head.conclusionCode, terminology), None
    candidate = resource_type in REQUEST_TYPES and _any_relevant(head.reasonCode, terminology)
    return candidate, treatment_kind(head, terminology)


def is_candidate(head: Head, terminology: Terminology) -> bool:
    """Whether the resource can be evidence or record the diagnosis."""
    return read_codes(head, terminology)[0]


def _observation_values(head: Head, terminology: Terminology) -> bool:
    """Whether an Observation's value, or a component's code or value, is relevant."""
    if _flags(head.valueCodeableConcept, terminology) & RELEVANT:
        return True
    components = head.component
    if type(components) is not list:
        return False
    return any(
        type(c) is Component
        and bool(
            (_flags(c.code, terminology) | _flags(c.valueCodeableConcept, terminology)) & RELEVANT
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
        tracked = _flags(head.medicationCodeableConcept, terminology) & TRACKED
        return "record" if tracked else "unclassified"
    return "record" if _flags(head.code, terminology) & TRACKED else None


def _any_relevant(concepts: object, terminology: Terminology) -> bool:
    return type(concepts) is list and any(_flags(c, terminology) & RELEVANT for c in concepts)


def _flags(concept: object, terminology: Terminology) -> int:
    """The union of `Terminology.code_flags` over the concept's codings."""
    if type(concept) is not Concept:
        return 0
    codings = concept.coding
    if type(codings) is not list:
        return 0
    flags_of = terminology.code_flags
    found = 0
    for coding in codings:
        if type(coding) is Coding:
            system, code = coding.system, coding.code
            if type(system) is str and type(code) is str:
                found |= flags_of(system, code)
    return found
