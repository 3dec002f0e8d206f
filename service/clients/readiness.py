"""`GET metadata` on the configured FHIR server, for `/readyz`: does it answer, and with
a CapabilityStatement, within the probe's bound?

Outcomes name what went wrong (timeout, status, unreachable), never a URL: a base URL
may carry credentials. No redirects are followed and at most `METADATA_MAX_BYTES` are
read (HAPI's CapabilityStatement is a few hundred kB).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Final

import httpx
import orjson

from service.clients.fhir import tls_context

METADATA_MAX_BYTES: Final = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class MetadataFault:
    """Why the server is not ready: an OperationOutcome issue code and safe words."""

    code: str
    message: str


async def probe_metadata(base_url: str, token: str | None, timeout: float) -> MetadataFault | None:
    """None when `GET metadata` answers 200 with a CapabilityStatement within `timeout`."""
    url = base_url.rstrip("/") + "/metadata"
    headers = {"Accept": "application/fhir+json", "User-Agent": "oms-cds readiness"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        async with (
            asyncio.timeout(timeout),
            httpx.AsyncClient(
                timeout=timeout, verify=tls_context(), follow_redirects=False
            ) as http,
            http.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code != 200:
                return MetadataFault(
                    "transient", f"FHIR server: GET metadata answered {response.status_code}"
                )
            body = await _read_capped(response)
    except (TimeoutError, httpx.TimeoutException):
        return MetadataFault(
            "timeout", f"FHIR server: no answer to GET metadata within {timeout:g} s"
        )
    except httpx.HTTPError:
        return MetadataFault("transient", "FHIR server: could not be reached")
    except httpx.InvalidURL:
        return MetadataFault("invalid", "FHIR server: OMS_FHIR_BASE_URL is not a URL")
    if not _is_capability_statement(body):
        return MetadataFault("invalid", "FHIR server: GET metadata gave no CapabilityStatement")
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
