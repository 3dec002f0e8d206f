"""Liveness (`/healthz`) and readiness (`/readyz`).

`/healthz` answers as long as the event loop does (CPU work runs in threads): restart
the process only when it fails. `/readyz` says whether the service can do its work now:
the terminology is loaded and, when `OMS_FHIR_BASE_URL` is set, that server answers
`GET metadata` with a CapabilityStatement within `OMS_READYZ_FHIR_TIMEOUT` seconds, and
the database (`OMS_DATABASE_URL`: the replay cache and feedback) answers a query within
`OMS_DATABASE_TIMEOUT` seconds (not ready: hook calls answer 503 too).
The server's answer is reused for `OMS_READYZ_CACHE_SECONDS`, and concurrent probes
share one request, so probes cannot hammer the server.

Not ready is a 503 with an OperationOutcome, like every other non-2xx answer of the
service, with one issue per failed check; `issue.details.coding` names the check
(`terminology`, `fhir-server`, `database`) for machines. Diagnostics name the check and what went
wrong (timeout, status, unreachable), never a URL: a base URL may carry credentials,
and no probe URL ever holds patient data.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Final

from fastapi import APIRouter, Request

from service.api.deps import SettingsDep, StorageDep, TerminologyDep
from service.api.responses import (
    FHIR_JSON,
    OPERATION_OUTCOME_SCHEMA,
    FhirJsonResponse,
    JsonResponse,
)
from service.clients.readiness import probe_metadata
from service.fhir_json import Json
from service.settings import Settings
from service.storage import Storage, StorageUnavailable
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
    request: Request, settings: SettingsDep, terminology: TerminologyDep, storage: StorageDep
) -> FhirJsonResponse:
    failures = [f for f in (_terminology_failure(terminology),) if f is not None]
    checks = {"terminology": "ok" if not failures else "failed"}
    # The database is asked while the FHIR server is, so a probe waits for the slower only.
    database = asyncio.create_task(_database_failure(storage, settings))
    if settings.fhir_base_url:
        fhir_failure = await _fhir_failure(_probe_of(request), settings)
        checks["fhirServer"] = "ok" if fhir_failure is None else "failed"
        if fhir_failure is not None:
            failures.append(fhir_failure)
    else:
        checks["fhirServer"] = "not configured"
    database_failure = await database
    checks["database"] = "ok" if database_failure is None else "failed"
    if database_failure is not None:
        failures.append(database_failure)
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


async def _database_failure(storage: Storage, settings: Settings) -> Failure | None:
    """One query on the database; the message never names the URL (it may hold a password)."""
    try:
        async with asyncio.timeout(settings.database_timeout):
            await storage.ping()
    except (StorageUnavailable, TimeoutError):
        return Failure("database", "transient", "Database: could not be reached or queried")
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
    token = settings.fhir_token.get_secret_value() if settings.fhir_token is not None else None
    fault = await probe_metadata(settings.fhir_base_url, token, settings.readyz_fhir_timeout)
    return None if fault is None else Failure("fhir-server", fault.code, fault.message)


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
