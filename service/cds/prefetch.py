"""Gather the screen's data: prefetch values first, the client's FHIR server for the rest.

Per prefetch key (CDS Hooks 2.0, "Prefetch"):

* absent, or an OperationOutcome, or a value of the wrong shape: read it from
  `fhirServer` (the data were not supplied, or the client failed to get them);
* `null`: no data (for the Patient read: no such patient, which is a 412);
* a Bundle: its entries; a `next` link is followed on `fhirServer`, bounded.

Every URL is checked before a connection is opened: it must lie under `fhirServer`
and under one of the authenticated client's `fhir_servers` prefixes, so the access
token goes nowhere else. Every failure to get required data is a 412 whose issue
code says what happened; none becomes a 500.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import httpx
import orjson

from service.cds.discovery import PATIENT_TOKEN, PrefetchKey
from service.cds.errors import PreconditionFailed
from service.cds.request import HookRequest
from service.security.clients import TrustedClient, url_within

Json = dict[str, Any]

FHIR_JSON: Final = "application/fhir+json"
_FAILED_SEVERITIES: Final = frozenset({"error", "fatal"})


@dataclass(frozen=True, slots=True)
class Found:
    """One resource for the assembled Bundle, with where it came from (for error paths)."""

    source: str
    resource: Json
    full_url: str | None


@dataclass(frozen=True, slots=True)
class FetchLimits:
    timeout: float = 3.0
    max_pages: int = 10
    max_bytes: int = 32 * 1024 * 1024

    @property
    def deadline(self) -> float:
        """The bound on all reads of one hook call together."""
        return self.timeout * 3


class _Unusable(Exception):
    """A prefetch value that must be fetched again."""


async def gather(
    request: HookRequest,
    keys: Sequence[PrefetchKey],
    client: TrustedClient,
    limits: FetchLimits,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Found]:
    """Every resource the screen needs, in key order; PreconditionFailed if any is missing.

    Keys are read concurrently; when several fail, the first key's error is raised. The
    HTTP client is made only when a read is needed (making one costs ~20 ms).
    """
    server = _Server(request, client, limits, transport)
    found: list[Found] = []
    try:
        async with asyncio.timeout(limits.deadline):
            results = await asyncio.gather(
                *(_one_key(request, key, server) for key in keys), return_exceptions=True
            )
        for result in results:
            if isinstance(result, BaseException):
                raise result
            found.extend(result)
    except TimeoutError:
        raise PreconditionFailed("The FHIR server did not answer in time", code="timeout") from None
    finally:
        await server.close()
    return _unique(found)


async def _one_key(request: HookRequest, key: PrefetchKey, server: _Server) -> list[Found]:
    prefetch = request.prefetch or {}
    where = f"prefetch.{key.name}"
    if key.name in prefetch:
        value = _unwrap_legacy(prefetch[key.name])
        if value is None:
            if key.read:
                raise PreconditionFailed(
                    "The client reports no Patient for context.patientId",
                    code="not-found",
                    expression=[where],
                )
            return []
        try:
            return await _from_value(value, key, where, server)
        except _Unusable:
            pass
    return await server.fetch(key)


async def _from_value(value: object, key: PrefetchKey, where: str, server: _Server) -> list[Found]:
    if not isinstance(value, dict):
        raise _Unusable
    resource_type = value.get("resourceType")
    if resource_type == key.resource_type and key.read:
        return [Found(where, value, None)]
    if resource_type != "Bundle":
        raise _Unusable
    found = _entries(value, key, where)
    next_url = _next_link(value)
    if next_url is not None:
        found.extend(await server.follow(next_url, key, pages_done=1))
    if key.read and not found:
        raise _Unusable
    return found


def _entries(bundle: Json, key: PrefetchKey, where: str) -> list[Found]:
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise _Unusable
    found = []
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _Unusable
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            continue
        resource_type = resource.get("resourceType")
        if resource_type == "OperationOutcome" and _failed(resource):
            raise _Unusable
        if resource_type == key.resource_type:
            full_url = entry.get("fullUrl")
            found.append(
                Found(
                    f"{where}.entry[{n}].resource",
                    resource,
                    full_url if isinstance(full_url, str) else None,
                )
            )
    return found


class _Server:
    """The client's FHIR server, reached only under the allowed prefixes."""

    def __init__(
        self,
        request: HookRequest,
        client: TrustedClient,
        limits: FetchLimits,
        transport: httpx.AsyncBaseTransport | None,
    ) -> None:
        self._base = request.fhir_server
        self._patient_id = request.patient_id
        self._token = request.access_token
        self._client = client
        self._limits = limits
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    def _session(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=self._limits.timeout,
                follow_redirects=False,
                trust_env=False,
                transport=self._transport,
            )
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def fetch(self, key: PrefetchKey) -> list[Found]:
        base = self._allowed_base(key)
        url = f"{base.rstrip('/')}/{key.template.replace(PATIENT_TOKEN, self._patient_id)}"
        if key.read:
            status, document = await self._get(url, key)
            if status in (404, 410):
                raise PreconditionFailed(
                    "The FHIR server has no such Patient", code="not-found", expression=[key.name]
                )
            if status != 200:
                raise self._failed(status, key)
            if not isinstance(document, dict) or document.get("resourceType") != "Patient":
                raise PreconditionFailed(
                    "The FHIR server answered the Patient read with something else",
                    code="invalid",
                    expression=[key.name],
                )
            return [Found(f"fhirServer.{key.name}", document, None)]
        return await self.follow(url, key, pages_done=0)

    async def follow(self, url: str, key: PrefetchKey, *, pages_done: int) -> list[Found]:
        """The entries of a search from `url` on, page by page, bounded and loop-free."""
        self._allowed_base(key)
        found: list[Found] = []
        seen: set[str] = set()
        next_url: str | None = url
        page = pages_done
        while next_url is not None:
            if next_url in seen:
                raise PreconditionFailed(
                    "The FHIR server's next links loop", code="processing", expression=[key.name]
                )
            if page >= self._limits.max_pages:
                raise PreconditionFailed(
                    "The search has more pages than the service reads",
                    code="too-costly",
                    expression=[key.name],
                )
            seen.add(next_url)
            status, document = await self._get(next_url, key)
            if status != 200 or not isinstance(document, dict):
                raise self._failed(status, key)
            if document.get("resourceType") != "Bundle":
                raise PreconditionFailed(
                    "The FHIR server answered a search with something other than a Bundle",
                    code="invalid",
                    expression=[key.name],
                )
            try:
                entries = _entries(document, key, f"fhirServer.{key.name}.page[{page}]")
            except _Unusable:
                raise PreconditionFailed(
                    "The FHIR server reported an error in the search result",
                    code="processing",
                    expression=[key.name],
                ) from None
            found.extend(entries)
            next_url = _next_link(document)
            page += 1
        return found

    def _allowed_base(self, key: PrefetchKey) -> str:
        if self._base is None:
            raise PreconditionFailed(
                f"Prefetch key {key.name} is missing, unusable or paged, and the request "
                "has no fhirServer to read it from",
                code="required",
                expression=[f"prefetch.{key.name}"],
            )
        if not self._client.allows_fhir_server(self._base):
            raise PreconditionFailed(
                "fhirServer is not registered for this CDS client; the service will not call it",
                code="forbidden",
                expression=["fhirServer"],
            )
        return self._base

    async def _get(self, url: str, key: PrefetchKey) -> tuple[int, object]:
        """(status, parsed JSON or None); only URLs under fhirServer and the client's list."""
        assert self._base is not None
        if not (url_within(url, self._base) and self._client.allows_fhir_server(url)):
            raise PreconditionFailed(
                "A link from the FHIR server leaves the registered FHIR server",
                code="forbidden",
                expression=[key.name],
            )
        headers = {"Accept": FHIR_JSON}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            async with self._session().stream("GET", url, headers=headers) as response:
                if response.status_code != 200:
                    return response.status_code, None
                body = await _read_limited(response, self._limits.max_bytes, key)
        except httpx.TimeoutException:
            raise PreconditionFailed(
                "The FHIR server did not answer in time", code="timeout", expression=[key.name]
            ) from None
        except httpx.HTTPError:
            raise PreconditionFailed(
                "The FHIR server could not be reached", code="transient", expression=[key.name]
            ) from None
        try:
            return 200, orjson.loads(body)
        except orjson.JSONDecodeError:
            raise PreconditionFailed(
                "The FHIR server's answer is not JSON", code="invalid", expression=[key.name]
            ) from None

    @staticmethod
    def _failed(status: int, key: PrefetchKey) -> PreconditionFailed:
        code, message = {
            401: ("security", "The FHIR server refused the access token"),
            403: ("forbidden", "The FHIR server refused access to the data"),
            404: ("not-found", "The FHIR server does not support this search"),
        }.get(status, ("transient", "The FHIR server failed to answer the search"))
        if 300 <= status < 400:
            code, message = (
                "not-supported",
                "The FHIR server redirected; redirects are not followed",
            )
        return PreconditionFailed(message, code=code, expression=[key.name])


async def _read_limited(response: httpx.Response, limit: int, key: PrefetchKey) -> bytes:
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > limit:
            raise PreconditionFailed(
                "The FHIR server's answer is larger than the service reads",
                code="too-costly",
                expression=[key.name],
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _unwrap_legacy(value: object) -> object:
    """cqf-ruler's pre-1.0 `{"response": {...}, "resource": {...}}` wrapper -> the resource."""
    if isinstance(value, dict) and "resourceType" not in value and "resource" in value:
        return value["resource"]
    return value


def _failed(outcome: Json) -> bool:
    issues = outcome.get("issue")
    if not isinstance(issues, list):
        return True
    return any(isinstance(i, dict) and i.get("severity") in _FAILED_SEVERITIES for i in issues)


def _next_link(bundle: Json) -> str | None:
    links = bundle.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            if isinstance(url, str) and url:
                return url
    return None


def _unique(found: list[Found]) -> list[Found]:
    """Drop repeats of one resource (the two Observation searches may overlap)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for item in found:
        resource_id = item.resource.get("id")
        if isinstance(resource_id, str):
            identity = (str(item.resource.get("resourceType")), resource_id)
            if identity in seen:
                continue
            seen.add(identity)
        kept.append(item)
    return kept
