"""`Patient/{id}/$oms-assess`: HTTP in and out of the use case `service.patient_assessment`.

The use case reads the patient (`service.gather`), assesses it with the same ingest and
engine as the type-level operation, and with `?persist=true` (or a Parameters body with
`persist` on POST) writes the results back in one idempotent transaction. This module
only translates: the path and query, the client, the deadline, the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from service import patient_assessment
from service.api.body import read_limited, require_json
from service.api.deps import SettingsDep, TerminologyDep
from service.api.responses import (
    FhirJsonResponse,
    fhir_responses,
    openapi_json_body,
    resource_schema,
)
from service.clients.fhir import FhirClient, limits_from
from service.errors import (
    FhirServerNotConfigured,
    OmsError,
    UnprocessablePayload,
    UpstreamTimeout,
)
from service.json_reader import read_json
from service.metrics import ASSESSMENTS, UPSTREAM_ERRORS, count_upstream
from service.settings import Settings
from service.terminology import Terminology

Json = dict[str, Any]

router = APIRouter(prefix="/fhir")

#: FHIR `id`: what may follow `Patient/` in the path.
FHIR_ID = r"^[A-Za-z0-9\-.]{1,64}$"


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
    except OmsError as exc:
        count_upstream("fhir-patient", exc)
        raise
    except TimeoutError:
        UPSTREAM_ERRORS.labels("fhir-patient", "deadline").inc()
        raise UpstreamTimeout(
            f"The FHIR server did not complete the operation within {settings.fhir_deadline:g} s"
        ) from None


async def _assess(
    client: FhirClient, terminology: Terminology, patient_id: str, *, persist: bool
) -> Json:
    answer = await patient_assessment.assess_patient(
        client, terminology, patient_id, persist=persist
    )
    ASSESSMENTS.labels("fhir-patient", answer.risk).inc()
    return answer.bundle


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
