"""CDS Hooks requests built from the repository's example Bundles."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

from tests.corpus import CORPUS as SHARED_CORPUS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cds"
CORPUS = SHARED_CORPUS / "cds-hooks"

Json = dict[str, Any]


def example(name: str) -> Json:
    data: Json = json.loads((EXAMPLES / f"{name}.json").read_text())
    return data


def fixture(name: str) -> Json:
    data: Json = json.loads((FIXTURES / name).read_text())
    return data


def searchset(resources: list[Json], *, next_url: str | None = None) -> Json:
    bundle: Json = {"resourceType": "Bundle", "type": "searchset", "total": len(resources)}
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    if resources:
        bundle["entry"] = [{"resource": r, "search": {"mode": "match"}} for r in resources]
    return bundle


def prefetch_from(bundle: Json) -> tuple[str, Json]:
    """(patient id, every prefetch value) from an example Bundle.

    Subjects that point at the Patient entry's fullUrl become `Patient/<id>`, as a FHIR
    server's search results would say.
    """
    resources = [copy.deepcopy(e["resource"]) for e in bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    patient_urls = {
        e.get("fullUrl") for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    }
    for resource in resources:
        if resource.get("subject", {}).get("reference") in patient_urls:
            resource["subject"] = {"reference": f"Patient/{patient['id']}"}
    conditions = [r for r in resources if r["resourceType"] == "Condition"]
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    return patient["id"], {
        "patient": patient,
        "conditions": searchset(conditions),
        "observations": searchset(observations),
        "observationsByValue": searchset([]),
        **{
            key: searchset([r for r in resources if r["resourceType"] in types])
            for key, types in RECORD_KEY_TYPES.items()
        },
    }


#: The record searches' prefetch keys (the treatment record, reports) and what they hold.
RECORD_KEY_TYPES: dict[str, tuple[str, ...]] = {
    "medicationRequests": ("MedicationRequest",),
    "medicationAdministrations": ("MedicationAdministration",),
    "medicationStatements": ("MedicationStatement",),
    "procedures": ("Procedure",),
    "serviceRequests": ("ServiceRequest",),
    "diagnosticReports": ("DiagnosticReport",),
}


def hook_request(
    prefetch: Json | None = None,
    *,
    patient_id: str = "oms-high-1",
    fhir_server: str | None = None,
    token: str | None = None,
    **extra: Any,
) -> Json:
    body: Json = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/example", "patientId": patient_id},
        **extra,
    }
    if fhir_server is not None:
        body["fhirServer"] = fhir_server
    if token is not None:
        body["fhirAuthorization"] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/Patient.read user/Condition.read user/Observation.read",
            "subject": "oms-cds",
        }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def risk_example(name: str) -> tuple[str, Json]:
    """The high or moderate example as (patient id, prefetch)."""
    return prefetch_from(example(name))


def empty_values(value: Any, path: str = "$") -> list[str]:
    """Paths of every null, "", [] or {} (CDS Hooks 2.0 forbids them in responses)."""
    found: list[str] = []
    if value is None or value == "" or value == [] or value == {}:
        return [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(empty_values(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found.extend(empty_values(item, f"{path}[{n}]"))
    return found
