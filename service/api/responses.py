"""JSON responses serialised with orjson, in the FHIR media type."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from service.errors import OmsError

FHIR_JSON = "application/fhir+json"


class FhirJsonResponse(Response):
    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return orjson.dumps(content)


class JsonResponse(FhirJsonResponse):
    """Plain JSON (health probes), serialised the same way."""

    media_type = "application/json"


def operation_outcome(
    severity: str, code: str, message: str, expression: list[str] | None = None
) -> dict[str, Any]:
    """An OperationOutcome with one issue; `message` must be safe to show anyone."""
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_of(error: OmsError, severity: str) -> dict[str, Any]:
    """An OperationOutcome with one issue for each problem the error reports."""
    issues = []
    for found in error.issues():
        issue: dict[str, Any] = {
            "severity": severity,
            "code": found.code,
            "diagnostics": found.message,
        }
        if found.expression:
            issue["expression"] = found.expression
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}


# OpenAPI: routes that read their body raw (`request.stream()`) get no request body from
# FastAPI, and FastAPI types FhirJsonResponse answers as strings; these say what is sent.
OPERATION_OUTCOME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {"type": "array", "minItems": 1, "items": {"type": "object"}},
    },
}


def resource_schema(*resource_types: str, **properties: Any) -> dict[str, Any]:
    """A loose JSON schema: an object whose `resourceType` is one of `resource_types`."""
    return {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"enum": list(resource_types)}, **properties},
    }


def openapi_json_body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    """`openapi_extra` for a route that reads its JSON body itself."""
    content = {media: {"schema": schema} for media in (FHIR_JSON, "application/json")}
    return {"requestBody": {"required": required, "content": content}}


def fhir_responses(resource_type: str) -> dict[int | str, dict[str, Any]]:
    """`responses` of a FHIR route: the resource on 200, an OperationOutcome otherwise."""
    outcome = {"content": {FHIR_JSON: {"schema": OPERATION_OUTCOME_SCHEMA}}}
    return {
        200: {"content": {FHIR_JSON: {"schema": resource_schema(resource_type)}}},
        "4XX": {"description": "The request cannot be served", **outcome},
        "5XX": {"description": "The service or its FHIR server failed", **outcome},
    }
