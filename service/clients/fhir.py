"""An async client for one FHIR R4 server: reads, paged searches and transactions.

Built per server (base URL + optional bearer token), so the FHIR-server route and the
CDS Hooks `fhirServer` fallback share it. Every failure becomes an OmsError whose
message is safe to show anyone: it names the resource type and the HTTP status, never
a URL (URLs carry patient ids), a token or a response body.

Decisions a caller may want to know:

* Reads and searches are retried (connection errors, 429, 503) with exponential
  backoff; `Retry-After` is honoured when it is no longer than `retry_after_cap`,
  otherwise the client gives up at once rather than wait less than the server asked.
  Nothing waits past the operation's `deadline`.
* A transaction is retried only when the caller says it is idempotent (every entry a
  conditional create), and then only on errors that mean "not processed"; and once
  on 409: concurrent conditional creates race, the loser is refused (HAPI: HAPI-0550)
  and the same transaction sent again finds what the winner stored.
* Reads and searches ask for fresh results (`Cache-Control: no-cache`): HAPI otherwise
  answers a search repeated within 60 s from its cache, without what was written since.
* Paging follows `link[relation=next].url` verbatim, resolving a relative link against
  the base URL; a link to another origin is refused, so the token never leaves the
  server it was issued for. A repeated link, more than `max_pages` pages, more than
  `max_entries` entries or more than `max_bytes` bytes is an UpstreamError: evidence
  cut short silently could change a clinical answer. Each page's bytes are read by the
  caller's `PageReader`, in a worker thread: the service's reader keeps resources as
  bytes (`intake.prefetch.read_page`), so the client never parses a page whole.
* Every UpstreamError it raises is a `FhirServerError` whose `fault` (and
  `upstream_status`) says why, for callers that answer differently per cause (the CDS
  Hooks fallback turns each into a 412 with its own issue code).
* Optional, for callers with a stricter trust boundary (CDS Hooks): `url_guard` vets
  every URL before a connection is opened; `strict=False` omits `Prefer:
  handling=strict`; `trust_env=False` ignores proxy variables and .netrc.
"""

from __future__ import annotations

import asyncio
import email.utils
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import TracebackType
from typing import Final, Protocol, TypeVar
from urllib.parse import urlencode, urljoin, urlsplit

import certifi
import httpx
import orjson

from service import defaults

# Fault and FhirServerError are re-exported: callers of the client catch them from here.
from service.errors import Fault as Fault
from service.errors import FhirServerError as FhirServerError
from service.errors import (
    NotFound,
    OmsError,
    PayloadTooLarge,
    UnreadableInput,
    UpstreamError,
    UpstreamTimeout,
)
from service.fhir_json import Json
from service.json_reader import number_too_large
from service.settings import Settings

Params = Mapping[str, str] | Iterable[tuple[str, str]]


class Page(Protocol):
    """What the client reads of a search page to follow and bound the search; the caller's
    reader (`PageReader`) decides the rest (`intake.prefetch.read_page`)."""

    @property
    def resource_type(self) -> str | None: ...
    @property
    def entry_count(self) -> int: ...
    @property
    def next_url(self) -> str | None: ...


P = TypeVar("P", bound=Page)
#: Reads a page's bytes (and its number in the search, from 0) into the caller's page.
PageReader = Callable[[bytes, int], P]


FHIR_JSON: Final = "application/fhir+json"
#: Statuses after which an idempotent request may be sent again.
RETRY_STATUSES: Final = frozenset({429, 503})
STRICT: Final = {"Prefer": "handling=strict"}
#: On every GET: what the server holds now, not a search result it cached earlier.
FRESH: Final = {"Cache-Control": "no-cache"}


@dataclass(frozen=True, slots=True)
class FhirClientLimits:
    """Timeouts (seconds), retry policy and paging caps; defaults suit an EHR at hand."""

    connect_timeout: float = defaults.FHIR_CONNECT_TIMEOUT
    read_timeout: float = defaults.FHIR_READ_TIMEOUT
    #: Bound on one public call, retries, back-off and every page included.
    deadline: float = defaults.FHIR_DEADLINE
    max_retries: int = defaults.FHIR_MAX_RETRIES
    backoff_base: float = 0.25
    retry_after_cap: float = defaults.FHIR_RETRY_AFTER_CAP
    max_pages: int = defaults.FHIR_MAX_PAGES
    max_entries: int = defaults.FHIR_MAX_ENTRIES
    max_bytes: int = defaults.FHIR_MAX_BYTES


