"""Reads see what the server holds now, even when the server caches search results.

HAPI reuses the results of an identical search for 60 s by default
(`reuse_cached_search_results_millis`); the client asks for fresh results
(`Cache-Control: no-cache`), else an assessment made soon after new evidence misses it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from service.clients.fhir import FhirClient
from tests.contract import seed
from tests.search_pages import matches

pytestmark = pytest.mark.contract

Json = dict[str, Any]


def test_a_search_repeated_at_once_sees_what_was_added_in_between(
    fhir_base_url: str, fhir: httpx.Client
) -> None:
    patient = seed.post_transaction(fhir, seed.oms_transaction("high", seed.new_run_id()))[0].id
    query = {"patient": f"Patient/{patient}", "_count": "200"}

    async def observations() -> list[Json]:
        async with FhirClient(fhir_base_url) as client:
            return await matches(client, "Observation", query)

    before = asyncio.run(observations())
    extra = {k: v for k, v in before[0].items() if k not in ("id", "meta")}
    created = fhir.post("Observation", json=extra)
    assert created.status_code == 201, created.text[:300]

    after = asyncio.run(observations())

    assert len(after) == len(before) + 1
    assert {r["id"] for r in before} < {r["id"] for r in after}
