"""What ingest hands the mappers: the one patient and the kept candidate resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from service.fhir_json import Json


@dataclass(frozen=True, slots=True)
class KeptResource:
    """A Condition or Observation that may be evidence.

    `reference` is how the answer refers to it: `Condition/<id>` when it has an id,
    else its entry's fullUrl, else its FHIRPath in the request (e.g.
    `Bundle.entry[3].resource`), which is no FHIR reference at all: see `resolvable`.
    """

    resource: Json
    reference: str
    index: int
    path: str

    @property
    def resolvable(self) -> bool:
        """False when `reference` is only a FHIRPath: emit it as Reference.display then."""
        return not is_input_path(self.reference)


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What the mappers need: the one patient (and its birth date, when a Patient resource
    gives one) and the candidate evidence, in entry order."""

    patient: str
    birth_date: str | None
    conditions: tuple[KeptResource, ...]
    observations: tuple[KeptResource, ...]
    entry_count: int


def is_input_path(identity: str) -> bool:
    """Whether an identity is only a FHIRPath into the request (`Bundle.entry[3].resource`,
    `Parameters.parameter[0].resource.entry[1].resource`), which no server can resolve."""
    return identity.startswith(("Bundle.", "Parameters."))


#: Most Bundle entries one request may carry (`OMS_MAX_ENTRIES` at the HTTP edge).
DEFAULT_MAX_ENTRIES: Final = 250_000
