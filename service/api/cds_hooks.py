"""CDS Hooks 2.0 routes: discovery, the `oms-screening` service and its feedback.

Every call to the service and to feedback must carry a JWT from a trusted client
(`OMS_CDS_CLIENTS_FILE`); failures are a bare 401. Discovery is open: it holds no
patient data (CDS Hooks 2.0 asks for authentication where data could be exposed).
Without a clients file every authenticated route answers 401, unless
`OMS_CDS_INSECURE_DEV=1`, which skips the JWT check and logs a warning at start.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

import httpx
import orjson
from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.body import read_limited, require_json
from service.api.deps import SettingsDep, TerminologyDep
from service.api.responses import FHIR_JSON, OPERATION_OUTCOME_SCHEMA, openapi_json_body
from service.cds.discovery import SERVICE_ID, discovery_document, prefetch_keys
from service.cds.errors import FeedbackNotStored
from service.cds.feedback import parse_feedback
from service.cds.prefetch import FetchLimits, gather
from service.cds.request import parse_hook_request
from service.cds.screen import screen
from service.feedback_store import FeedbackStore
from service.security.clients import TrustedClient, dev_client, load_clients
from service.security.jwt import JwtPolicy, JwtVerifier, Unauthorized
from service.settings import Settings

log = logging.getLogger("oms_cds.cds")

PREFIX = "/cds-services"
FEEDBACK_MAX_BYTES = 1024 * 1024

router = APIRouter(prefix=PREFIX)


@dataclass(frozen=True, slots=True)
class CdsState:
    """Per-app CDS configuration: the verifier (or the dev stand-in) and the store."""

    verifier: JwtVerifier | None
    insecure_client: TrustedClient | None
    feedback: FeedbackStore
    fhir_transport: httpx.AsyncBaseTransport | None = None


def install(app: FastAPI, *, fhir_transport: httpx.AsyncBaseTransport | None = None) -> None:
    """Add the CDS routes, their 401 handler and their CORS to `app` (after app.state.settings)."""
    settings: Settings = app.state.settings
    app.state.cds = build_state(settings, fhir_transport)
    app.add_exception_handler(Unauthorized, _unauthorized)
    app.include_router(router)
    if settings.cds_cors_origins:
        app.add_middleware(CdsCors, origins=list(settings.cds_cors_origins))


def build_state(settings: Settings, fhir_transport: httpx.AsyncBaseTransport | None) -> CdsState:
    verifier = None
    insecure = None
    if settings.cds_clients_file is not None:
        policy = JwtPolicy(settings.cds_jwt_leeway_seconds, settings.cds_jwt_max_lifetime_seconds)
        verifier = JwtVerifier(load_clients(settings.cds_clients_file), policy)
        if settings.cds_insecure_dev:
            log.warning("OMS_CDS_INSECURE_DEV is ignored: OMS_CDS_CLIENTS_FILE is set")
    elif settings.cds_insecure_dev:
        insecure = dev_client(settings.cds_dev_fhir_servers)
        log.warning(
            "!!! INSECURE CDS HOOKS DEV MODE (OMS_CDS_INSECURE_DEV=1): client JWTs are NOT "
            "checked; anyone who can reach this port gets OMS screening answers. Never use "
            "this with real patient data. !!!"
        )
    else:
        log.warning("CDS Hooks: no OMS_CDS_CLIENTS_FILE, so every CDS service call gets 401")
    return CdsState(verifier, insecure, FeedbackStore(settings.cds_feedback_db), fhir_transport)


async def authenticate(request: Request) -> TrustedClient:
    state: CdsState = request.app.state.cds
    if state.verifier is None:
        if state.insecure_client is not None:
            return state.insecure_client
        raise Unauthorized
    settings: Settings = request.app.state.settings
    return await state.verifier.verify(
        request.headers.get("authorization"), expected_audiences(request, settings)
    )


CdsClientDep = Annotated[TrustedClient, Depends(authenticate)]


def expected_audiences(request: Request, settings: Settings) -> list[str]:
    """This endpoint's URL: under OMS_PUBLIC_BASE_URL if set, else as requested.

    With a public base URL set, the Host header plays no part, so a token minted for
    another service cannot be replayed here by sending that service's Host.
    """
    if settings.public_base_url:
        url = settings.public_base_url.rstrip("/") + request.url.path
    else:
        url = str(request.url.replace(query="", fragment=""))
    url = url.rstrip("/")
    return [url, url + "/"]


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
    request: Request, client: CdsClientDep, settings: SettingsDep, terminology: TerminologyDep
) -> Response:
    require_json(request)
    body = await read_limited(request, settings.max_body_bytes)
    hook_request = parse_hook_request(body)
    state: CdsState = request.app.state.cds
    limits = FetchLimits(
        settings.cds_fhir_timeout_seconds, settings.cds_fhir_max_pages, settings.max_body_bytes
    )
    keys = prefetch_keys(terminology)
    found = await gather(hook_request, keys, client, limits, state.fhir_transport)
    cards = await run_in_threadpool(
        partial(screen, app_launch_url=app_launch_url(request, settings)),
        hook_request,
        found,
        terminology,
    )
    log.info("cds hook answered", extra={"hook_instance": hook_request.hook_instance})
    request.state.log_counts = {"cards": len(cards)}
    return _json({"cards": cards})


@router.post(
    f"/{SERVICE_ID}/feedback",
    response_class=Response,
    responses=_ERRORS,
    openapi_extra=openapi_json_body(_FEEDBACK),
)
async def oms_screening_feedback(
    request: Request, client: CdsClientDep, settings: SettingsDep
) -> Response:
    require_json(request)
    body = await read_limited(request, min(FEEDBACK_MAX_BYTES, settings.max_body_bytes))
    items = parse_feedback(body)
    state: CdsState = request.app.state.cds
    try:
        await run_in_threadpool(state.feedback.add, client.iss, SERVICE_ID, items)
    except sqlite3.Error as exc:
        # The type only, no traceback: the error text is not ours to vouch for.
        log.error("feedback not stored", extra={"error_type": type(exc).__name__})  # noqa: TRY400
        raise FeedbackNotStored("The feedback could not be stored; send it again later") from None
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