def limits_from(settings: Settings) -> FhirClientLimits:
    """The limits configured by `OMS_FHIR_*` settings (also right for CDS Hooks servers)."""
    return FhirClientLimits(
        connect_timeout=settings.fhir_connect_timeout,
        read_timeout=settings.fhir_read_timeout,
        deadline=settings.fhir_deadline,
        max_retries=settings.fhir_max_retries,
        retry_after_cap=settings.fhir_retry_after_cap,
        max_pages=settings.fhir_max_pages,
        max_entries=settings.fhir_max_entries,
        max_bytes=settings.fhir_max_bytes,
    )


@dataclass(frozen=True, slots=True)
class Location:
    """A transaction-response or 201 `Location`, read by path segments (ids are opaque)."""

    resource_type: str
    id: str
    version: str | None


def parse_location(location: str) -> Location | None:
    """`[base/]Type/id[/_history/vid]`, absolute (sekmet) or relative (HAPI); None otherwise."""
    path = urlsplit(location).path if "://" in location else location.split("?", 1)[0]
    parts = [p for p in path.split("/") if p]
    version = None
    if len(parts) >= 4 and parts[-2] == "_history":
        version = parts[-1]
        parts = parts[:-2]
    if len(parts) < 2 or not parts[-2][:1].isupper():
        return None
    return Location(parts[-2], parts[-1], version)


