"""Assess a patient held by the FHIR server, and optionally write the results back.

Read the patient (`service.gather`), assess it with the engine every entry point
shares, and, when asked, write the RiskAssessment, CarePlan and Provenance back in one
idempotent transaction (`service.usecases.persist`), then answer with the resources as
the server stored them. The whole operation, reads and writes, is bounded by one
deadline (`OMS_FHIR_DEADLINE`): past it the answer is a 504, whatever was under way.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from service import gather
from service.clients.fhir import FhirClient, Location, parse_location
from service.engine import AssessmentResult, assess_ingested
from service.errors import (
    OmsError,
    PayloadTooLarge,
    UnprocessablePayload,
    UnreadableInput,
    UpstreamError,
    UpstreamTimeout,
)
from service.fhir_json import Json
from service.intake import IngestResult, read_records, server_records
from service.metrics import ASSESSMENTS, UPSTREAM_ERRORS, count_upstream
from service.terminology import Terminology
from service.usecases.persist import persist_transaction


@dataclass(frozen=True, slots=True)
class PatientAnswer:
    """The answer Bundle (the stored resources when persisted) and the risk code."""

    bundle: Json
    risk: str


async def assess_patient(
    client: FhirClient,
    terminology: Terminology,
    patient_id: str,
    *,
    persist: bool,
    deadline: float,
) -> PatientAnswer:
    """The assessment of `Patient/{patient_id}` on the client's server, within `deadline`
    seconds; `persist` stores it there too.

    NotFound (404) for an unknown patient, UpstreamError (502) when the server fails or
    its data cannot be assessed, UpstreamTimeout (504) past the deadline.
    """
    try:
        async with asyncio.timeout(deadline):
            answer = await _assess(client, terminology, patient_id, persist=persist)
    except OmsError as exc:
        count_upstream("fhir-patient", exc)
        raise
    except TimeoutError:
        UPSTREAM_ERRORS.labels("fhir-patient", "deadline").inc()
        raise UpstreamTimeout(
            f"The FHIR server did not complete the operation within {deadline:g} s"
        ) from None
    ASSESSMENTS.labels("fhir-patient", answer.risk).inc()
    return answer


async def _assess(
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
    resources = await gather.patient_resources(client, terminology, patient_id)
    records = server_records(client.base_url, resources)
    try:
        return await asyncio.to_thread(read_records, records, terminology)
    except (UnprocessablePayload, PayloadTooLarge) as exc:
        # The server's data, not the caller's request, is unusable: say so, without values.
        raise UpstreamError(
            f"The FHIR server's data for this patient cannot be assessed: {exc.message}",
            code="processing",
        ) from None
    except UnreadableInput as exc:
        # A resource parsed whole only now (pages keep resources as bytes) that the JSON
        # reader refuses: a number too large for a double (valid FHIR), or bad UTF-8.
        reason = (
            "a resource holds a number too large for this service to read"
            if exc.code == "not-supported"
            else "a resource is not valid JSON"
        )
        raise UpstreamError(
            f"The FHIR server's data for this patient cannot be assessed: {reason}",
            code="not-supported" if exc.code == "not-supported" else "processing",
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


async def _stored(client: FhirClient, entry: Json, location: Location) -> Json:
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


def _locations(response: Json) -> list[tuple[Json, Location]]:
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
