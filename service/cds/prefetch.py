"""Gather the screen's data: prefetch values first, the client's FHIR server for the rest.

Per prefetch key (CDS Hooks 2.0, "Prefetch"):

* absent, or an OperationOutcome, or a value of the wrong shape: read it from
  `fhirServer` (the data were not supplied, or the client failed to get them);
* `null`: no data (for the Patient read: no such patient, which is a 412);
* a Bundle: its entries; a `next` link is followed on `fhirServer`, bounded.

Every URL is checked before a connection is opened: it must lie under `fhirServer`
and under one of the authenticated client's `fhir_servers` prefixes, so the access
token goes nowhere else. Reads go through the shared `FhirClient` (one per hook
call, made on first need) with that check as its `url_guard`, no retries and no
redirects. Every failure to get required data is a 412 whose issue code says what
happened; none becomes a 500.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from service import defaults
from service.cds.discovery import PATIENT_TOKEN, PrefetchKey
from service.cds.errors import PreconditionFailed
from service.cds.request import HookRequest
from service.clients.fhir import Fault, FhirClient, FhirClientLimits, FhirServerError
from service.errors import NotFound, OmsError, UpstreamTimeout
from service.gather import patient_record, read_patient
from service.intake import Record, Resource
from service.intake.prefetch import PrefetchValue, read_page
from service.metrics import PREFETCH_FALLBACKS, count_upstream
from service.security.clients import TrustedClient, url_within

if TYPE_CHECKING:  # the transport is injected; only clients/ and security/ use httpx
    import httpx


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Per-request timeout (connect, read), pages per search (a prefetch page counts),
    bytes per search (`OMS_CDS_FHIR_TIMEOUT_SECONDS`, `OMS_CDS_FHIR_MAX_PAGES`)."""

    timeout: float = defaults.CDS_FHIR_TIMEOUT
    max_pages: int = defaults.CDS_FHIR_MAX_PAGES
    max_bytes: int = defaults.MAX_BODY_BYTES

    @property
    def deadline(self) -> float:
        """The bound on all reads of one hook call together."""
        return self.timeout * 3


class _Unusable(Exception):
    """A prefetch value that must be fetched again."""


@dataclass(frozen=True, slots=True)
class _Fetch:
    """A key whose data must be read from `fhirServer`: its records so far (a prefetch's
    first page) and where to go on (`next_url`), or (no url) the key's own read."""

    key: PrefetchKey
    records: list[Record]
    next_url: str | None = None


#: What one key gave from the prefetch alone: its records, what is left to read, or the
#: error it raises (kept, so that the first key's error is the one raised).
_Outcome = list[Record] | _Fetch | OmsError


@dataclass(frozen=True, slots=True)
class PrefetchRead:
    """Every wanted key read from the prefetch alone, in key order (no I/O: it runs in the
    worker thread that parsed the request). `complete` when no key needs `fhirServer`."""

    outcomes: tuple[_Outcome, ...]

    @property
    def complete(self) -> bool:
        return not any(isinstance(o, _Fetch) for o in self.outcomes)

    def records(self) -> list[Record]:
        """The records in key order; the first key's error if any (only when complete)."""
        found: list[Record] = []
        for outcome in self.outcomes:
            if isinstance(outcome, OmsError):
                raise outcome
            assert not isinstance(outcome, _Fetch)
            found.extend(outcome)
        return found


def read_prefetch(
    request: HookRequest, keys: Sequence[PrefetchKey], *, records_from_prefetch_only: bool = False
) -> PrefetchRead:
    """What the prefetch alone gives for each key. With `records_from_prefetch_only`, a
    record key (`PrefetchKey.record`) the prefetch lacks is left out: read it with
    `missing_records` once the screen needs it."""
    prefetch = request.prefetch or {}
    wanted = [
        key
        for key in keys
        if not (records_from_prefetch_only and key.record and key.name not in prefetch)
    ]
    outcomes: list[_Outcome] = []
    for key in wanted:
        try:
            outcomes.append(_from_prefetch(request, key))
        except OmsError as exc:
            outcomes.append(exc)
    return PrefetchRead(tuple(outcomes))


