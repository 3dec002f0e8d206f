"""JSON responses serialised with orjson, in the FHIR media type."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

FHIR_JSON = "application/fhir+json"


class FhirJsonResponse(Response):
    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return orjson.dumps(content)


def operation_outcome(
    severity: str, code: str, message: str, expression: list[str] | None = None
) -> dict[str, Any]:
    """An OperationOutcome with one issue; `message` must be safe to show anyone."""
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}
