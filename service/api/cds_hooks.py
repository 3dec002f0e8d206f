"""CDS Hooks 2.0 routes: discovery, the `oms-screening` service and its feedback.

HTTP only: the screen itself is the use case `service.usecases.screen_hook`; who may
call, and when a token is spent, is `api/cds_auth`. Discovery is open: it holds no
patient data (CDS Hooks 2.0 asks for authentication where data could be exposed).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.body import read_limited, require_json
from service.api.cds_auth import CdsClientDep, HookCallerDep, build_auth
from service.api.deps import SettingsDep, StorageDep, TerminologyDep
from service.api.responses import FHIR_JSON, OPERATION_OUTCOME_SCHEMA, openapi_json_body
from service.cds.discovery import SERVICE_ID, discovery_document
from service.errors import Unauthorized
from service.runtime import Runtime
from service.settings import Settings
from service.usecases.feedback import record_feedback
from service.usecases.screen_hook import fetch_limits, screen_hook

PREFIX = "/cds-services"
FEEDBACK_MAX_BYTES = 1024 * 1024

router = APIRouter(prefix=PREFIX)


def install(app: FastAPI) -> None:
    """Add the CDS routes, their 401 handler and their CORS to `app` (after its runtime)."""
    runtime: Runtime = app.state.runtime
    app.state.cds_auth = build_auth(runtime.settings, runtime.storage)
    app.add_exception_handler(Unauthorized, _unauthorized)
    app.include_router(router)
    if runtime.settings.cds_cors_origins:
        app.add_middleware(CdsCors, origins=list(runtime.settings.cds_cors_origins))


def app_launch_url(request: Request, settings: Settings) -> str:
    """The clinician app's SMART launch URL, under OMS_PUBLIC_BASE_URL if set."""
    base = settings.public_base_url or str(request.base_url)
    return base.rstrip("/") + "/app/launch.html"


@router.get("")
async def discovery(terminology: TerminologyDep) -> Response:
    return _json(discovery_document(terminology))


_HOOK_REQUEST = {
    "type": "object",
    "required": ["hook", "hookInstance", "context"],
    "properties": {
        "hook": {"enum": ["patient-view"]},
        "hookInstance": {"type": "string", "minLength": 1, "maxLength": 256},
        "fhirServer": {"type": ["string", "null"]},
        "context": {
            "type": "object",
            "required": ["patientId"],
            "properties": {"patientId": {"type": "string", "minLength": 1}},
        },
        "prefetch": {"type": ["object", "null"]},
    },
}
_FEEDBACK = {
    "type": "object",
    "required": ["feedback"],
    "properties": {
        "feedback": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["card", "outcome", "outcomeTimestamp"],
                "properties": {
                    "card": {"type": "string", "minLength": 1},
                    "outcome": {"enum": ["accepted", "overridden"]},
                    "outcomeTimestamp": {"type": "string", "format": "date-time"},
                    "acceptedSuggestions": {
                        "type": ["array", "null"],
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["id"],
                            "properties": {"id": {"type": "string", "minLength": 1}},
                        },
                    },
                    "overrideReason": {"type": ["object", "null"]},
                },
            },
        }
    },
}
_OUTCOME = {"content": {FHIR_JSON: {"schema": OPERATION_OUTCOME_SCHEMA}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid client JWT (empty body)"},
    "4XX": {"description": "The request cannot be served", **_OUTCOME},
    "5XX": {"description": "The feedback could not be stored", **_OUTCOME},
}


@router.post(f"/{SERVICE_ID}", responses=_ERRORS, openapi_extra=openapi_json_body(_HOOK_REQUEST))
async def oms_screening(
    request: Request, caller: HookCallerDep, settings: SettingsDep, terminology: TerminologyDep
) -> Response:
    require_json(request)
    body = await read_limited(request, settings.max_body_bytes)
    answer = await screen_hook(
        body,
        caller,
        terminology,
        fetch_limits(settings),
        app_launch_url=app_launch_url(request, settings),
    )
    request.state.log_counts = {"cards": len(answer.cards)}
    return _json({"cards": answer.cards})


@router.post(
    f"/{SERVICE_ID}/feedback",
    response_class=Response,
    responses=_ERRORS,
    openapi_extra=openapi_json_body(_FEEDBACK),
)
async def oms_screening_feedback(
    request: Request, client: CdsClientDep, settings: SettingsDep, storage: StorageDep
) -> Response:
    require_json(request)
    body = await read_limited(request, min(FEEDBACK_MAX_BYTES, settings.max_body_bytes))
    await record_feedback(body, client.iss, storage)
    return Response(status_code=200)


def _json(content: Any) -> Response:
    return Response(orjson.dumps(content), media_type="application/json")


async def _unauthorized(request: Request, exc: Exception) -> Response:
    """401 and nothing else: why a token failed is not told to whoever sent it."""
    return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})


class CdsCors:
    """CORS for `/cds-services` only (the FHIR routes are not for browsers)."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == PREFIX or path.startswith(PREFIX + "/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
