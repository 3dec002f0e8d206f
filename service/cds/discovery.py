"""The `oms-screening` service as `GET /cds-services` describes it, prefetch included.

The searches are the patient reader's narrowed searches (`service.gather.NARROWED`):
criterion and diagnosis codes without their system, which keeps each URL near 1 kB.
Observations are searched twice: by `code` (the finding is the question, pattern A)
and by `value-concept` (the finding is the answer to a generic question, pattern B).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from service.gather import NARROWED, NarrowedSearch
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
    """One prefetch template: a Patient read (`search` None; may be null), or one of the
    patient reader's narrowed searches (`service.gather.NARROWED`)."""

    name: str
    template: str
    resource_type: str
    search: NarrowedSearch | None = None

    @property
    def read(self) -> bool:
        return self.search is None


#: The prefetch key of each narrowed search, in `gather.NARROWED` order.
SEARCH_KEYS: Final = ("conditions", "observations", "observationsByValue")


@cache
def prefetch_keys(terminology: Terminology) -> tuple[PrefetchKey, ...]:
    """The four templates, in the order the data are assembled (built once per terminology):
    the Patient, then the searches the patient reader narrows to criterion codes."""
    return (
        PrefetchKey("patient", f"Patient/{PATIENT_TOKEN}", "Patient"),
        *(
            PrefetchKey(name, search.url(terminology, PATIENT_TOKEN), search.resource_type, search)
            for name, search in zip(SEARCH_KEYS, NARROWED, strict=True)
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
