"""Upstream faults end to end, on a real sekmet sandbox server of each test's own.

Each test starts a fresh server (scripts/sandbox-fhir-server, own port and data folder),
seeds one OMS patient, shows the path working, then breaks the server: killed by PID,
slowed past `OMS_FHIR_READ_TIMEOUT` by a delaying proxy (tests/contract/slow_proxy.py),
or cut off during the write-back transaction. The service must answer an
OperationOutcome (502/504; 412 on CDS Hooks), never a 500, stay live (/healthz) and
say it is not ready (/readyz); a failed write-back must leave nothing behind.

No test times anything: the bounds are the configured ones in FAULTS below, enforced
by the service; the tests assert the statuses those bounds produce.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.mappers.write_back import KEY_SYSTEM
from service.settings import Settings
from service.terminology import Terminology
from tests.cds.builders import hook_request
from tests.contract import seed
from tests.contract.conftest import HEADERS
from tests.contract.sandbox import Sandbox
from tests.contract.slow_proxy import FaultProxy, Mode

pytestmark = pytest.mark.contract

#: The bounds under test. A proxy delay of DELAY exceeds the read timeout; with two
#: retries and their back-off (0.25 s, 0.5 s) the client gives up after about
#: 3 x 1 + 0.75 s, inside the 6 s deadline, so the answer is the read-timeout 504.
FAULTS: dict[str, Any] = {
    "fhir_connect_timeout": 1.0,
    "fhir_read_timeout": 1.0,
    "fhir_deadline": 6.0,
    "fhir_max_retries": 2,
    "readyz_fhir_timeout": 1.0,
    "readyz_cache_seconds": 0.0,
    "cds_fhir_timeout_seconds": 1.0,
}
DELAY = 3.0
KINDS = ("RiskAssessment", "CarePlan", "Provenance")


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    server = Sandbox(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def direct(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """Plain HTTP straight to the sandbox, to seed and to read back what was written."""
    with httpx.Client(base_url=sandbox.base_url + "/", headers=HEADERS, timeout=30) as client:
        yield client


@pytest.fixture
def patient(direct: httpx.Client) -> str:
    return seed.post_transaction(direct, seed.oms_transaction("high", seed.new_run_id()))[0].id


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[FaultProxy]:
    with FaultProxy(sandbox.port, delay=DELAY) as fault_proxy:
        yield fault_proxy


def service_for(
    base_url: str, terminology: Terminology, tmp_path: Path, **extra: Any
) -> TestClient:
    config = {**FAULTS, **extra}
    settings = Settings(
        fhir_base_url=base_url, cds_feedback_db=tmp_path / "feedback.sqlite3", **config
    )
    return TestClient(create_app(settings, terminology), raise_server_exceptions=False)


def assess(service: TestClient, patient: str, **params: str) -> httpx.Response:
    return service.get(f"/fhir/Patient/{patient}/$oms-assess", params=params)


def outcome(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", response.text[:300]
    return response.status_code, body["issue"][0]["code"]


def readiness(service: TestClient) -> list[tuple[int, str]]:
    response = service.get("/readyz")
    if response.status_code == 200:
        return [(200, response.json()["checks"]["fhirServer"])]
    return [
        (response.status_code, issue["details"]["coding"][0]["code"])
        for issue in response.json()["issue"]
    ]


def written(direct: httpx.Client, patient: str) -> dict[str, int]:
    """How many resources of each write-back kind the server holds, found by the tag
    every write-back carries (sekmet has no patient search on RiskAssessment; this
    server holds one patient only, and each found RiskAssessment is checked to be theirs)."""
    counts = {}
    for kind in KINDS:
        response = direct.get(f"{kind}?_tag={KEY_SYSTEM}|&_count=100")
        assert response.status_code == 200, response.text[:300]
        resources = [e["resource"] for e in response.json().get("entry") or []]
        counts[kind] = len(resources)
        for resource in resources if kind == "RiskAssessment" else []:
            assert resource["subject"]["reference"].endswith(f"Patient/{patient}")
    return counts


NOTHING = dict.fromkeys(KINDS, 0)
ONE_EACH = dict.fromkeys(KINDS, 1)


# --- (a) the server stops ------------------------------------------------------------------


def test_a_killed_server_gives_502_while_the_service_stays_live(
    sandbox: Sandbox, patient: str, terminology: Terminology, tmp_path: Path
) -> None:
    with service_for(sandbox.base_url, terminology, tmp_path) as service:
        assert assess(service, patient).status_code == 200
        assert readiness(service) == [(200, "ok")]

        sandbox.kill()
        response = assess(service, patient)

        assert outcome(response) == (502, "exception")
        assert response.json()["issue"][0]["diagnostics"] == (
            "The FHIR server could not be reached for Patient"
        )
        assert patient not in response.text
        assert service.get("/healthz").status_code == 200
        assert readiness(service) == [(503, "fhir-server")]


def test_the_service_is_ready_again_once_the_server_is_back(
    sandbox: Sandbox, patient: str, terminology: Terminology, tmp_path: Path
) -> None:
    with service_for(sandbox.base_url, terminology, tmp_path) as service:
        sandbox.kill()
        assert readiness(service) == [(503, "fhir-server")]

        sandbox.start()

        assert readiness(service) == [(200, "ok")]
        assert assess(service, patient).status_code == 200


# --- (b) the server is too slow ------------------------------------------------------------


@pytest.mark.parametrize(
    ("deadline", "diagnostics"),
    [
        pytest.param(
            FAULTS["fhir_deadline"],
            "The FHIR server did not answer Patient in time",
            id="read-timeout-on-every-attempt",
        ),
        # Cut by the deadline (route or client, whichever fires first) on the 2nd attempt.
        pytest.param(1.5, "within 1.5 s", id="deadline-before-the-retries-end"),
    ],
)
def test_a_server_slower_than_the_read_timeout_gives_504_and_the_service_stays_healthy(
    proxy: FaultProxy,
    patient: str,
    terminology: Terminology,
    tmp_path: Path,
    deadline: float,
    diagnostics: str,
) -> None:
    assert FAULTS["fhir_read_timeout"] < DELAY
    with service_for(proxy.base_url(), terminology, tmp_path, fhir_deadline=deadline) as service:
        assert assess(service, patient).status_code == 200  # the proxy itself is harmless

        proxy.mode = Mode.DELAY
        response = assess(service, patient)

        assert outcome(response) == (504, "timeout")
        assert response.json()["issue"][0]["diagnostics"].endswith(diagnostics)
        assert patient not in response.text
        assert service.get("/healthz").status_code == 200
        assert readiness(service) == [(503, "fhir-server")]

        proxy.mode = Mode.PASS
        assert assess(service, patient).status_code == 200
        assert readiness(service) == [(200, "ok")]


# --- (c) nothing half-written ----------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Mode.CUT_POST_BODY, id="connection-cut-halfway-through-the-transaction"),
        pytest.param("kill-before-post", id="server-killed-before-the-transaction"),
    ],
)
def test_a_failed_write_back_leaves_nothing_on_the_server(
    sandbox: Sandbox,
    proxy: FaultProxy,
    direct: httpx.Client,
    patient: str,
    terminology: Terminology,
    tmp_path: Path,
    fault: Mode | str,
) -> None:
    if isinstance(fault, Mode):
        proxy.mode = fault
    else:
        proxy.before_post = sandbox.kill
    with service_for(proxy.base_url(), terminology, tmp_path) as service:
        response = assess(service, patient, persist="true")

    assert outcome(response) == (502, "exception")
    assert response.json()["issue"][0]["diagnostics"] == (
        "The FHIR server could not be reached for transaction"
    )
    # The write-back is retried (every entry a conditional create): 1 + fhir_max_retries.
    assert proxy.posts() == 1 + FAULTS["fhir_max_retries"]
    sandbox.restart()
    assert written(direct, patient) == NOTHING
    # Control: the same read-back sees a write-back that succeeds.
    with service_for(sandbox.base_url, terminology, tmp_path) as service:
        assert assess(service, patient, persist="true").status_code == 200
    assert written(direct, patient) == ONE_EACH


def test_a_write_back_whose_answer_is_lost_is_stored_whole_and_once(
    sandbox: Sandbox,
    proxy: FaultProxy,
    direct: httpx.Client,
    patient: str,
    terminology: Terminology,
    tmp_path: Path,
) -> None:
    """The server commits, the answer never arrives: the service says 502 and retries;
    the server holds all three resources once (not a part, not duplicates)."""
    proxy.mode = Mode.DROP_POST_RESPONSE
    with service_for(proxy.base_url(), terminology, tmp_path) as service:
        response = assess(service, patient, persist="true")

    assert outcome(response) == (502, "exception")
    assert proxy.posts() == 1 + FAULTS["fhir_max_retries"]
    sandbox.restart()
    assert written(direct, patient) == ONE_EACH
    with service_for(sandbox.base_url, terminology, tmp_path) as service:
        assert assess(service, patient, persist="true").status_code == 200
    assert written(direct, patient) == ONE_EACH


# --- CDS Hooks: the fhirServer fallback ----------------------------------------------------


def cds_service(fhir_server: str, terminology: Terminology, tmp_path: Path) -> TestClient:
    """Insecure dev mode, calling back only the given server (the JWT path is in tests/api)."""
    return service_for(
        fhir_server,
        terminology,
        tmp_path,
        cds_insecure_dev=True,
        cds_dev_fhir_servers=[fhir_server],
    )


def hook(service: TestClient, patient: str, fhir_server: str) -> httpx.Response:
    return service.post(
        "/cds-services/oms-screening",
        json=hook_request(patient_id=patient, fhir_server=fhir_server),
    )


def test_a_cds_hook_on_a_killed_fhir_server_gives_412(
    sandbox: Sandbox, patient: str, terminology: Terminology, tmp_path: Path
) -> None:
    with cds_service(sandbox.base_url, terminology, tmp_path) as service:
        before = hook(service, patient, sandbox.base_url)
        assert before.status_code == 200, before.text[:300]
        assert before.json()["cards"]

        sandbox.kill()
        response = hook(service, patient, sandbox.base_url)

        assert outcome(response) == (412, "transient")
        assert patient not in response.text
        assert service.get("/healthz").status_code == 200


def test_a_cds_hook_on_a_slow_fhir_server_gives_412(
    proxy: FaultProxy, patient: str, terminology: Terminology, tmp_path: Path
) -> None:
    assert FAULTS["cds_fhir_timeout_seconds"] < DELAY
    base = proxy.base_url()
    with cds_service(base, terminology, tmp_path) as service:
        assert hook(service, patient, base).status_code == 200

        proxy.mode = Mode.DELAY
        response = hook(service, patient, base)

        assert outcome(response) == (412, "timeout")
        assert patient not in response.text
        assert service.get("/healthz").status_code == 200
