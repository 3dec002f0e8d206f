"""`GET /healthz` probes fired on a fixed schedule while something else keeps the service busy.

Each probe is its own asyncio task on its own fresh connection and is fired on schedule
whether or not the earlier ones have been answered, so a stall of the service's event
loop shows in every probe that falls into it (a probe that waited for the previous
answer would be sent once per stall and under-count it). Each measures its own latency,
from opening the connection to the last byte of the answer.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bench.server import HOST

T = TypeVar("T")

#: One probe every 20 ms (issue 11).
INTERVAL = 0.02
#: A probe not answered in this time counts as failed (its latency is not recorded).
PROBE_TIMEOUT = 30.0
_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"


@dataclass(frozen=True)
class Probes:
    """Latencies (seconds) of the probes answered 200, how many failed, and the busy call's
    wall time."""

    latencies: list[float]
    failed: int
    busy_seconds: float

    def figures(self) -> dict[str, float | int]:
        found = self.latencies or [float("nan")]
        return {
            "probes": len(self.latencies), "failed": self.failed,
            "median_s": statistics.median(found), "max_s": max(found),
            "p95_s": _p95(found), "request_s": self.busy_seconds,
        }  # fmt: skip


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def probe_during(
    port: int, busy: Callable[[], T], *, interval: float = INTERVAL, limit: float = 180.0
) -> tuple[Probes, T]:
    """Run `busy` in a thread; probe `/healthz` every `interval` s until it returns."""
    return asyncio.run(_probe_during(port, busy, interval, limit))


async def _probe_during(
    port: int, busy: Callable[[], T], interval: float, limit: float
) -> tuple[Probes, T]:
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    job = loop.run_in_executor(None, busy)
    tasks: list[asyncio.Task[float | None]] = []
    fire = loop.time()
    deadline = fire + limit
    while True:  # at least one probe, however short the busy call
        tasks.append(asyncio.create_task(_probe(port)))
        fire += interval
        await asyncio.sleep(max(0.0, fire - loop.time()))
        if job.done() or loop.time() >= deadline:
            break
    result = await job
    busy_seconds = time.perf_counter() - started
    answers = await asyncio.gather(*tasks)
    latencies = [a for a in answers if a is not None]
    return Probes(latencies, len(answers) - len(latencies), busy_seconds), result


async def _probe(port: int) -> float | None:
    """Seconds for one `GET /healthz` on a new connection; None unless it answered 200."""
    start = time.perf_counter()
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(_REQUEST % f"{HOST}:{port}".encode())
            answer = await reader.read()  # the server closes after the answer
        seconds = time.perf_counter() - start
    except (OSError, TimeoutError):
        return None
    finally:
        if writer is not None:
            writer.close()
    return seconds if answer.startswith(b"HTTP/1.1 200 ") else None
