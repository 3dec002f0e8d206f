"""The `oms-screening` service as `GET /cds-services` describes it, prefetch included.

The searches are narrowed to the criterion codes (every code of every criterion
ValueSet, without its system: a token without a system matches that code in any
system, a superset the service filters exactly). 95 codes keep each URL near 1 kB.
Observations are searched twice: by `code` (the finding is the question, pattern A)
and by `value-concept` (the finding is the answer to a generic question, pattern B).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

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
    """One prefetch template: `read` is a single-resource read (may be null), else a search."""

    name: str
    template: str
    resource_type: str
    read: bool


@cache
def prefetch_keys(terminology: Terminology) -> tuple[PrefetchKey, ...]:
    """The four templates, in the order the data are assembled (built once per terminology).

    The searches ask for every criterion and diagnosis code, in every spelling a server may
    hold (`C74.10` and `C7410`, `635` and `ORPHA:635`)."""
    codes = ",".join(terminology.search_codes)
    search = f"?patient={PATIENT_TOKEN}"
    return (
        PrefetchKey("patient", f"Patient/{PATIENT_TOKEN}", "Patient", read=True),
        PrefetchKey("conditions", f"Condition{search}&code={codes}", "Condition", read=False),
        PrefetchKey("observations", f"Observation{search}&code={codes}", "Observation", read=False),
        PrefetchKey(
            "observationsByValue",
            f"Observation{search}&value-concept={codes}",
            "Observation",
            read=False,
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
