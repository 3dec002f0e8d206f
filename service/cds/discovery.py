"""The `oms-screening` service as `GET /cds-services` describes it, prefetch included.

The evidence searches are the patient reader's narrowed searches
(`service.gather.NARROWED`): criterion and diagnosis codes without their system, which
keeps each URL near 1 kB. Observations are searched twice: by `code` (the finding is the
question, pattern A) and by `value-concept` (the finding is the answer to a generic
question, pattern B). The rest of the record (the treatment record, reports) is the
reader's whole-patient `RECORD_SEARCHES`, a medication record's Medication included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from service.gather import NARROWED, RECORD_SEARCHES
from service.terminology import Terminology

SERVICE_ID: Final = "oms-screening"
HOOK: Final = "patient-view"
TITLE: Final = "Opsoclonus myoclonus syndrome (OMS) screening"
DESCRIPTION: Final = (
    "Checks the patient's Conditions and Observations against the four OMS diagnostic "
    "criteria (Genoa 2004: neuroblastoma, opsoclonus, myoclonus/ataxia, behavioural or "
    "sleep disturbance; 3 of 4 needed). When 3 or 4 are met it proposes a RiskAssessment "
    "and the OMS therapy-checklist CarePlan; when 2 are met and others are unknown it "
    "proposes the diagnostic work-up. Otherwise it stays silent."
)
USAGE_REQUIREMENTS: Final = (
    "Needs every prefetch key, or a fhirServer (with fhirAuthorization if the server is "
    "protected) that is registered for the calling client; otherwise it answers 412."
)
PATIENT_TOKEN: Final = "{{context.patientId}}"


@dataclass(frozen=True, slots=True)
class PrefetchKey:
    """One prefetch template: the Patient read (`read`; may be null), or a search whose
    answer holds resources of `types` (the searched type first)."""

    name: str
    template: str
    resource_type: str
    read: bool = False
    types: tuple[str, ...] = ()

    @property
    def record(self) -> bool:
        """A search for the rest of the record (treatment, reports): read from the server
        only when the screen needs it (the checklist follows the course)."""
        return bool(self.types)

    def keeps(self, resource_type: str | None) -> bool:
        """Whether an entry of this type belongs to the key's answer."""
        return resource_type == self.resource_type or resource_type in self.types


#: The prefetch key of each narrowed search, in `gather.NARROWED` order.
SEARCH_KEYS: Final = ("conditions", "observations", "observationsByValue")
#: The prefetch key of each record search, in `gather.RECORD_SEARCHES` order.
RECORD_KEYS: Final = (
    "medicationRequests",
    "medicationAdministrations",
    "medicationStatements",
    "procedures",
    "serviceRequests",
    "diagnosticReports",
)


@cache
def prefetch_keys(terminology: Terminology) -> tuple[PrefetchKey, ...]:
    """The templates, in the order the data are assembled (built once per terminology):
    the Patient, the searches the patient reader narrows to criterion codes, then the
    rest of the record."""
    return (
        PrefetchKey("patient", f"Patient/{PATIENT_TOKEN}", "Patient", read=True),
        *(
            PrefetchKey(name, search.url(terminology, PATIENT_TOKEN), search.resource_type)
            for name, search in zip(SEARCH_KEYS, NARROWED, strict=True)
        ),
        *(
            PrefetchKey(name, search.url(PATIENT_TOKEN), search.resource_type, types=search.types)
            for name, search in zip(RECORD_KEYS, RECORD_SEARCHES, strict=True)
        ),
    )


def discovery_document(terminology: Terminology) -> dict[str, Any]:
    """The body of `GET /cds-services`."""
    return {"services": [service_description(terminology)]}


def service_description(terminology: Terminology) -> dict[str, Any]:
    prefetch: Mapping[str, str] = {k.name: k.template for k in prefetch_keys(terminology)}
    return {
        "hook": HOOK,
        "id": SERVICE_ID,
        "title": TITLE,
        "description": DESCRIPTION,
        "prefetch": dict(prefetch),
        "usageRequirements": USAGE_REQUIREMENTS,
    }
