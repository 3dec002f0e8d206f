"""Real FHIR servers for the contract suite: every contract test runs once per server.

* `OMS_CONTRACT_FHIR_URL` set (e.g. HAPI from docker-compose.yml): that server alone is
  used (id `given`) and nothing is started.
* Otherwise both, one after the other (`OMS_CONTRACT_SERVERS=sekmet` or `hapi` picks one):
  * `sekmet`: `scripts/sandbox-fhir-server` installs sekmet-fhir into `.sandbox-venv/`
    (once) and runs it on 127.0.0.1 on a free port with a fresh data folder;
  * `hapi`: HAPI FHIR JPA 8.8.0 on in-memory H2 (`scripts/hapi-fhir-server`, tools/hapi/).
    If `OMS_CONTRACT_HAPI_DIR` names the folder of a `scripts/hapi-fhir-server start`
    already under way (CI starts it early, so its 20-60 s start-up overlaps the lint),
    that server is used and left to its starter; otherwise it is built and started here.
  Each is stopped by its PID when its tests are done.

The tests treat ids, versions and Location values as opaque and send
`Prefer: handling=strict`, so they mean the same on every server; where the servers
legitimately differ, a test asks `fhir_server_kind` and says so.
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
HAPI_SCRIPT = ROOT / "scripts" / "hapi-fhir-server"
#: Seconds to wait for a server to answer /metadata (HAPI takes tens of seconds to start).
READY_WITHIN = float(os.environ.get("OMS_CONTRACT_READY_WITHIN", "180"))
#: Seconds to wait for HAPI: a cold Maven build (~1 min) plus its start-up.
HAPI_READY_WITHIN = float(os.environ.get("OMS_CONTRACT_HAPI_READY_WITHIN", "420"))
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


def _wait_ready(
    base_url: str,
    alive: subprocess.Popen[bytes] | None = None,
    *,
    within: float = READY_WITHIN,
    failed: Path | None = None,
) -> None:
    """Poll /metadata until it answers a CapabilityStatement; a start-up wait, not a timing.

    `alive` exiting, or the file `failed` appearing, ends the wait at once.
    """
    end = time.monotonic() + within
    while time.monotonic() < end:
        if alive is not None and alive.poll() is not None:
            pytest.fail(f"the FHIR server exited with {alive.returncode}")
        if failed is not None and failed.exists():
            pytest.fail(f"the FHIR server failed to start: {failed.read_text().strip()}")
        try:
            response = httpx.get(f"{base_url}/metadata", headers=HEADERS, timeout=5)
            if response.status_code == 200 and '"CapabilityStatement"' in response.text:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"no FHIR server answered {base_url}/metadata within {within:g} s")


def _server_kinds() -> list[str]:
    if os.environ.get("OMS_CONTRACT_FHIR_URL"):
        return ["given"]
    chosen = os.environ.get("OMS_CONTRACT_SERVERS", "sekmet,hapi")
    return [kind.strip() for kind in chosen.split(",") if kind.strip()]


@pytest.fixture(scope="session", params=_server_kinds())
def fhir_server_kind(request: pytest.FixtureRequest) -> str:
    """`sekmet`, `hapi` or `given`: which server this run of a contract test talks to."""
    kind: str = request.param
    return kind


@pytest.fixture(scope="session")
def fhir_base_url(fhir_server_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if fhir_server_kind == "given":
        given = os.environ["OMS_CONTRACT_FHIR_URL"].rstrip("/")
        _wait_ready(given)
        yield given
    elif fhir_server_kind == "hapi":
        yield from _hapi(tmp_path_factory)
    elif fhir_server_kind == "sekmet":
        yield from _sekmet(tmp_path_factory)
    else:
        pytest.fail(f"unknown contract server {fhir_server_kind!r} (sekmet, hapi)")


def _hapi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """HAPI started early by CI (`OMS_CONTRACT_HAPI_DIR`), or built and started here."""
    given = os.environ.get("OMS_CONTRACT_HAPI_DIR")
    folder = Path(given) if given else tmp_path_factory.mktemp("hapi-fhir")
    process = None
    if not given:
        with (folder / "start.log").open("wb") as log:
            process = subprocess.Popen(
                [str(HAPI_SCRIPT), "start", str(folder)], stdout=log, stderr=subprocess.STDOUT
            )
    try:
        end = time.monotonic() + 60
        while not (folder / "url").exists() and time.monotonic() < end:
            time.sleep(0.2)
        base_url = (folder / "url").read_text().strip()
        # The start script exits once the server is up, so its exit is no failure here:
        # it writes `failed` when the build, the start or the wait fails.
        _wait_ready(base_url, within=HAPI_READY_WITHIN, failed=folder / "failed")
        yield base_url
    finally:
        if process is not None:
            if process.poll() is None:
                process.terminate()
                process.wait()
            subprocess.run([str(HAPI_SCRIPT), "stop", str(folder)], check=False)


def _sekmet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
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
    #: A child with OMS in relapse and a treatment record (examples/relapse.json).
    oms_relapse: str = ""


@pytest.fixture(scope="session")
def seeded(fhir: httpx.Client) -> Seeded:
    run = seed.new_run_id()
    high = seed.post_transaction(fhir, seed.oms_transaction("high", run))
    relapse = seed.post_transaction(fhir, seed.oms_transaction("relapse", run))
    patients = {key: seed.synthea_patient(key) for key in seed.SYNTHEA_PATIENTS}
    seed.post_transaction(fhir, seed.synthea_support_transaction(list(patients.values())))
    ids = {key: seed.post_transaction(fhir, bundle)[0].id for key, bundle in patients.items()}
    assert high[0].resource_type == "Patient"
    return Seeded(run, high[0].id, tuple(high), ids["bob"], ids["lawrence"], relapse[0].id)


@pytest.fixture(scope="session")
def service(fhir_base_url: str, terminology: Terminology) -> Iterator[TestClient]:
    """The service, configured to read from and write to the contract server."""
    app = create_app(Settings(fhir_base_url=fhir_base_url), terminology)
    with TestClient(app) as client:
        yield client
