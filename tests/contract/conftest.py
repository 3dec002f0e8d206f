"""A real FHIR server for the contract suite, started here unless one is given.

* `OMS_CONTRACT_FHIR_URL` set (e.g. HAPI from docker-compose.yml): that server is used
  and nothing is started.
* Otherwise `scripts/sandbox-fhir-server` installs sekmet-fhir into `.sandbox-venv/`
  (once) and runs it on 127.0.0.1 on a free port with a fresh data folder; it is
  stopped by its PID when the session ends.

The tests treat ids, versions and Location values as opaque and send
`Prefer: handling=strict`, so they mean the same on both servers.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.clients.fhir import Location
from service.settings import Settings
from service.terminology import Terminology
from tests.contract import seed

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "sandbox-fhir-server"
#: Seconds to wait for a server to answer /metadata (HAPI takes tens of seconds to start).
READY_WITHIN = float(os.environ.get("OMS_CONTRACT_READY_WITHIN", "180"))
HEADERS = {
    "Accept": "application/fhir+json",
    "Content-Type": "application/fhir+json",
    "Prefer": "handling=strict",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_ready(base_url: str, alive: subprocess.Popen[bytes] | None = None) -> None:
    """Poll /metadata until it answers a CapabilityStatement; a start-up wait, not a timing."""
    end = time.monotonic() + READY_WITHIN
    while time.monotonic() < end:
        if alive is not None and alive.poll() is not None:
            pytest.fail(f"the sandbox FHIR server exited with {alive.returncode}")
        try:
            response = httpx.get(f"{base_url}/metadata", headers=HEADERS, timeout=5)
            if response.status_code == 200 and '"CapabilityStatement"' in response.text:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"no FHIR server answered {base_url}/metadata within {READY_WITHIN:g} s")


@pytest.fixture(scope="session")
def fhir_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("OMS_CONTRACT_FHIR_URL")
    if given:
        _wait_ready(given.rstrip("/"))
        yield given.rstrip("/")
        return
    subprocess.run([str(SCRIPT), "install"], check=True)
    port = _free_port()
    folder = tmp_path_factory.mktemp("sandbox-fhir")
    base_url = f"http://127.0.0.1:{port}/fhir"
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [str(SCRIPT), "run", str(port), str(folder)], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_ready(base_url, process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def fhir(fhir_base_url: str) -> Iterator[httpx.Client]:
    """Plain HTTP to the server, for seeding and for checking what the service wrote."""
    with httpx.Client(base_url=fhir_base_url + "/", headers=HEADERS, timeout=60) as client:
        yield client


@dataclass(frozen=True)
class Seeded:
    """Server ids of the seeded patients (learnt from transaction responses)."""

    run: str
    oms_high: str
    oms_high_entries: tuple[Location, ...]
    bob: str
    lawrence: str


@pytest.fixture(scope="session")
def seeded(fhir: httpx.Client) -> Seeded:
    run = seed.new_run_id()
    high = seed.post_transaction(fhir, seed.oms_transaction("high", run))
    patients = {key: seed.synthea_patient(key) for key in seed.SYNTHEA_PATIENTS}
    seed.post_transaction(fhir, seed.synthea_support_transaction(list(patients.values())))
    ids = {key: seed.post_transaction(fhir, bundle)[0].id for key, bundle in patients.items()}
    assert high[0].resource_type == "Patient"
    return Seeded(run, high[0].id, tuple(high), ids["bob"], ids["lawrence"])


@pytest.fixture(scope="session")
def service(fhir_base_url: str, terminology: Terminology) -> Iterator[TestClient]:
    """The service, configured to read from and write to the contract server."""
    app = create_app(Settings(fhir_base_url=fhir_base_url), terminology)
    with TestClient(app) as client:
        yield client
