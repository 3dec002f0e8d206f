"""The use cases assess-a-patient and assess-and-persist, against a FHIR server.

Read the patient (`service.gather`), assess it with the engine every entry point shares,
and, when asked, write the RiskAssessment, CarePlan and Provenance back in one idempotent
transaction: conditional creates keyed on the patient, the evidence read (with its
versions) and the rule set (`service.mappers.write_back`), then answer with the
resources as the server stored them.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass
from typing import Any, Final

from service import gather
from service.clients.fhir import FhirClient, parse_location
from service.engine import AssessmentResult, assess_ingested
from service.errors import UnprocessablePayload, UpstreamError
from service.fhir_json import Json
from service.ingest import IngestResult, ingest_document
from service.mappers import write_back
from service.terminology import Terminology


@dataclass(frozen=True, slots=True)
class PatientAnswer:
    """The answer Bundle (the stored resources when persisted) and the risk code."""

    bundle: Json
    risk: str


async def assess_patient(
    client: FhirClient, terminology: Terminology, patient_id: str, *, persist: bool
) -> PatientAnswer:
    ingested = await _read_patient_data(client, terminology, patient_id)
    result = await asyncio.to_thread(assess_ingested, ingested, terminology)
    risk = str(result.assessment.risk)
    if not persist:
        return PatientAnswer(result.bundle, risk)
    return PatientAnswer(await _write_back(client, terminology, ingested, result), risk)


async def _read_patient_data(
    client: FhirClient, terminology: Terminology, patient_id: str
) -> IngestResult:
    bundle = await gather.patient_bundle(client, terminology, patient_id)
    try:
        return await asyncio.to_thread(ingest_document, bundle, terminology)
    except UnprocessablePayload as exc:
        # The server's data, not the caller's request, is unusable: say so, without values.
        raise UpstreamError(
            f"The FHIR server's data for this patient cannot be assessed: {exc.message}",
            code="processing",
        ) from None


async def _write_back(
    client: FhirClient, terminology: Terminology, ingested: IngestResult, result: AssessmentResult
) -> Json:
    transaction = persist_transaction(ingested, result, terminology)
    response = await client.transaction(transaction, idempotent=True)
    stored = await asyncio.gather(
        *(_stored(client, entry, location) for entry, location in _locations(response))
    )
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": result.bundle["timestamp"],
        "entry": [
            {"fullUrl": f"{client.base_url}{r['resourceType']}/{r['id']}", "resource": r}
            for r in stored
        ],
    }


def persist_transaction(
    ingested: IngestResult,
    result: AssessmentResult,
    terminology: Terminology,
    *,
    author: str | None = None,
) -> Json:
    """The idempotent transaction that stores an assessment: conditional creates keyed on
    the patient, the evidence (with its versions) and the rule set. `author` (the SMART
    app's clinician) joins the Provenance as enterer; the key does not depend on it."""
    fingerprints = [
        write_back.evidence_fingerprint(kept.resource, kept.reference) for kept in ingested.kept
    ]
    key = write_back.assessment_key(
        ingested.patient, fingerprints, write_back.rule_set_version(terminology)
    )
    entries = [(entry["fullUrl"], entry["resource"]) for entry in result.bundle["entry"]]
    if author is not None:
        entries = [(url, _with_author(resource, author)) for url, resource in entries]
    return write_back.transaction(entries, key)


def _with_author(resource: Json, author: str) -> Json:
    if resource["resourceType"] != "Provenance":
        return resource
    provenance = copy.deepcopy(resource)
    provenance["agent"].append({"type": _ENTERER, "who": {"reference": author}})
    return provenance


_ENTERER: Final = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": "enterer",
            "display": "Enterer",
        }
    ]
}


async def _stored(client: FhirClient, entry: Json, location: Any) -> Json:
    """The resource as stored: from the response (`Prefer: return=representation`) when
    the server put it there for a resource just created, else read back."""
    resource = entry.get("resource")
    status = str((entry.get("response") or {}).get("status", ""))
    if (
        isinstance(resource, dict)
        and status.startswith("201")
        and resource.get("resourceType") == location.resource_type
        and resource.get("id") == location.id
    ):
        return resource
    read: Json = await client.read(location.resource_type, location.id)
    return read


def _locations(response: Json) -> list[tuple[Json, Any]]:
    """Each response entry and where it was stored (created, or found by its condition)."""
    locations = []
    for entry in response.get("entry") or []:
        answer = entry.get("response") if isinstance(entry, dict) else None
        location = answer.get("location") if isinstance(answer, dict) else None
        parsed = parse_location(location) if isinstance(location, str) else None
        if parsed is None:
            raise UpstreamError("The FHIR server's transaction response lacks a location")
        locations.append((entry, parsed))
    return locations
