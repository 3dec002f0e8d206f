"""CDS Hooks 2.0 routes: discovery, the `oms-screening` service and its feedback.

Every call to the service and to feedback must carry a JWT from a trusted client
(`OMS_CDS_CLIENTS_FILE`); failures are a bare 401. Feedback spends the token before it
stores anything; a hook call spends it when it answers (success or error alike), so a
call cut off by a dying replica can be retried on another (docs/REPLICAS.md).
Discovery is open: it holds no patient data (CDS Hooks 2.0 asks for authentication
where data could be exposed).
Without a clients file every authenticated route answers 401, unless
`OMS_CDS_INSECURE_DEV=1`, which skips the JWT check and logs a warning at start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

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
from service.errors import Unauthorized
from service.metrics import ASSESSMENTS, JWT_REJECTIONS, STORAGE_ERRORS
from service.security.clients import TrustedClient, dev_client, load_clients
from service.security.jwt import Checked, JwtPolicy, JwtVerifier
from service.settings import Settings
from service.storage import Storage, StorageUnavailable, feedback_rows
from service.terminology import Terminology

if TYPE_CHECKING:  # the transport is injected (tests); only clients/ and security/ use httpx
    import httpx

log = logging.getLogger("oms_cds.cds")

PREFIX = "/cds-services"
FEEDBACK_MAX_BYTES = 1024 * 1024

router = APIRouter(prefix=PREFIX)


@dataclass(frozen=True, slots=True)
class CdsState:
    """Per-app CDS configuration: the verifier (or the dev stand-in) and the storage."""

    verifier: JwtVerifier | None
    insecure_client: TrustedClient | None
    storage: Storage
    fhir_transport: httpx.AsyncBaseTransport | None = None


def install(app: FastAPI, *, fhir_transport: httpx.AsyncBaseTransport | None = None) -> None:
    """Add the CDS routes, their 401 handler and their CORS to `app` (after app.state.settings)."""
    settings: Settings = app.state.settings
    app.state.cds = build_state(settings, app.state.storage, fhir_transport)
    app.add_exception_handler(Unauthorized, _unauthorized)
    app.include_router(router)
    if settings.cds_cors_origins:
        app.add_middleware(CdsCors, origins=list(settings.cds_cors_origins))


def build_state(
    settings: Settings, storage: Storage, fhir_transport: httpx.AsyncBaseTransport | None
) -> CdsState:
    verifier = None
    insecure = None
    if settings.cds_clients_file is not None:
        policy = JwtPolicy(settings.cds_jwt_leeway_seconds, settings.cds_jwt_max_lifetime_seconds)
        verifier = JwtVerifier(load_clients(settings.cds_clients_file), policy, replay=storage)
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
    return CdsState(verifier, insecure, storage, fhir_transport)


async def authenticate(request: Request) -> TrustedClient:
    """The caller, its token spent now (feedback: the call stores data)."""
    verifier = _verifier(request)
    if verifier is None:
        return _insecure_client(request)
    with _replay_cache_down():
        return await verifier.verify(request.headers.get("authorization"), _audiences(request))


@dataclass(frozen=True, slots=True)
class HookCaller:
    """The caller of a hook; `checked` is spent by `spend()` when the call is answered."""

    client: TrustedClient
    checked: Checked | None


async def hook_caller(request: Request) -> HookCaller:
    """Every token check, but the token is spent only when the call is answered (`spend`).

    A hook call changes nothing in this service, so when the replica dies before it
    answers, the load balancer may send the same call to another replica, which then
    accepts the unspent token once. A token already spent is refused here, before any
    work; of two concurrent calls with one token, `spend` lets exactly one answer.
    """
    verifier = _verifier(request)
    if verifier is None:
        return HookCaller(_insecure_client(request), None)
    with _replay_cache_down():
        checked = await verifier.check(request.headers.get("authorization"), _audiences(request))
    return HookCaller(checked.client, checked)


async def spend(request: Request, caller: HookCaller) -> None:
    """Record the caller's token as used; 401 if another call spent it first."""
    verifier = _verifier(request)
    if verifier is not None and caller.checked is not None:
        with _replay_cache_down():
            await verifier.record(caller.checked)


def _verifier(request: Request) -> JwtVerifier | None:
    state: CdsState = request.app.state.cds
    return state.verifier


def _insecure_client(request: Request) -> TrustedClient:
    state: CdsState = request.app.state.cds
    if state.insecure_client is not None:
        return state.insecure_client
    JWT_REJECTIONS.labels("no trusted clients").inc()
    raise Unauthorized


def _audiences(request: Request) -> list[str]:
    settings: Settings = request.app.state.settings
    return expected_audiences(request, settings)


@contextmanager
def _replay_cache_down() -> Iterator[None]:
    """Count and log a replay cache that cannot be asked; the StorageUnavailable is a 503."""
    try:
        yield
    except StorageUnavailable:
        STORAGE_ERRORS.labels("replay check").inc()
        log.error("replay check failed: call refused")  # noqa: TRY400 (no traceback in logs)
        raise


CdsClientDep = Annotated[TrustedClient, Depends(authenticate)]
HookCallerDep = Annotated[HookCaller, Depends(hook_caller)]


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
    request: Request, caller: HookCallerDep, settings: SettingsDep, terminology: TerminologyDep
) -> Response:
    try:
        response = await _answer_hook(request, caller.client, settings, terminology)
    except Exception:
        await spend(request, caller)  # a refused call spends its token too
        raise
    await spend(request, caller)
    return response


async def _answer_hook(
    request: Request, client: TrustedClient, settings: Settings, terminology: Terminology
) -> Response:
    require_json(request)
    body = await read_limited(request, settings.max_body_bytes)
    # Read in a worker thread, in short decodes (`cds.request`): a 10,000-resource
    # prefetch is 7.5 MB, which would stall every other request on the event loop.
    hook_request = await run_in_threadpool(parse_hook_request, body)
    state: CdsState = request.app.state.cds
    limits = FetchLimits(
        settings.cds_fhir_timeout_seconds, settings.cds_fhir_max_pages, settings.max_body_bytes
    )
    keys = prefetch_keys(terminology)
    found = await gather(hook_request, keys, client, limits, state.fhir_transport)
    risk, cards = await run_in_threadpool(
        partial(screen, app_launch_url=app_launch_url(request, settings)),
        hook_request,
        found,
        terminology,
    )
    ASSESSMENTS.labels("cds-hook", risk).inc()
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
        await state.storage.add_feedback(feedback_rows(client.iss, SERVICE_ID, items))
    except StorageUnavailable:
        STORAGE_ERRORS.labels("feedback").inc()
        log.error("feedback not stored")  # noqa: TRY400 (no traceback in logs)
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
