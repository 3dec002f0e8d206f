"""`Patient/{id}/$oms-assess`: HTTP in and out of the use case `service.usecases.assess_patient`.

The use case reads the patient from the configured FHIR server (the app's pooled
client), assesses it, and with `?persist=true` (or a Parameters body with `persist` on
POST) writes the results back in one idempotent transaction. This module only
translates: the path, the query and the body in; the Bundle out.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from service.api.body import read_limited, require_json
from service.api.deps import FhirClientDep, SettingsDep, TerminologyDep
from service.api.responses import (
    FhirJsonResponse,
    fhir_responses,
    openapi_json_body,
    resource_schema,
)
from service.errors import UnprocessablePayload
from service.fhir_json import FHIR_ID
from service.json_reader import read_json
from service.usecases.assess_patient import assess_patient as assess_patient_data

router = APIRouter(prefix="/fhir")

PatientId = Annotated[str, Path(pattern=rf"^{FHIR_ID}$")]


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
    answer = await assess_patient_data(
        client, terminology, patient_id, persist=persist, deadline=settings.fhir_deadline
    )
    return FhirJsonResponse(answer.bundle)


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
    answer = await assess_patient_data(
        client,
        terminology,
        patient_id,
        persist=persist or _persist_parameter(body),
        deadline=settings.fhir_deadline,
    )
    return FhirJsonResponse(answer.bundle)


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
