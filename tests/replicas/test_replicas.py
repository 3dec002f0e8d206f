"""Two `oms-cds serve` replicas on one PostgreSQL, directly and behind nginx.

The figures (calls, replays refused, failures while a replica dies) are printed, so
`pytest -s -k replicas` shows them; every one is also asserted.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bench.cluster import AUD, FEEDBACK_AUD, PUBLIC, SERVICE, Nginx, Replica
from tests.cds.builders import hook_request, risk_example
from tests.pg import PostgresServer
from tests.security.keys import FHIR, ISS, clients_file, es384, jwks
from tests.storage.helpers import stored_feedback

pytestmark = pytest.mark.slow

KEY = es384()
PATIENT_ID, PREFETCH = risk_example("high")
JSON = {"Content-Type": "application/json"}


@dataclass
class Cluster:
    a: Replica
    b: Replica
    database_url: str

    @property
    def replicas(self) -> list[Replica]:
        return [self.a, self.b]


@pytest.fixture(scope="module")
def cluster(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("replicas")
    clients = clients_file(
        folder / "clients.json", {"iss": ISS, "jwks": jwks(KEY), "fhir_servers": [FHIR]}
    )
    url = postgres.new_database()
    env = {
        "OMS_DATABASE_URL": url,
        "OMS_CDS_CLIENTS_FILE": str(clients),
        "OMS_PUBLIC_BASE_URL": PUBLIC,
        # 200 calls arrive at once on a shared 2-core machine: let them queue for a
        # connection rather than shed load (what is tested is correctness, not speed).
        "OMS_DATABASE_TIMEOUT": "30",
    }
    a, b = Replica("a", env, folder), Replica("b", env, folder)
    try:
        a.start()
        b.start()
        yield Cluster(a, b, url)
    finally:
        a.stop()
        b.stop()


def hook_call(token: str) -> dict[str, Any]:
    return {
        "content": json.dumps(hook_request(PREFETCH, patient_id=PATIENT_ID)).encode(),
        "headers": {**JSON, "Authorization": f"Bearer {token}"},
    }


async def post_all(calls: list[tuple[str, str, str]], path: str = SERVICE) -> list[int]:
    """POST each (base url, token, body-kind) at once; the statuses, in order."""
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=250)) as client:

        async def one(base: str, token: str) -> int:
            response = await client.post(base + path, **hook_call(token))
            return response.status_code

        return list(await asyncio.gather(*(one(base, token) for base, token, _ in calls)))


def test_a_token_accepted_by_one_replica_is_refused_by_the_other(cluster: Cluster) -> None:
    for first, second in ((cluster.a, cluster.b), (cluster.b, cluster.a)):
        token = KEY.token(aud=AUD)
        with httpx.Client(timeout=30) as client:
            assert client.post(first.url + SERVICE, **hook_call(token)).status_code == 200
            assert client.post(second.url + SERVICE, **hook_call(token)).status_code == 401
            assert client.post(first.url + SERVICE, **hook_call(token)).status_code == 401


def test_200_concurrent_calls_with_fresh_tokens_all_succeed_then_50_replays_all_fail(
    cluster: Cluster,
) -> None:
    tokens = [KEY.token(aud=AUD) for _ in range(200)]
    bases = [cluster.replicas[n % 2].url for n in range(200)]
    statuses = asyncio.run(post_all([(b, t, "") for b, t in zip(bases, tokens, strict=True)]))
    print(f"\n200 concurrent calls over 2 replicas: {Counter(statuses)}")
    assert statuses == [200] * 200

    # Each of 50 used tokens replayed on the replica that did NOT first accept it.
    replays = [(cluster.replicas[(n + 1) % 2].url, tokens[n], "") for n in range(50)]
    refused = asyncio.run(post_all(replays))
    print(f"50 replays of used tokens, on the other replica: {Counter(refused)}")
    assert refused == [401] * 50


def test_one_fresh_token_sent_51_times_at_once_over_both_is_accepted_once(
    cluster: Cluster,
) -> None:
    token = KEY.token(aud=AUD)
    calls = [(cluster.replicas[n % 2].url, token, "") for n in range(51)]
    statuses = asyncio.run(post_all(calls))
    print(f"\none token, 51 concurrent uses over both replicas: {Counter(statuses)}")
    assert sorted(statuses) == [200] + [401] * 50


def test_feedback_sent_to_both_replicas_is_stored_once(cluster: Cluster) -> None:
    before = len(stored_feedback(cluster.database_url))
    items = [
        {
            "card": f"card-{n}",
            "outcome": "overridden",
            "outcomeTimestamp": f"2026-11-30T10:{n:02d}:00Z",
        }
        for n in range(20)
    ]

    async def send() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:

            async def one(base: str, item: dict[str, Any]) -> int:
                token = KEY.token(aud=FEEDBACK_AUD)
                response = await client.post(
                    base + SERVICE + "/feedback",
                    content=json.dumps({"feedback": [item]}).encode(),
                    headers={**JSON, "Authorization": f"Bearer {token}"},
                )
                return response.status_code

            # every item to both replicas, at once: 40 calls, 20 distinct items
            return list(
                await asyncio.gather(
                    *(one(r.url, item) for item in items for r in (cluster.a, cluster.b))
                )
            )

    statuses = asyncio.run(send())
    rows = stored_feedback(cluster.database_url)[before:]
    print(f"\nfeedback: 40 calls ({Counter(statuses)}), {len(rows)} rows stored")
    assert statuses == [200] * 40
    assert sorted(row["card"] for row in rows) == sorted(item["card"] for item in items)


def test_each_replica_reports_its_own_metrics(cluster: Cluster) -> None:
    with httpx.Client(timeout=10) as client:
        for replica in cluster.replicas:
            text = client.get(replica.url + "/metrics").text
            assert 'oms_assessments_total{risk="high",source="cds-hook"}' in text
            assert 'oms_jwt_rejections_total{reason="replay"}' in text
            assert PATIENT_ID not in text


# --- behind nginx --------------------------------------------------------------------


@dataclass
class LoadResult:
    statuses: Counter[str]
    killed_after: int

    @property
    def failures(self) -> int:
        return sum(n for status, n in self.statuses.items() if status not in ("200",))


async def load_through(
    base: str, total: int, kill_at: int, kill: Any, concurrency: int = 8
) -> LoadResult:
    """`total` calls (3 hook POSTs with fresh tokens to 1 discovery GET), `concurrency` at
    a time; `kill()` runs once `kill_at` calls have completed."""
    statuses: Counter[str] = Counter()
    done = 0
    killed = asyncio.Event()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(total):
        queue.put_nowait(n)

    async with httpx.AsyncClient(timeout=30) as client:

        async def worker() -> None:
            nonlocal done
            while not queue.empty():
                n = queue.get_nowait()
                try:
                    if n % 4 == 3:
                        response = await client.get(base + "/cds-services")
                    else:
                        response = await client.post(
                            base + SERVICE, **hook_call(KEY.token(aud=AUD))
                        )
                    statuses[f"{response.status_code}"] += 1
                except httpx.TransportError as exc:
                    statuses[type(exc).__name__] += 1
                done += 1
                if done >= kill_at and not killed.is_set():
                    killed.set()
                    await asyncio.to_thread(kill)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(statuses, kill_at)


@pytest.fixture(scope="module")
def nginx(cluster: Cluster) -> Iterator[Nginx]:
    proxy = Nginx([cluster.a.port, cluster.b.port]).start()
    try:
        yield proxy
    finally:
        proxy.stop()


def test_behind_nginx_calls_keep_succeeding_when_a_replica_stops_or_crashes(
    cluster: Cluster, nginx: Nginx
) -> None:
    # A rolling restart stops a replica with SIGTERM: it stops accepting, finishes what
    # it has, exits; nginx sends what it refused to the other one.
    graceful = asyncio.run(
        load_through(nginx.url, 400, 100, lambda: cluster.a.stop(signal.SIGTERM))
    )
    print(f"\nnginx, replica A stopped (SIGTERM) after 100 of 400 calls: {graceful.statuses}")
    started = time.monotonic()
    cluster.a.start()
    time.sleep(max(0.0, 3.5 - (time.monotonic() - started)))  # past nginx's fail_timeout

    crash = asyncio.run(load_through(nginx.url, 400, 100, lambda: cluster.b.stop(signal.SIGKILL)))
    print(f"nginx, replica B killed (SIGKILL) after 100 of 400 calls: {crash.statuses}")
    marked_down = nginx.error_log().count("upstream server temporarily disabled")
    retried = sum(", " in line for line in nginx.access_log().splitlines())
    print(f"nginx marked a replica down {marked_down} time(s), sent {retried} call(s) again")
    cluster.b.start()

    assert graceful.failures == 0
    # Hook calls B was working on when it died are sent to A by nginx (the token is spent
    # only when a call is answered). Only a call killed between its token being recorded
    # and its answer leaving B (well under a millisecond) could still fail.
    assert crash.failures <= 2
    assert crash.statuses["200"] >= 398
    assert marked_down >= 1
    assert retried >= 1
