"""The service's FHIR client against real paging: small `_count` forces many pages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from service.clients.fhir import FhirClient, FhirClientLimits
from service.errors import UpstreamError
from service.intake.prefetch import PrefetchValue
from tests.contract.conftest import Seeded
from tests.search_pages import matches, read, resources

pytestmark = pytest.mark.contract


@pytest.mark.parametrize(
    "count", [pytest.param(7, id="7-per-page"), pytest.param(1, id="1-per-page")]
)
def test_every_page_is_followed_and_nothing_repeats(
    fhir_base_url: str, seeded: Seeded, count: int
) -> None:
    async def pages_and_whole() -> tuple[list[PrefetchValue], list[dict[str, Any]]]:
        async with FhirClient(fhir_base_url, limits=FhirClientLimits(max_pages=40)) as client:
            query = {"patient": f"Patient/{seeded.bob}"}
            pages = await client.search_pages("Observation", {**query, "_count": str(count)}, read)
            whole = await matches(client, "Observation", {**query, "_count": "200"})
            return pages, whole

    pages, whole = asyncio.run(pages_and_whole())

    ids = [r["id"] for page in pages for r in resources(page)]
    assert len(whole) == 30
    assert len(pages) >= 30 // count
    assert all(page.entry_count <= count for page in pages)
    assert sorted(ids) == sorted(r["id"] for r in whole)
    assert len(set(ids)) == len(ids)


def test_the_page_cap_stops_a_long_search(fhir_base_url: str, seeded: Seeded) -> None:
    async def search() -> object:
        async with FhirClient(fhir_base_url, limits=FhirClientLimits(max_pages=3)) as client:
            return await matches(
                client, "Observation", {"patient": f"Patient/{seeded.bob}", "_count": "5"}
            )

    with pytest.raises(UpstreamError) as caught:
        asyncio.run(search())
    assert caught.value.code == "too-costly"
