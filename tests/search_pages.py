"""The FHIR client's searches read the way the service reads them (`intake.prefetch.read_page`),
with each page's resources parsed whole for the tests to look at."""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from service.clients.fhir import FhirClient, Params
from service.intake.prefetch import PrefetchValue, read_page

Json = dict[str, Any]


def read(body: bytes, n: int) -> PrefetchValue:
    """The service's page reader, as the client calls it."""
    return read_page(body, f"page[{n}]")


def resources(page: PrefetchValue) -> list[Json]:
    """The page's resources as dicts, in order, without `search.mode = outcome` entries."""
    return [
        orjson.loads(bytes(r.resource)) if isinstance(r.resource, msgspec.Raw) else r.resource
        for r in page.entries or ()
        if r.search_mode != "outcome"
    ]


async def matches(client: FhirClient, resource_type: str, params: Params) -> list[Json]:
    """Every match of the search, all pages, as dicts."""
    pages = await client.search_pages(resource_type, params, read)
    return [resource for page in pages for resource in resources(page)]
