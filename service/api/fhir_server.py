"""`Patient/{id}/$oms-assess`: assess a patient held by the configured FHIR server.

The Patient, all its Conditions and all its Observations are read (whole-patient
searches, paged) and assessed by the same ingest and engine as the type-level
operation, so the same data gives the same answer. Whole-patient rather than
code-narrowed searches: measured on the sandbox server they were as fast or faster
(docs/FHIR_SERVER.md), need no chunking of ~140 codes under a 2,000-character URL,
and leave every code-matching rule (system aliases, whitespace) to ingest alone.

`?persist=true` (or a Parameters body with `persist` on POST) also writes the results
back in one idempotent transaction (`service.mappers.write_back`) and answers with the
stored resources, as the server returned them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from service.api.body import read_limited, require_json
from service.api.deps import SettingsDep, TerminologyDep
from service.api.responses import (
    FhirJsonResponse,
    fhir_responses,
    openapi_json_body,
    resource_schema,
)
from service.clients.fhir import FhirClient, limits_from, parse_location
from service.engine import AssessmentResult, assess_ingested
from service.errors import (
    NotFound,
    OmsError,
    UnprocessablePayload,
    UpstreamError,
    UpstreamTimeout,
)
from service.ingest import IngestResult, ingest_document
from service.json_reader import read_json
from service.mappers import write_back
from service.settings import Settings
from service.terminology import Terminology

Json = dict[str, Any]

router = APIRouter(prefix="/fhir")

#: Page size asked for; HAPI's default maximum page size is 200.
PAGE_SIZE = "200"
#: FHIR `id`: what may follow `Patient/` in the path.
FHIR_ID = r"^[A-Za-z0-9\-.]{1,64}$"


class FhirServerNotConfigured(OmsError):
    """No `OMS_FHIR_BASE_URL`: this deployment reads no FHIR server, 501."""

    status = 501
    default_code = "not-supported"


async def fhir_client(settings: SettingsDep) -> AsyncIterator[FhirClient]:
    """A client of the configured server for one request; 501 when none is configured."""
    if not settings.fhir_base_url:
        raise FhirServerNotConfigured(
            "This server is not connected to a FHIR server (OMS_FHIR_BASE_URL is not set); "
            "POST the patient's data to /fhir/$oms-assess instead."
        )
    token = settings.fhir_token.get_secret_value() if settings.fhir_token else None
    async with FhirClient(
        settings.fhir_base_url, token=token, limits=limits_from(settings)
    ) as client:
        yield client


FhirClientDep = Annotated[FhirClient, Depends(fhir_client)]
PatientId = Annotated[str, Path(pattern=FHIR_ID)]


@router.get(
    "/Patient/{patient_id}/$oms-assess",
    response_class=FhirJsonResponse,
    responses=fhir_responses("Bundle"),
)
async def assess_patient(
    patient_id: PatientId,
    settings: SettingsDep,
    terminology: TerminologyDep,
    client: FhirClientDep,
    persist: Annotated[bool, Query()] = False,
) -> FhirJsonResponse:
    """Assess the patient from the server's data; `persist=true` also stores the results."""
    return FhirJsonResponse(
        await _bounded(settings, _assess(client, terminology, patient_id, persist=persist))
    )


@router.post(
    "/Patient/{patient_id}/$oms-assess",
    response_class=FhirJsonResponse,
    responses=fhir_responses("Bundle"),
    # `parameter` untyped: a null, empty or false one is read as no parameters.
    openapi_extra=openapi_json_body(resource_schema("Parameters"), required=False),
)
async def assess_patient_post(
    request: Request,
    patient_id: PatientId,
    settings: SettingsDep,
    terminology: TerminologyDep,
    client: FhirClientDep,
    persist: Annotated[bool, Query()] = False,
) -> FhirJsonResponse:
    """The same, with an optional Parameters body: `persist` (valueBoolean)."""
    body = b""
    if request.headers.get("content-length", "0") != "0" or request.headers.get(
        "transfer-encoding"
    ):
        require_json(request)
        body = await read_limited(request, settings.max_body_bytes)
    persist = persist or _persist_parameter(body)
    return FhirJsonResponse(
        await _bounded(settings, _assess(client, terminology, patient_id, persist=persist))
    )


