"""Who may call the CDS Hooks routes: the client JWT checked, and spent exactly once.

Every call to the service and to feedback must carry a JWT from a trusted client
(`OMS_CDS_CLIENTS_FILE`); failures are a bare 401. Without a clients file every such
call answers 401, unless `OMS_CDS_INSECURE_DEV=1`, which skips the JWT check (a warning
is logged at start).

Feedback spends the token before it stores anything (`CdsClientDep`). A hook call spends
it when it answers, success or error alike (`HookCallerDep`): it changes nothing here,
so a call cut off by a dying replica can be retried on another (docs/REPLICAS.md).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from service.api.deps import RuntimeDep
from service.errors import Unauthorized
from service.metrics import JWT_REJECTIONS, STORAGE_ERRORS
from service.security.clients import TrustedClient, dev_client, load_clients
from service.security.jwt import Checked, JwtPolicy, JwtVerifier
from service.settings import Settings
from service.storage import Storage, StorageUnavailable

log = logging.getLogger("oms_cds.cds")


@dataclass(frozen=True, slots=True)
class CdsAuth:
    """Per-app: the verifier (its replay cache is the storage), or the dev stand-in."""

    verifier: JwtVerifier | None
    insecure_client: TrustedClient | None


def build_auth(settings: Settings, storage: Storage) -> CdsAuth:
    """The verifier of the configured clients; warns about dev mode and a missing file."""
    if settings.cds_clients_file is not None:
        policy = JwtPolicy(settings.cds_jwt_leeway_seconds, settings.cds_jwt_max_lifetime_seconds)
        verifier = JwtVerifier(load_clients(settings.cds_clients_file), policy, replay=storage)
        if settings.cds_insecure_dev:
            log.warning("OMS_CDS_INSECURE_DEV is ignored: OMS_CDS_CLIENTS_FILE is set")
        return CdsAuth(verifier, None)
    if settings.cds_insecure_dev:
        log.warning(
            "!!! INSECURE CDS HOOKS DEV MODE (OMS_CDS_INSECURE_DEV=1): client JWTs are NOT "
            "checked; anyone who can reach this port gets OMS screening answers. Never use "
            "this with real patient data. !!!"
        )
        return CdsAuth(None, dev_client(settings.cds_dev_fhir_servers))
    log.warning("CDS Hooks: no OMS_CDS_CLIENTS_FILE, so every CDS service call gets 401")
    return CdsAuth(None, None)


async def authenticate(request: Request, runtime: RuntimeDep) -> TrustedClient:
    """The caller, its token spent now (feedback: the call stores data)."""
    auth: CdsAuth = request.app.state.cds_auth
    if auth.verifier is None:
        return _insecure_client(auth)
    with _replay_cache_down():
        return await auth.verifier.verify(
            request.headers.get("authorization"), expected_audiences(request, runtime.settings)
        )


async def hook_caller(request: Request, runtime: RuntimeDep) -> AsyncIterator[TrustedClient]:
    """The caller of a hook, checked before any work; its token spent once the route is done.

    A token already spent is refused here (401), before the body is read. The token is
    spent when the call answers, whether it succeeded or failed: of two concurrent calls
    with one token, one is answered and the other gets 401. When the call failed (a 400,
    412, 422...) and the token then cannot be spent because the replay cache is down,
    the caller still gets the call's own error: it says what to fix, and no data were
    answered on an unspent token. When the call succeeded, an unspent token gets 503
    instead of the cards. A call cancelled before it answers leaves the token unspent.
    """
    auth: CdsAuth = request.app.state.cds_auth
    if auth.verifier is None:
        yield _insecure_client(auth)
        return
    verifier = auth.verifier
    audiences = expected_audiences(request, runtime.settings)
    with _replay_cache_down():
        checked = await verifier.check(request.headers.get("authorization"), audiences)
    try:
        yield checked.client
    except Exception as failure:
        await _spend_after(failure, verifier, checked)
        raise
    with _replay_cache_down():
        await verifier.record(checked)


async def _spend_after(failure: Exception, verifier: JwtVerifier, checked: Checked) -> None:
    """Spend the token of a failed call; a replay cache that is down does not replace the
    call's error (logged and counted, no values). Spent already (Unauthorized): 401."""
    try:
        await verifier.record(checked)
    except StorageUnavailable:
        STORAGE_ERRORS.labels("replay check").inc()
        log.error(  # noqa: TRY400 (no traceback in logs)
            "token not spent after a failed call: replay cache unavailable",
            extra={"error_type": type(failure).__name__},
        )


def _insecure_client(auth: CdsAuth) -> TrustedClient:
    if auth.insecure_client is not None:
        return auth.insecure_client
    JWT_REJECTIONS.labels("no trusted clients").inc()
    raise Unauthorized


@contextmanager
def _replay_cache_down() -> Iterator[None]:
    """Count and log a replay cache that cannot be used; the StorageUnavailable is a 503."""
    try:
        yield
    except StorageUnavailable:
        STORAGE_ERRORS.labels("replay check").inc()
        log.error("replay check failed: call refused")  # noqa: TRY400 (no traceback in logs)
        raise


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


CdsClientDep = Annotated[TrustedClient, Depends(authenticate)]
#: `scope="function"`: the token is spent after the route returns or raises, before the
#: answer is sent, so a failure to spend it can still change the answer.
HookCallerDep = Annotated[TrustedClient, Depends(hook_caller, scope="function")]
