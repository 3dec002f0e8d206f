"""What ingest hands the mappers: the one patient and the kept candidate resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from service import defaults
from service.fhir_json import Json


@dataclass(frozen=True, slots=True)
class KeptResource:
    """A resource that may be evidence (a Condition, Observation, DiagnosticReport, or a
    request with a reason).

    `reference` is how the answer refers to it: `Condition/<id>` when it has an id,
    else its entry's fullUrl, else its FHIRPath in the request (e.g.
    `Bundle.entry[3].resource`), which is no FHIR reference at all (`is_input_path`).
    For a contained resource, these are its container's. `suspicion`: a request's
    reason, or contained in a request: it counts at most as unconfirmed.
    """

    resource: Json
    reference: str
    index: int
    path: str
    suspicion: bool = False
    #: A medication record's Medication (contained, or another entry), when it names one.
    medication: Json | None = None


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What the mappers need: the one patient (its birth date and `deceased[x]`, when a
    Patient resource gives them), the candidate evidence in entry order, and whether the
    record sent was only part of the results (a page of a search)."""

    patient: str
    birth_date: str | None
    kept: tuple[KeptResource, ...]
    entry_count: int
    deceased: str | bool | None = None
    incomplete: bool = False
    #: Treatment records (medication records, procedures, orders, CSF tests), entry order.
    treatments: tuple[KeptResource, ...] = ()
    #: Counted medication records whose codes (or Medication's) match no agent.
    unclassified_medications: int = 0

    @property
    def conditions(self) -> tuple[KeptResource, ...]:
        return self._of("Condition")

    @property
    def observations(self) -> tuple[KeptResource, ...]:
        return self._of("Observation")

    def _of(self, resource_type: str) -> tuple[KeptResource, ...]:
        return tuple(k for k in self.kept if k.resource.get("resourceType") == resource_type)


def is_input_path(identity: str) -> bool:
    """Whether an identity is only a FHIRPath into the request (`Bundle.entry[3].resource`,
    `Parameters.parameter[0].resource.entry[1].resource`), which no server can resolve."""
    return identity.startswith(("Bundle.", "Parameters."))


#: Most Bundle entries one request may carry (`OMS_MAX_ENTRIES` at the HTTP edge).
DEFAULT_MAX_ENTRIES: Final = defaults.MAX_ENTRIES
