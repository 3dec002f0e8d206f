"""Admission control over HTTP: a burst beyond the bound gets 503 with Retry-After, what was
admitted answers, nothing is lost, and the probes are never held back.

A real `oms-cds serve` process per scenario, with room for one body of the largest size.
One request is held in flight on a raw socket (its headers and half its body sent), so
the server is provably full while the burst arrives; then its body is finished.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest

from bench.data import synthea_body
from service.app import create_app
from service.settings import Settings
from service.terminology import Terminology
from tests.pg import free_port

ROOT = Path(__file__).resolve().parents[2]
ASSESS = "/fhir/$oms-assess"
HOOK = "/cds-services/oms-screening"
LIMIT = 1_000_000
#: A body that fits under the limit, twice too large to share the room in flight.
BODY = synthea_body(1000)
FHIR_JSON = {"Content-Type": "application/fhir+json"}
HOOK_REQUEST = (ROOT / "tests" / "fixtures" / "cds" / "oms-high-request.json").read_bytes()


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen[bytes]


def _serve(tmp_path: Path, wait: float) -> Iterator[Served]:
    assert LIMIT // 2 < len(BODY) <= LIMIT
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OMS_")},
        "OMS_PORT": str(port),
        "OMS_MAX_BODY_BYTES": str(LIMIT),
        "OMS_MAX_BYTES_IN_FLIGHT": str(LIMIT),
        "OMS_MAX_CONCURRENT_REQUESTS": "8",
        "OMS_ADMISSION_WAIT_SECONDS": str(wait),
        "OMS_CDS_INSECURE_DEV": "1",
        "OMS_CDS_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            pytest.fail("oms-cds serve did not start")
        yield Served(url, port, process)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)


@pytest.fixture
def refusing(tmp_path: Path) -> Iterator[Served]:
    """No wait: what does not fit is refused at once."""
    yield from _serve(tmp_path, wait=0)


@pytest.fixture
def waiting(tmp_path: Path) -> Iterator[Served]:
    """A long wait: what does not fit waits for room."""
    yield from _serve(tmp_path, wait=30)


class Held:
    """A `$oms-assess` whose headers and half its body are sent: admitted, not finished."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        head = (
            f"POST {ASSESS} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/fhir+json\r\nContent-Length: {len(BODY)}\r\n\r\n"
        )
        self.sock.sendall(head.encode() + BODY[: len(BODY) // 2])

    def finish(self) -> tuple[int, bytes]:
        self.sock.sendall(BODY[len(BODY) // 2 :])
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < _length(answer):
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        self.sock.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), body


def _length(answer: bytes) -> int:
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


async def _burst(
    url: str, requests: list[tuple[str, bytes, dict[str, str]]]
) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        return await asyncio.gather(
            *(client.post(path, content=body, headers=headers) for path, body, headers in requests)
        )


def _admitted(url: str) -> bool:
    """True once the held request has the room: a body that needs it is refused."""
    return (
        httpx.post(f"{url}{ASSESS}", content=BODY, headers=FHIR_JSON, timeout=10).status_code == 503
    )


def test_a_burst_beyond_the_bound_gets_503_with_retry_after_and_the_admitted_one_answers(
    refusing: Served,
) -> None:
    held = Held(refusing.port)
    deadline = time.monotonic() + 10
    while not _admitted(refusing.url):
        assert time.monotonic() < deadline, "the held request was never admitted"
        time.sleep(0.05)

    burst = [(ASSESS, BODY, FHIR_JSON)] * 5 + [
        (HOOK, HOOK_REQUEST, {"Content-Type": "application/json"})
    ]
    answers = asyncio.run(_burst(refusing.url, burst))

    assert len(answers) == len(burst)  # every one answered
    for answer in answers[:5]:
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "1"
        assert answer.headers["content-type"] == "application/fhir+json"
        assert answer.json() == {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "fatal", "code": "transient",
                       "diagnostics": "The service is busy; retry after 1 s."}],
        }  # fmt: skip
    # The small hook request fits beside the held body: admitted, answered.
    assert answers[5].status_code == 200
    assert "cards" in answers[5].json()
    for probe in ("/healthz", "/readyz", "/metrics"):
        assert httpx.get(f"{refusing.url}{probe}", timeout=5).status_code == 200

    status, body = held.finish()
    assert status == 200
    assert orjson.loads(body)["entry"][0]["resource"]["resourceType"] == "RiskAssessment"
    metrics = httpx.get(f"{refusing.url}/metrics", timeout=5).text
    assert 'oms_admission_refusals_total{reason="wait"}' in metrics


def test_a_burst_that_waits_is_admitted_as_room_comes_and_nothing_is_lost(
    waiting: Served,
) -> None:
    held = Held(waiting.port)
    time.sleep(0.5)  # the held request is admitted on its headers

    async def scenario() -> tuple[list[httpx.Response], tuple[int, bytes]]:
        burst = asyncio.ensure_future(_burst(waiting.url, [(ASSESS, BODY, FHIR_JSON)] * 4))
        await asyncio.sleep(0.5)
        assert not burst.done()  # all four wait: the held body has the room
        finished = await asyncio.to_thread(held.finish)
        return await burst, finished

    answers, (status, _) = asyncio.run(scenario())
    assert status == 200
    assert [a.status_code for a in answers] == [200] * 4
    for answer in answers:
        assert answer.json()["entry"][0]["resource"]["resourceType"] == "RiskAssessment"


def test_a_chunked_body_that_outgrows_the_room_left_gets_503(terminology: Terminology) -> None:
    """No Content-Length: room is taken as the chunks come (the ASGI app in-process)."""
    settings = Settings(max_body_bytes=LIMIT, max_bytes_in_flight=LIMIT, admission_wait_seconds=0.2)
    app = create_app(settings, terminology)
    half = len(BODY) // 2

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        go_on = asyncio.Event()

        async def slow_body() -> AsyncIterator[bytes]:
            yield BODY[:half]
            await go_on.wait()
            yield BODY[half:]

        async def whole_body() -> AsyncIterator[bytes]:
            yield BODY

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://oms") as client:
            first = asyncio.ensure_future(
                client.post(ASSESS, content=slow_body(), headers=FHIR_JSON)
            )
            await asyncio.sleep(0.05)
            second = await client.post(ASSESS, content=whole_body(), headers=FHIR_JSON)
            go_on.set()
            return await first, second

    first, second = asyncio.run(scenario())
    assert second.status_code == 503
    assert second.headers["retry-after"] == "1"
    assert second.json()["issue"][0]["code"] == "transient"
    assert first.status_code == 200
    assert first.json()["entry"][0]["resource"]["resourceType"] == "RiskAssessment"


def test_a_refused_cds_call_carries_cors_headers_and_preflights_pass(
    terminology: Terminology,
) -> None:
    """A browser CDS client can read the 503; its preflight is never held back."""
    origin = "https://ehr.example"
    settings = Settings(
        max_concurrent_requests=1, admission_wait_seconds=0, cds_cors_origins=[origin]
    )
    app = create_app(settings, terminology)

    async def scenario() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        go_on = asyncio.Event()

        async def slow_body() -> AsyncIterator[bytes]:
            yield BODY[:100]
            await go_on.wait()
            yield BODY[100:]

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://oms") as client:
            held = asyncio.ensure_future(
                client.post(ASSESS, content=slow_body(), headers=FHIR_JSON)
            )
            await asyncio.sleep(0.05)
            cors = {"Origin": origin, "Content-Type": "application/json"}
            refused = await client.post(HOOK, content=HOOK_REQUEST, headers=cors)
            preflight = await client.options(
                HOOK, headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
            )
            go_on.set()
            return await held, refused, preflight

    held, refused, preflight = asyncio.run(scenario())
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["access-control-allow-origin"] == origin
    assert preflight.status_code == 200
    assert held.status_code == 200
