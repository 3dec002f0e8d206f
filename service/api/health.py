"""Liveness (`/healthz`) and readiness (`/readyz`).

`/healthz` answers as long as the event loop does (CPU work runs in threads): restart
the process only when it fails. `/readyz` says whether the service can do its work now:
the terminology is loaded and, when `OMS_FHIR_BASE_URL` is set, that server answers
`GET metadata` with a CapabilityStatement within `OMS_READYZ_FHIR_TIMEOUT` seconds.
The server's answer is reused for `OMS_READYZ_CACHE_SECONDS`, and concurrent probes
share one request, so probes cannot hammer the server.

Not ready is a 503 with an OperationOutcome, like every other non-2xx answer of the
service, with one issue per failed check; `issue.details.coding` names the check
(`terminology`, `fhir-server`) for machines. Diagnostics name the check and what went
wrong (timeout, status, unreachable), never a URL: a base URL may carry credentials,
and no probe URL ever holds patient data.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Final

import certifi
import httpx
import orjson
from fastapi import APIRouter, Request

from service.api.deps import SettingsDep, TerminologyDep
from service.api.responses import (
    FHIR_JSON,
    OPERATION_OUTCOME_SCHEMA,
    FhirJsonResponse,
    JsonResponse,
)
from service.fhir_json import Json
from service.settings import Settings
from service.terminology import Terminology

router = APIRouter()

LIVE_SCHEMA = {
    "type": "object",
    "properties": {"status": {"const": "ok"}},
    "required": ["status"],
}
READY_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"const": "ready"},
        "checks": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["status", "checks"],
}

CHECK_SYSTEM: Final = "urn:oms-cds:readiness-check"
NO_STORE: Final = {"Cache-Control": "no-store"}
#: Most bytes of a CapabilityStatement read (HAPI's is a few hundred kB).
METADATA_MAX_BYTES: Final = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed check: which one, an OperationOutcome issue code, and safe words."""

    check: str
    code: str
    message: str


@dataclass(slots=True)
class _FhirProbe:
    """The last `GET metadata` outcome of one app (None: answered), and when it was had."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    checked_at: float | None = None
    failure: Failure | None = None


@router.get(
    "/healthz",
    response_class=JsonResponse,
    responses={200: {"content": {"application/json": {"schema": LIVE_SCHEMA}}}},
)
async def healthz() -> FhirJsonResponse:
    return FhirJsonResponse({"status": "ok"}, media_type="application/json")


@router.get(
    "/readyz",
    response_class=JsonResponse,
    responses={
        200: {"content": {"application/json": {"schema": READY_SCHEMA}}},
        503: {
            "description": "Not ready: an OperationOutcome names each failed check",
            "content": {FHIR_JSON: {"schema": OPERATION_OUTCOME_SCHEMA}},
        },
    },
)
async def readyz(
    request: Request, settings: SettingsDep, terminology: TerminologyDep
) -> FhirJsonResponse:
    failures = [f for f in (_terminology_failure(terminology),) if f is not None]
    checks = {"terminology": "ok" if not failures else "failed"}
    if settings.fhir_base_url:
        fhir_failure = await _fhir_failure(_probe_of(request), settings)
        checks["fhirServer"] = "ok" if fhir_failure is None else "failed"
        if fhir_failure is not None:
            failures.append(fhir_failure)
    else:
        checks["fhirServer"] = "not configured"
    if failures:
        return FhirJsonResponse(
            {"resourceType": "OperationOutcome", "issue": [_issue(f) for f in failures]},
            status_code=503,
            headers=NO_STORE,
        )
    return FhirJsonResponse(
        {"status": "ready", "checks": checks}, media_type="application/json", headers=NO_STORE
    )


def _terminology_failure(terminology: Terminology | None) -> Failure | None:
    if (
        not isinstance(terminology, Terminology)
        or not terminology.criteria
        or not terminology.value_sets
        or not terminology.plan_definitions
    ):
        return Failure(
            "terminology",
            "exception",
            "Terminology: the profiles (criteria, value sets, plan definitions) are not loaded",
        )
    return None


def _probe_of(request: Request) -> _FhirProbe:
    probe = getattr(request.app.state, "readiness_probe", None)
    if not isinstance(probe, _FhirProbe):
        probe = _FhirProbe()
        request.app.state.readiness_probe = probe
    return probe


async def _fhir_failure(probe: _FhirProbe, settings: Settings) -> Failure | None:
    """The FHIR server check, from the cache while it is fresh; one request at a time."""
    async with probe.lock:
        now = time.monotonic()
        fresh = probe.checked_at is not None and now - probe.checked_at < (
            settings.readyz_cache_seconds
        )
        if not fresh:
            probe.failure = await _ask_metadata(settings)
            probe.checked_at = time.monotonic()
        return probe.failure


async def _ask_metadata(settings: Settings) -> Failure | None:
    assert settings.fhir_base_url
    bound = settings.readyz_fhir_timeout
    url = settings.fhir_base_url.rstrip("/") + "/metadata"
    headers = {"Accept": "application/fhir+json", "User-Agent": "oms-cds readiness"}
    if settings.fhir_token is not None:
        headers["Authorization"] = f"Bearer {settings.fhir_token.get_secret_value()}"
    try:
        async with (
            asyncio.timeout(bound),
            httpx.AsyncClient(timeout=bound, verify=_tls_context(), follow_redirects=False) as http,
            http.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code != 200:
                return Failure(
                    "fhir-server",
                    "transient",
                    f"FHIR server: GET metadata answered {response.status_code}",
                )
            body = await _read_capped(response)
    except (TimeoutError, httpx.TimeoutException):
        return Failure(
            "fhir-server", "timeout", f"FHIR server: no answer to GET metadata within {bound:g} s"
        )
    except httpx.HTTPError:
        return Failure("fhir-server", "transient", "FHIR server: could not be reached")
    except httpx.InvalidURL:
        return Failure("fhir-server", "invalid", "FHIR server: OMS_FHIR_BASE_URL is not a URL")
    if not _is_capability_statement(body):
        return Failure(
            "fhir-server", "invalid", "FHIR server: GET metadata gave no CapabilityStatement"
        )
    return None


async def _read_capped(response: httpx.Response) -> bytes | None:
    """The body, or None when it exceeds METADATA_MAX_BYTES."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > METADATA_MAX_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _is_capability_statement(body: bytes | None) -> bool:
    if body is None:
        return False
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(document, dict) and document.get("resourceType") == "CapabilityStatement"


def _issue(failure: Failure) -> Json:
    return {
        "severity": "error",
        "code": failure.code,
        "details": {
            "coding": [{"system": CHECK_SYSTEM, "code": failure.check}],
            "text": failure.message,
        },
        "diagnostics": failure.message,
    }


@cache
def _tls_context() -> ssl.SSLContext:
    """Built once: building a verifying context costs tens of milliseconds."""
    return ssl.create_default_context(cafile=certifi.where())