async def _bounded(settings: Settings, work: Any) -> Json:
    """The whole operation within `OMS_FHIR_DEADLINE` seconds, or 504."""
    try:
        async with asyncio.timeout(settings.fhir_deadline):
            result: Json = await work
            return result
    except TimeoutError:
        raise UpstreamTimeout(
            f"The FHIR server did not complete the operation within {settings.fhir_deadline:g} s"
        ) from None


async def _assess(
    client: FhirClient, terminology: Terminology, patient_id: str, *, persist: bool
) -> Json:
    ingested = await _read_patient_data(client, terminology, patient_id)
    result = await run_in_threadpool(assess_ingested, ingested, terminology)
    if not persist:
        return result.bundle
    return await _write_back(client, terminology, ingested, result)


async def _read_patient_data(
    client: FhirClient, terminology: Terminology, patient_id: str
) -> IngestResult:
    try:
        patient = await client.read("Patient", patient_id)
    except NotFound:
        raise NotFound("No such Patient on the FHIR server") from None
    reference = f"Patient/{patient_id}"
    conditions, observations = await asyncio.gather(
        client.search("Condition", {"patient": reference, "_count": PAGE_SIZE}),
        client.search("Observation", {"patient": reference, "_count": PAGE_SIZE}),
    )
    bundle = _collection(client.base_url, [patient, *conditions, *observations])
    try:
        return await run_in_threadpool(ingest_document, bundle, terminology)
    except UnprocessablePayload as exc:
        # The server's data, not the caller's request, is unusable: say so, without values.
        raise UpstreamError(
            f"The FHIR server's data for this patient cannot be assessed: {exc.message}",
            code="processing",
        ) from None


def _collection(base_url: str, resources: Sequence[Json]) -> Json:
    """A collection Bundle with server URLs as fullUrls, each resource once."""
    entries: dict[str, Json] = {}
    for resource in resources:
        url = f"{base_url}{resource.get('resourceType')}/{resource.get('id')}"
        entries.setdefault(url, {"fullUrl": url, "resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "entry": list(entries.values())}


async def _write_back(
    client: FhirClient, terminology: Terminology, ingested: IngestResult, result: AssessmentResult
) -> Json:
    fingerprints = [
        write_back.evidence_fingerprint(kept.resource, kept.reference)
        for kept in (*ingested.conditions, *ingested.observations)
    ]
    key = write_back.assessment_key(
        ingested.patient, fingerprints, write_back.rule_set_version(terminology)
    )
    entries = [(entry["fullUrl"], entry["resource"]) for entry in result.bundle["entry"]]
    response = await client.transaction(write_back.transaction(entries, key), idempotent=True)
    stored = await asyncio.gather(
        *(client.read(location.resource_type, location.id) for location in _locations(response))
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


def _locations(response: Json) -> list[Any]:
    """Where each entry was stored (created, or found by its condition)."""
    locations = []
    for entry in response.get("entry") or []:
        answer = entry.get("response") if isinstance(entry, dict) else None
        location = answer.get("location") if isinstance(answer, dict) else None
        parsed = parse_location(location) if isinstance(location, str) else None
        if parsed is None:
            raise UpstreamError("The FHIR server's transaction response lacks a location")
        locations.append(parsed)
    return locations


def _persist_parameter(body: bytes) -> bool:
    """`persist` from a Parameters body (empty body: false)."""
    if not body.strip():
        return False
    document = read_json(body)
    if not isinstance(document, dict) or document.get("resourceType") != "Parameters":
        raise UnprocessablePayload(
            "Expected a Parameters resource", code="structure", expression=["resourceType"]
        )
    parts = document.get("parameter") or []
    if not isinstance(parts, list):
        raise UnprocessablePayload(
            "Parameters.parameter must be an array",
            code="structure",
            expression=["Parameters.parameter"],
        )
    persist = False
    for n, part in enumerate(parts):
        if isinstance(part, dict) and part.get("name") == "persist":
            value = part.get("valueBoolean")
            if not isinstance(value, bool):
                raise UnprocessablePayload(
                    "The 'persist' parameter must have a valueBoolean",
                    expression=[f"Parameters.parameter[{n}]"],
                )
            persist = value
    return persist
