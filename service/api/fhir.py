"""FHIR REST routes: `$oms-assess` on a posted Bundle, and the CapabilityStatement."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from service.api.body import read_limited, require_json
from service.api.deps import SettingsDep, TerminologyDep
from service.api.responses import (
    FhirJsonResponse,
    fhir_responses,
    openapi_json_body,
    resource_schema,
)
from service.mappers.provenance import service_version
from service.terminology import CANONICAL_BASE, Terminology
from service.usecases.assess_bundle import assess_bundle

router = APIRouter(prefix="/fhir")

OPERATION = f"{CANONICAL_BASE}/OperationDefinition/oms-assess"


_ASSESS_BODY = resource_schema(
    "Bundle",
    "Parameters",
    entry={"type": "array", "items": {"type": "object"}},
    parameter={"type": "array", "items": {"type": "object"}},
)


@router.post(
    "/$oms-assess",
    response_class=FhirJsonResponse,
    responses=fhir_responses("Bundle"),
    openapi_extra=openapi_json_body(_ASSESS_BODY),
)
async def oms_assess(
    request: Request, settings: SettingsDep, terminology: TerminologyDep
) -> FhirJsonResponse:
    """Assess the posted Bundle (or Parameters with a `bundle` part)."""
    require_json(request)
    body = await read_limited(request, settings.max_body_bytes)
    result = await assess_bundle(body, terminology, max_entries=settings.max_entries)
    request.state.log_counts = {"entries": result.entry_count, "kept": result.kept_count}
    return FhirJsonResponse(result.bundle)


@router.get(
    "/metadata",
    response_class=FhirJsonResponse,
    responses=fhir_responses("CapabilityStatement"),
)
async def metadata(settings: SettingsDep, terminology: TerminologyDep) -> FhirJsonResponse:
    return FhirJsonResponse(
        capability_statement(terminology, patient_operation=bool(settings.fhir_base_url))
    )


def capability_statement(
    terminology: Terminology, *, patient_operation: bool = False
) -> dict[str, Any]:
    """What this server does: one system-level operation, JSON only, FHIR 4.0.1.

    `patient_operation`: a FHIR server is configured, so `Patient/{id}/$oms-assess` works too.
    The version is the installed package's; the date is that of the OperationDefinition
    in `profiles/`, the contract this statement advertises.
    """
    operation = {"name": "oms-assess", "definition": OPERATION}
    resources = [{"type": "Patient", "operation": [operation]}] if patient_operation else []
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": str(terminology.definition_date(OPERATION)),
        "publisher": "oms-cds",
        "kind": "instance",
        "software": {"name": "oms-cds", "version": service_version()},
        "implementation": {
            "description": "oms-cds: decision support for opsoclonus myoclonus syndrome"
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                **({"resource": resources} if resources else {}),
                "operation": [operation],
            }
        ],
    }
