"""Every failure becomes an OperationOutcome with a status that says whose fault it was.

One table maps errors to answers. Exception text is never copied into an answer (it
may hold input values); OmsError messages are written to be safe, and the last-resort
handler answers with a correlation id only.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from service.api.responses import FhirJsonResponse, operation_outcome, outcome_of
from service.errors import OmsError, Overloaded
from service.logs import code_location

log = logging.getLogger("oms_cds.errors")

_HTTP_CODES = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
}


async def handle_oms_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OmsError)
    return oms_error_response(exc)


def oms_error_response(exc: OmsError) -> Response:
    """The OperationOutcome answer to `exc` (with Retry-After when it says when to retry)."""
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Overloaded) else None
    return FhirJsonResponse(
        outcome_of(exc, _severity(exc.status)), status_code=exc.status, headers=headers
    )


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {
        404: "No such route.",
        405: "This route does not accept that HTTP method.",
    }.get(exc.status_code, "The request cannot be served.")
    return FhirJsonResponse(
        operation_outcome("error", _HTTP_CODES.get(exc.status_code, "exception"), message),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def handle_request_validation(request: Request, exc: Exception) -> Response:
    """Query or path parameters of the wrong form: name them, never echo their values."""
    assert isinstance(exc, RequestValidationError)
    where = [".".join(str(part) for part in error.get("loc", ())) for error in exc.errors()]
    return FhirJsonResponse(
        operation_outcome("error", "invalid", "Invalid request parameter.", where),
        status_code=400,
    )


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """Last resort: log the type and where it was raised (file:line:function frames; no
    message, no values, no input), answer with a correlation id."""
    correlation = uuid.uuid4().hex
    log.error(
        "unhandled error",
        extra={
            "correlation_id": correlation,
            "error_type": type(exc).__name__,
            "frames": code_location(exc),
        },
    )
    return FhirJsonResponse(
        operation_outcome("fatal", "exception", f"Internal error; correlation id {correlation}."),
        status_code=500,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(OmsError, handle_oms_error)
    app.add_exception_handler(HTTPException, handle_http_error)
    app.add_exception_handler(RequestValidationError, handle_request_validation)
    app.add_exception_handler(Exception, handle_unexpected)


def _severity(status: int) -> str:
    return "fatal" if status >= 500 else "error"
