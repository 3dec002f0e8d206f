"""Start the bench app under uvicorn on 127.0.0.1 in its own process; talk to it; stop it.

Only loopback is ever used. The server runs in a new session so that `stop()` can end
it and any uvicorn worker children through its own process group, by that PID alone.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
#: The 100k-entry and ~50 MB bodies are larger than the service's default body limit
#: (and the entry limit must not cut the 100k case if it is ever lowered).
BENCH_MAX_BODY = 512 * 1024 * 1024
BENCH_MAX_ENTRIES = 1_000_000
FHIR_JSON = "application/fhir+json"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """uvicorn serving `bench.app:create_bench_app` with `workers` processes."""

    workers: int = 1
    #: uvicorn's HTTP parser: "auto" is httptools when installed, else h11.
    http: str = "auto"
    port: int = field(default_factory=free_port)
    #: `OMS_CDS_INSECURE_DEV=1`: hook calls are answered without a client JWT (bench only).
    cds_dev: bool = False
    #: Environment variables set last, over the bench's own (e.g. the service's limits).
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        env = dict(
            os.environ,
            OMS_MAX_BODY_BYTES=str(BENCH_MAX_BODY),
            OMS_MAX_BYTES_IN_FLIGHT=str(BENCH_MAX_BODY),
            OMS_MAX_ENTRIES=str(BENCH_MAX_ENTRIES),
            OMS_LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        if self.cds_dev:
            env.pop("OMS_CDS_CLIENTS_FILE", None)  # it would switch dev mode off
            env["OMS_CDS_INSECURE_DEV"] = "1"
        env.update(self.env)
        command = [
            sys.executable, "-m", "uvicorn", "bench.app:create_bench_app", "--factory",
            "--host", HOST, "--port", str(self.port), "--workers", str(self.workers),
            "--http", self.http, "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        self._wait_ready(timeout=60.0)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.process.returncode}")
            try:
                status, _ = get(self.port, "/healthz", timeout=1.0)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("uvicorn did not become ready in time")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


def connect(port: int, timeout: float = 120.0) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(HOST, port, timeout=timeout)


def post(
    conn: http.client.HTTPConnection, path: str, body: bytes, content_type: str = FHIR_JSON
) -> tuple[int, bytes, float]:
    """(status, response body, seconds from first byte sent to last byte read)."""
    start = time.perf_counter()
    conn.request("POST", path, body=body, headers={"Content-Type": content_type})
    response = conn.getresponse()
    data = response.read()
    return response.status, data, time.perf_counter() - start


def get(port: int, path: str, timeout: float = 10.0) -> tuple[int, float]:
    """(status, seconds) of one GET on a fresh connection."""
    conn = connect(port, timeout)
    try:
        start = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - start
    finally:
        conn.close()


def peak_rss_bytes(pid: int) -> int:
    """VmHWM (the high-water mark of resident memory) of a live process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc status")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc status")