class FhirClient:
    """One FHIR server. Use `async with`, or call `aclose()` when done.

    `transport` replaces the network (respx or `httpx.MockTransport` in tests); `sleep`
    and `clock` replace the back-off wait and the deadline clock. `url_guard(url)` is
    asked about every absolute URL before it is requested (first ones and `next` links
    alike); False refuses it with `Fault.OFF_SERVER`, code `forbidden`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        limits: FhirClientLimits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        url_guard: Callable[[str], bool] | None = None,
        strict: bool = True,
        trust_env: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.limits = limits or FhirClientLimits()
        self._origin = _origin(self.base_url)
        self._sleep = sleep
        self._clock = clock
        self._url_guard = url_guard
        self._strict = strict
        headers = {"Accept": FHIR_JSON, "User-Agent": "oms-cds"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(
                self.limits.read_timeout,
                connect=self.limits.connect_timeout,
                pool=self.limits.connect_timeout,
            ),
            transport=transport,
            verify=tls_context(),
            follow_redirects=False,
            trust_env=trust_env,
        )

    async def __aenter__(self) -> FhirClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def closed(self) -> bool:
        """True once `aclose()` has run: its connections are gone."""
        return self._http.is_closed

    async def read(self, resource_type: str, resource_id: str) -> Json:
        """`GET [base]/Type/id`; 404 and 410 (deleted) raise NotFound."""
        budget = _Budget(self._clock, self.limits)
        url = urljoin(self.base_url, f"{resource_type}/{resource_id}")
        body = await self._send("GET", url, what=resource_type, budget=budget, retry=True)
        resource = _json_object(body, resource_type)
        if resource.get("resourceType") != resource_type:
            raise FhirServerError(
                f"The FHIR server answered a {resource_type} read with another type",
                fault=Fault.INVALID,
            )
        return resource

    async def search_pages(
        self, resource_type: str, params: Params, read_page: PageReader[P]
    ) -> list[P]:
        """The searchset Bundles of a search, in order, following `next` links, each read
        by `read_page` (`pages`)."""
        pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
        query = urlencode(pairs, safe="|,:/")
        return await self.pages(
            resource_type + (f"?{query}" if query else ""), resource_type, read_page
        )

    async def pages(
        self, url: str, what: str, read_page: PageReader[P], *, max_pages: int | None = None
    ) -> list[P]:
        """The searchset Bundles from `url` on: a search URL or a `next` link, relative
        to the base or absolute (same origin only), then every `next` link after it.

        Each page's bytes are read by `read_page(body, n)` (n counts from 0), in a worker
        thread: the reader decides what is parsed (the service keeps the resources as
        bytes), the client only follows the pages and bounds them. `what` names the
        search in error messages (a resource type); `max_pages` overrides
        `limits.max_pages` for this call (0: nothing may be read).
        """
        budget = _Budget(self._clock, self.limits)
        cap = self.limits.max_pages if max_pages is None else max_pages
        url = self._same_origin(url, what)
        seen: set[str] = set()
        pages: list[P] = []
        entries = 0
        while True:
            if len(pages) >= cap:
                raise FhirServerError(
                    f"The {what} search has more than {cap} pages",
                    fault=Fault.TOO_COSTLY,
                    code="too-costly",
                )
            seen.add(url)
            body = await self._send("GET", url, what=what, budget=budget, retry=True)
            # A page of 1,000 resources takes ms to read: not on the event loop.
            page = await asyncio.to_thread(_read_page, read_page, body, len(pages), what)
            if page.resource_type != "Bundle":
                raise FhirServerError(
                    f"The FHIR server answered a {what} search with no Bundle",
                    fault=Fault.INVALID,
                )
            pages.append(page)
            entries += page.entry_count
            if entries > self.limits.max_entries:
                raise FhirServerError(
                    f"The {what} search returned more than {self.limits.max_entries} entries",
                    fault=Fault.TOO_COSTLY,
                    code="too-costly",
                )
            following = page.next_url
            if following is None:
                return pages
            url = self._same_origin(following, what)
            if url in seen:
                raise FhirServerError(
                    f"The {what} search pages loop back on themselves", fault=Fault.LOOP
                )

    async def transaction(self, bundle: Json, *, idempotent: bool = False) -> Json:
        """POST a transaction (or batch) Bundle to the base; the response Bundle.

        `idempotent=True` (every entry a conditional create) allows retries.
        """
        budget = _Budget(self._clock, self.limits)
        content = orjson.dumps(bundle)

        async def send(retry: bool) -> bytes:
            return await self._send(
                "POST", self.base_url, what="transaction", budget=budget, retry=retry,
                content=content,
            )  # fmt: skip

        try:
            body = await send(idempotent)
        except FhirServerError as exc:
            if not idempotent or exc.upstream_status != 409:
                raise
            # Lost a race to a concurrent copy; nothing was written, and sent again every
            # condition now matches what the winner stored.
            body = await send(True)
        response = _json_object(body, "transaction")
        if response.get("resourceType") != "Bundle":
            raise FhirServerError(
                "The FHIR server answered the transaction with no Bundle", fault=Fault.INVALID
            )
        return response

    def _same_origin(self, url: str, what: str) -> str:
        """`url` resolved against the base; a link to another origin is refused."""
        resolved = urljoin(self.base_url, url)
        if _origin(resolved) != self._origin:
            raise FhirServerError(
                f"The {what} search links to another server; not followed",
                fault=Fault.OFF_SERVER,
            )
        return resolved

    async def _send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        budget: _Budget,
        retry: bool,
        content: bytes | None = None,
    ) -> bytes:
        if self._url_guard is not None and not self._url_guard(url):
            raise FhirServerError(
                f"The FHIR server's address for {what} is not one this call may use",
                fault=Fault.OFF_SERVER,
                code="forbidden",
            )
        attempt = 0
        while True:
            try:
                return await budget.run(self._once(method, url, what, budget, content), what)
            except _Retryable as exc:
                wait = self._wait(exc.retry_after, attempt)
                if not retry or attempt >= self.limits.max_retries or wait is None:
                    raise exc.error from None
                if not budget.allows(wait):
                    raise exc.error from None
                attempt += 1
                await self._sleep(wait)

    def _wait(self, retry_after: float | None, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None to give up now."""
        if retry_after is None:
            return self.limits.backoff_base * 2.0**attempt
        if retry_after > self.limits.retry_after_cap:
            return None
        return retry_after

    async def _once(
        self, method: str, url: str, what: str, budget: _Budget, content: bytes | None
    ) -> bytes:
        # Strict handling: a server that ignored an unknown search parameter would
        # answer with other patients' data; HAPI is strict by default, others are not.
        if content is not None:
            # A server that honours it answers a transaction with the stored resources,
            # which saves reading each one back.
            headers = {"Content-Type": FHIR_JSON, "Prefer": "return=representation"}
        else:
            headers = {**STRICT, **FRESH} if self._strict else FRESH
        try:
            async with self._http.stream(method, url, content=content, headers=headers) as response:
                status = response.status_code
                if status in RETRY_STATUSES:
                    raise _Retryable(
                        FhirServerError(
                            f"The FHIR server is unavailable for {what} ({status})",
                            fault=Fault.STATUS,
                            upstream_status=status,
                        ),
                        _retry_after(response.headers.get("retry-after")),
                    )
                if status >= 400:
                    raise _status_error(status, what)
                if not 200 <= status < 300:
                    raise FhirServerError(
                        f"The FHIR server answered {what} with status {status}",
                        fault=Fault.STATUS,
                        upstream_status=status,
                    )
                return await budget.read(response, what)
        except httpx.TimeoutException:
            raise _Retryable(
                UpstreamTimeout(f"The FHIR server did not answer {what} in time"), None
            ) from None
        except httpx.TransportError:
            raise _Retryable(
                FhirServerError(
                    f"The FHIR server could not be reached for {what}", fault=Fault.UNREACHABLE
                ),
                None,
            ) from None
        except httpx.HTTPError:
            # e.g. a body that does not decode as its Content-Encoding says: not retried.
            raise FhirServerError(
                f"The FHIR server's answer to {what} cannot be decoded", fault=Fault.INVALID
            ) from None