async def gather_prefetch(
    request: HookRequest,
    keys: Sequence[PrefetchKey],
    client: TrustedClient,
    limits: FetchLimits,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    records_from_prefetch_only: bool = False,
) -> list[Record]:
    """Every record the screen needs, in key order; PreconditionFailed if any is missing
    (`read_prefetch`, then `complete` on the event loop)."""
    read = read_prefetch(request, keys, records_from_prefetch_only=records_from_prefetch_only)
    return await complete(request, read, client, limits, transport)


async def complete(
    request: HookRequest,
    read: PrefetchRead,
    client: TrustedClient,
    limits: FetchLimits,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Record]:
    """The prefetch's records with what it lacks read from `fhirServer`, in key order.

    Keys are read concurrently; when several fail, the first key's error is raised. The
    HTTP client is made only when a read is needed (making one costs ~20 ms)."""
    if read.complete:
        return read.records()
    server = _Server(request, client, limits, transport)
    try:
        async with asyncio.timeout(limits.deadline):
            results = await asyncio.gather(
                *(_fetched(outcome, server) for outcome in read.outcomes),
                return_exceptions=True,
            )
    except TimeoutError:
        raise PreconditionFailed("The FHIR server did not answer in time", code="timeout") from None
    finally:
        await server.close()
    found: list[Record] = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        found.extend(result)
    return found


async def _fetched(outcome: _Outcome, server: _Server) -> list[Record]:
    if isinstance(outcome, OmsError):
        raise outcome
    if not isinstance(outcome, _Fetch):
        return outcome
    if outcome.next_url is None:
        return await server.fetch(outcome.key)
    more = await server.follow(outcome.next_url, outcome.key, pages_done=1)
    if outcome.key.read and not outcome.records and not more:  # unusable: read it again
        PREFETCH_FALLBACKS.labels(outcome.key.name, "unusable").inc()
        return await server.fetch(outcome.key)
    return [*outcome.records, *more]


def _from_prefetch(request: HookRequest, key: PrefetchKey) -> list[Record] | _Fetch:
    prefetch = request.prefetch or {}
    where = f"prefetch.{key.name}"
    if key.name in prefetch:
        value = prefetch[key.name]
        if value.null:
            if key.read:
                raise PreconditionFailed(
                    "The client reports no Patient for context.patientId",
                    code="not-found",
                    expression=[where],
                )
            return []
        try:
            return _from_value(value, key, where)
        except _Unusable:
            PREFETCH_FALLBACKS.labels(key.name, "unusable").inc()
    else:
        PREFETCH_FALLBACKS.labels(key.name, "absent").inc()
    return _Fetch(key, [])


def _from_value(value: PrefetchValue, key: PrefetchKey, where: str) -> list[Record] | _Fetch:
    if not value.is_object:
        raise _Unusable
    if value.resource_type == key.resource_type and key.read and value.resource is not None:
        ident = value.head.ident if value.head is not None else _ident(value.resource)
        return [
            Record(
                None,
                value.resource,
                head=value.head,
                origin=where,
                resource_type=value.resource_type,
                ident=ident,
            )
        ]
    if value.resource_type != "Bundle":
        raise _Unusable
    found = _entries(value, key)
    if value.next_url is not None:
        return _Fetch(key, found, value.next_url)
    if key.read and not found:
        raise _Unusable
    return found


def missing_records(request: HookRequest, keys: Sequence[PrefetchKey]) -> list[PrefetchKey]:
    """The record keys the prefetch lacks, when the request names a server to read them."""
    prefetch = request.prefetch or {}
    if request.fhir_server is None:
        return []
    return [key for key in keys if key.record and key.name not in prefetch]


def _entries(bundle: PrefetchValue, key: PrefetchKey) -> list[Record]:
    """The entries of the key's type; _Unusable for malformed entries or a failed search."""
    if bundle.entries is None or bundle.failed:
        raise _Unusable
    return [entry for entry in bundle.entries if key.keeps(entry.resource_type)]


def _ident(resource: Resource) -> str | None:
    resource_id = resource.get("id") if isinstance(resource, dict) else None
    return resource_id if isinstance(resource_id, str) and resource_id else None


