"""Fuzzing fixtures: in-process apps in each upstream configuration, bounded hypothesis
profiles, and a count of the generated cases printed at the end of every run.

Profiles (`OMS_FUZZ_PROFILE`): `ci` (default) is derandomised and small enough for the
whole suite to stay well under 90 s; `deep` tries ten times as many cases per test.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from service.app import create_app
from service.settings import Settings
from service.terminology import Terminology

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

#: Base URL of the FHIR server that respx stands in for (never resolved: respx answers).
MOCK_FHIR = "http://fhir.invalid/fhir/"

_SLOW_CHECKS = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
]
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=_SLOW_CHECKS,
)
settings.register_profile(
    "deep",
    max_examples=600,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=_SLOW_CHECKS,
)


def fuzz_settings(share: float = 1.0) -> settings:
    """The active profile, with `share` of its examples (tests differ in cost per case)."""
    profile = settings.get_profile(os.environ.get("OMS_FUZZ_PROFILE", "ci"))
    return settings(profile, max_examples=max(1, round(profile.max_examples * share)))


#: Generated cases per fuzz target, and the statuses they got; printed in the summary.
CASES: Counter[str] = Counter()
STATUSES: dict[str, Counter[str]] = {}


def record_case(target: str, outcome: int | str | None = None) -> None:
    """Count one generated case of `target`, and what it got (a status, or more)."""
    CASES[target] += 1
    if outcome is not None:
        STATUSES.setdefault(target, Counter())[str(outcome)] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CASES:
        return
    terminalreporter.section("fuzz cases")
    for target, count in sorted(CASES.items()):
        seen = ", ".join(f"{s}: {n}" for s, n in sorted(STATUSES.get(target, {}).items()))
        terminalreporter.write_line(f"{count:6d}  {target}  ({seen})")
    terminalreporter.write_line(f"{sum(CASES.values()):6d}  total")


def app_settings(tmp: Path, **overrides: Any) -> Settings:
    """Explicit settings: no OMS_* variable of the machine may change what is fuzzed."""
    values: dict[str, Any] = {
        "fhir_base_url": None,
        "fhir_token": None,
        "cds_clients_file": None,
        "cds_insecure_dev": True,
        "cds_dev_fhir_servers": [],
        "cds_cors_origins": [],
        "public_base_url": None,
        "cds_feedback_db": tmp / "feedback.sqlite3",
        "max_body_bytes": 256 * 1024,
        "fhir_max_retries": 0,
        "fhir_connect_timeout": 1.0,
        "fhir_read_timeout": 1.0,
        "fhir_deadline": 2.0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def fuzz_app(terminology: Terminology, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """No FHIR server configured (Patient routes: 501), CDS Hooks in insecure dev mode."""
    return create_app(app_settings(tmp_path_factory.mktemp("fuzz-app")), terminology)


@pytest.fixture(scope="session")
def unreachable_app(terminology: Terminology, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """A FHIR server on a 127.0.0.1 port nobody listens on: Patient routes 502 (or 504)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}/fhir/"
    return create_app(
        app_settings(tmp_path_factory.mktemp("unreachable"), fhir_base_url=base), terminology
    )


@pytest.fixture(scope="session")
def mocked_app(terminology: Terminology, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """A FHIR server played by respx (`mocked_fhir`): reads, searches and faults."""
    return create_app(
        app_settings(tmp_path_factory.mktemp("mocked"), fhir_base_url=MOCK_FHIR), terminology
    )


@pytest.fixture(scope="session")
def fuzz_client(fuzz_app: FastAPI) -> Iterator[TestClient]:
    """Server errors raise here, so a crash fails the test instead of hiding in a 500."""
    with TestClient(fuzz_app, raise_server_exceptions=True) as client:
        yield client


@pytest.fixture(scope="module")
def after_all_healthy(fuzz_client: TestClient) -> Iterator[None]:
    """The app still answers /healthz once the module's cases have run."""
    yield
    assert fuzz_client.get("/healthz").status_code == 200


def _example_resources(kind: str, patient_id: str) -> list[dict[str, Any]]:
    """The resources of examples/high.json of one type, moved to `patient_id`."""
    bundle = orjson.loads((EXAMPLES / "high.json").read_bytes())
    found = []
    for entry in bundle.get("entry", []):
        resource = entry.get("resource", {})
        if resource.get("resourceType") == kind:
            found.append({**resource, "subject": {"reference": f"Patient/{patient_id}"}})
    return found


def _searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"fullUrl": f"{MOCK_FHIR}{r['resourceType']}/{r['id']}", "resource": r}
            for r in resources
        ],
    }


def mock_fhir_answer(request: httpx.Request) -> httpx.Response:
    """The mock server's answer, chosen by the patient id's first character so that
    generated ids reach every branch: data, 404, 500, a timeout, not JSON, a transaction
    that fails."""
    if request.method == "POST":
        return httpx.Response(500, json={"resourceType": "OperationOutcome"})
    path = request.url.path.removeprefix("/fhir/")
    kind, _, rest = path.partition("/")
    patient_id = rest or str(request.url.params.get("patient", "")).removeprefix("Patient/")
    first = patient_id[:1]
    if first in {"0", "A"}:
        return httpx.Response(404, json={"resourceType": "OperationOutcome"})
    if first in {"1", "B"}:
        return httpx.Response(500)
    if first in {"2", "C"}:
        raise httpx.ReadTimeout("mock timeout", request=request)
    if first in {"3", "D"}:
        return httpx.Response(200, content=b"<html>not json</html>")
    if kind == "Patient":
        return httpx.Response(200, json={"resourceType": "Patient", "id": patient_id})
    return httpx.Response(200, json=_searchset(_example_resources(kind, patient_id)))


@pytest.fixture
def mocked_fhir() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=MOCK_FHIR, assert_all_called=False) as router:
        router.route().mock(side_effect=mock_fhir_answer)
        yield router