class _Budget:
    """The deadline and byte allowance shared by every request of one public call."""

    def __init__(self, clock: Callable[[], float], limits: FhirClientLimits) -> None:
        self._clock = clock
        self._end = clock() + limits.deadline
        self._deadline = limits.deadline
        self._bytes_left = limits.max_bytes
        self._max_bytes = limits.max_bytes

    def allows(self, wait: float) -> bool:
        return self._clock() + wait < self._end

    async def run(self, call: Awaitable[bytes], what: str) -> bytes:
        remaining = self._end - self._clock()
        try:
            async with asyncio.timeout(max(remaining, 0.0)):
                return await call
        except TimeoutError:
            raise UpstreamTimeout(
                f"The FHIR server did not answer {what} within {self._deadline:g} s"
            ) from None

    async def read(self, response: httpx.Response, what: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._bytes_left:
            raise self._too_large(what)
        chunks: list[bytes] = []
        async for chunk in response.aiter_bytes():
            self._bytes_left -= len(chunk)
            if self._bytes_left < 0:
                raise self._too_large(what)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, what: str) -> UpstreamError:
        return FhirServerError(
            f"The FHIR server's answer to {what} exceeds {self._max_bytes} bytes",
            fault=Fault.TOO_COSTLY,
            code="too-costly",
        )


class _Retryable(Exception):
    """A failure after which the request may be sent again; never leaves the client."""

    def __init__(self, error: OmsError, retry_after: float | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


@cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verification, built once: building it costs ~20-40 ms per client."""
    return ssl.create_default_context(cafile=certifi.where())


def _status_error(status: int, what: str) -> OmsError:
    if status in (404, 410):
        return NotFound(f"{what} not found on the FHIR server")
    code = None
    if status in (401, 403):
        message, code = f"The FHIR server refused access to {what} ({status})", "security"
    elif status == 412:
        message = f"The FHIR server rejected {what}: precondition failed (412)"
    elif status < 500:
        message = f"The FHIR server rejected {what} ({status})"
    else:
        message = f"The FHIR server failed on {what} ({status})"
    return FhirServerError(message, fault=Fault.STATUS, upstream_status=status, code=code)


def _retry_after(value: str | None) -> float | None:
    """Seconds from `Retry-After` (delta-seconds or an HTTP date); None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _read_page(read_page: PageReader[P], body: bytes, n: int, what: str) -> P:
    """A page read by the caller's reader; what the JSON reader refuses, a 502."""
    try:
        return read_page(body, n)
    except (UnreadableInput, PayloadTooLarge) as exc:
        raise _unreadable(what, too_large=exc.code == "not-supported") from None


def _unreadable(what: str, *, too_large: bool) -> FhirServerError:
    # A number too large for a double is valid FHIR (a decimal has no range), but where
    # the service reads an answer whole, it cannot use one that holds such.
    reason = "holds a number too large for this service to read" if too_large else "is not JSON"
    return FhirServerError(f"The FHIR server's answer to {what} {reason}", fault=Fault.INVALID)


def _json_object(body: bytes, what: str) -> Json:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _unreadable(what, too_large=number_too_large(exc)) from None
    if not isinstance(document, dict):
        raise FhirServerError(
            f"The FHIR server's answer to {what} is not a resource", fault=Fault.INVALID
        )
    return document


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port