class _Server:
    """The client's FHIR server through one shared `FhirClient`, made on first use.

    The client may ask only for URLs under both `fhirServer` and one of the caller's
    `fhir_servers` prefixes (its `url_guard`, asked before any connection), does not
    retry (the EHR waits ~500 ms for the whole hook), and ignores proxy variables.
    """

    def __init__(
        self,
        request: HookRequest,
        client: TrustedClient,
        limits: FetchLimits,
        transport: httpx.AsyncBaseTransport | None,
    ) -> None:
        self._request = request
        self._client = client
        self._limits = limits
        self._transport = transport
        self._fhir: FhirClient | None = None

    def _session(self, key: PrefetchKey) -> FhirClient:
        base = self._request.fhir_server
        if base is None:
            raise PreconditionFailed(
                f"Prefetch key {key.name} is missing, unusable or paged, and the request "
                "has no fhirServer to read it from",
                code="required",
                expression=[f"prefetch.{key.name}"],
            )
        if not self._client.allows_fhir_server(base):
            raise PreconditionFailed(
                "fhirServer is not registered for this CDS client; the service will not call it",
                code="forbidden",
                expression=["fhirServer"],
            )
        if self._fhir is None:
            limits = self._limits
            self._fhir = FhirClient(
                base,
                token=self._request.access_token,
                limits=FhirClientLimits(
                    connect_timeout=limits.timeout,
                    read_timeout=limits.timeout,
                    deadline=limits.deadline,
                    max_retries=0,
                    max_pages=limits.max_pages,
                    max_bytes=limits.max_bytes,
                ),
                transport=self._transport,
                url_guard=lambda url: (
                    url_within(url, base) and self._client.allows_fhir_server(url)
                ),
                strict=False,
                trust_env=False,
            )
        return self._fhir

    async def close(self) -> None:
        if self._fhir is not None:
            await self._fhir.aclose()

    async def fetch(self, key: PrefetchKey) -> list[Record]:
        fhir = self._session(key)
        patient_id = self._request.patient_id
        if not key.read:  # the template is one of the reader's searches (`service.gather`)
            return await self.follow(key.template.replace(PATIENT_TOKEN, patient_id), key)
        try:
            patient = await read_patient(fhir, patient_id)
        except OmsError as exc:
            raise _precondition(exc, key) from None
        return [patient_record(patient, origin=f"fhirServer.{key.name}")]

    async def follow(self, url: str, key: PrefetchKey, *, pages_done: int = 0) -> list[Record]:
        """The entries of a search from `url` on, page by page, bounded and loop-free."""
        fhir = self._session(key)

        def read(body: bytes, n: int) -> PrefetchValue:
            return read_page(body, f"fhirServer.{key.name}.page[{n + pages_done}]")

        try:
            pages = await fhir.pages(
                url, key.resource_type, read, max_pages=self._limits.max_pages - pages_done
            )
        except OmsError as exc:
            raise _precondition(exc, key) from None
        found: list[Record] = []
        for page in pages:
            try:
                found.extend(_entries(page, key))
            except _Unusable:
                raise PreconditionFailed(
                    "The FHIR server reported an error in the search result",
                    code="processing",
                    expression=[key.name],
                ) from None
        return found


#: The 412 issue code for each way the FHIR server can fail (HTTP statuses apart).
_FAULT_CODES: Final = {
    Fault.UNREACHABLE: "transient",
    Fault.INVALID: "invalid",
    Fault.LOOP: "processing",
    Fault.TOO_COSTLY: "too-costly",
    Fault.OFF_SERVER: "forbidden",
}
_STATUS_CODES: Final = {401: "security", 403: "forbidden", 404: "not-found", 410: "not-found"}


def _precondition(exc: OmsError, key: PrefetchKey) -> PreconditionFailed:
    """The 412 for a failed read or search; the client's message names no URL or data."""
    count_upstream("cds-hook", exc)
    message = exc.message
    if isinstance(exc, UpstreamTimeout):
        code = "timeout"
    elif isinstance(exc, NotFound):
        code = "not-found"
        if not key.read:
            message = "The FHIR server does not support this search (404)"
    elif isinstance(exc, FhirServerError) and exc.fault is Fault.STATUS:
        status = exc.upstream_status or 0
        code = "not-supported" if 300 <= status < 400 else _STATUS_CODES.get(status, "transient")
    elif isinstance(exc, FhirServerError):
        code = _FAULT_CODES[exc.fault]
    else:
        code = "transient"
    return PreconditionFailed(message, code=code, expression=[key.name])
