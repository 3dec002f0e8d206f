"""Whole-patient vs code-narrowed searches, and the route end to end, on running FHIR servers.

The figures in docs/FHIR_SERVER.md come from this script:

    .venv/bin/python scripts/measure_fhir_queries.py sekmet=http://127.0.0.1:P1/fhir \\
        hapi=http://127.0.0.1:P2/fhir [--runs 7]

Start the servers with scripts/sandbox-fhir-server and scripts/hapi-fhir-server. Each server is
seeded (by POST, so a long-lived server can be measured again) with the OMS example `high` and
the 846-Observation Synthea patient Lawerence6; every figure is the median of `--runs` runs after
one warm-up, on whatever else this machine is doing (2 shared cores): read ratios, not digits.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.app import create_app
from service.clients.fhir import FhirClient
from service.settings import Settings
from service.terminology import Terminology, default_terminology
from tests.contract import seed

PAGE = "200"
#: Neither server caps `_count` by default; one page instead of five for 846 Observations.
BIG_PAGE = "1000"
URL_BUDGET = 2000
HEADERS = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
SYNTHEA_846 = "Lawerence6_Baumbach677_ea8d2576-4a23-4906-c353-bfed5adb23bd.json"


def code_tokens(terminology: Terminology) -> list[str]:
    """Every criterion `system|code`, under the canonical system and each alias of it."""
    aliases: dict[str, list[str]] = {}
    for alias, canonical in terminology.system_aliases.items():
        aliases.setdefault(canonical, []).append(alias)
    tokens = set()
    for pairs in terminology.criterion_codes.values():
        for system, code in pairs:
            for name in (system, *aliases.get(system, [])):
                tokens.add(f"{name}|{code}")
    return sorted(tokens)


def chunks(base: str, tokens: list[str]) -> list[list[str]]:
    """Token lists whose percent-encoded search URL stays under URL_BUDGET characters."""
    out: list[list[str]] = [[]]
    for token in tokens:
        trial = [*out[-1], token]
        query = urlencode({"patient": "Patient/12345678", "value-concept": ",".join(trial)})
        if out[-1] and len(f"{base}/Observation?{query}&_count={PAGE}") > URL_BUDGET:
            out.append([token])
        else:
            out[-1] = trial
    return out


async def timed(call: Callable[[], Awaitable[Any]], runs: int) -> float:
    await call()
    laps = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        laps.append(time.perf_counter() - start)
    return statistics.median(laps) * 1000


async def measure(base: str, patient: str, tokens: list[str], runs: int) -> dict[str, Any]:
    reference = f"Patient/{patient}"
    parts = chunks(base, tokens)
    searches = [("Condition", "code", part) for part in parts]
    searches += [("Observation", p, part) for p in ("code", "value-concept") for part in parts]
    async with FhirClient(base) as client:

        async def whole(page: str = PAGE) -> int:
            await client.read("Patient", patient)
            found = await asyncio.gather(
                client.search("Condition", {"patient": reference, "_count": page}),
                client.search("Observation", {"patient": reference, "_count": page}),
            )
            return sum(len(f) for f in found)

        async def whole_big_pages() -> int:
            return await whole(BIG_PAGE)

        def narrowed(kind: str, param: str, part: list[str]) -> Awaitable[list[Any]]:
            return client.search(
                kind, {"patient": reference, param: ",".join(part), "_count": PAGE}
            )

        async def sequential() -> None:
            for search in searches:
                await narrowed(*search)

        async def parallel() -> None:
            await asyncio.gather(*(narrowed(*search) for search in searches))

        pages = len(
            await client.search_pages("Observation", {"patient": reference, "_count": PAGE})
        )
        return {
            "entries": await whole(),
            "pages": pages,
            "searches": len(searches),
            "whole": await timed(whole, runs),
            "whole_big": await timed(whole_big_pages, runs),
            "sequential": await timed(sequential, runs),
            "parallel": await timed(parallel, runs),
        }


def end_to_end(base: str, patient: str, terminology: Terminology, runs: int) -> float:
    app = create_app(Settings(fhir_base_url=base), terminology)
    with TestClient(app) as client:
        laps = []
        for n in range(runs + 1):
            start = time.perf_counter()
            response = client.get(f"/fhir/Patient/{patient}/$oms-assess")
            assert response.status_code == 200, response.text[:300]
            if n:
                laps.append(time.perf_counter() - start)
    return statistics.median(laps) * 1000


def seeded(base: str) -> dict[str, str]:
    with httpx.Client(base_url=base + "/", headers=HEADERS, timeout=120) as fhir:
        high = seed.post_transaction(fhir, seed.oms_transaction("high", seed.new_run_id()))[0].id
        bundle = orjson.loads((seed.SYNTHEA / SYNTHEA_846).read_bytes())
        seed.post_transaction(fhir, seed.synthea_support_transaction([bundle]))
        big = seed.post_transaction(fhir, bundle)[0].id
    return {"OMS example `high`": high, "Synthea Lawerence6": big}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("servers", nargs="+", help="name=base URL")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    terminology = default_terminology()
    tokens = code_tokens(terminology)
    print(f"{len(tokens)} criterion system|code tokens")
    print(
        "| server | patient | Obs+Cond (pages of 200) | whole-patient, `_count=200` | "
        "whole-patient, `_count=1000` | code-narrowed, in sequence | code-narrowed, in parallel "
        "| route end to end |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, base in (s.split("=", 1) for s in args.servers):
        base = base.rstrip("/")
        for label, patient in seeded(base).items():
            m = asyncio.run(measure(base, patient, tokens, args.runs))
            route = end_to_end(base, patient, terminology, args.runs)
            print(
                f"| {name} | {label} | {m['entries']} ({m['pages']}) | {m['whole']:.0f} ms | "
                f"{m['whole_big']:.0f} ms | "
                f"{m['sequential']:.0f} ms ({m['searches']}) | {m['parallel']:.0f} ms | "
                f"{route:.0f} ms |",
                flush=True,
            )


if __name__ == "__main__":
    main()
