"""The runtime: one pooled FHIR client for the app's lifetime, closed when the app stops."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.gather import RECORD_SEARCHES
from service.runtime import Runtime
from service.settings import Settings
from service.terminology import Terminology
from tests.api.test_fhir_server import PATIENT, high_resources
from tests.fhir_stub import StubFhirServer

ASSESS = f"/fhir/Patient/{PATIENT}/$oms-assess"


def test_one_pooled_client_serves_every_request(terminology: Terminology, tmp_path: Path) -> None:
    """Three assessments (a Patient read and eight concurrent searches each: Conditions,
    Observations, the treatment record and reports) reuse the connections the first one
    opened; a client per request would open them again each time."""
    with StubFhirServer(high_resources()) as server:
        settings = Settings(fhir_base_url=server.base_url, cds_feedback_db=tmp_path / "db")
        app = create_app(settings, terminology)
        runtime: Runtime = app.state.runtime
        with TestClient(app) as client:
            pooled = runtime.fhir_client()
            assert client.get(ASSESS).status_code == 200
            after_first = server.connections
            for _ in range(2):
                assert client.get(ASSESS).status_code == 200
            assert runtime.fhir_client() is pooled
        assert len(server.requests) == 3 * (3 + len(RECORD_SEARCHES))
        assert 1 <= after_first <= 2 + len(RECORD_SEARCHES)
        assert server.connections == after_first
        assert pooled.closed


def test_each_start_gets_a_client_of_its_own(terminology: Terminology, tmp_path: Path) -> None:
    """An app served twice (its lifespan run twice) never reuses a closed client."""
    with StubFhirServer(high_resources()) as server:
        settings = Settings(fhir_base_url=server.base_url, cds_feedback_db=tmp_path / "db")
        app = create_app(settings, terminology)
        runtime: Runtime = app.state.runtime
        clients = []
        for _ in range(2):
            with TestClient(app) as client:
                assert client.get(ASSESS).status_code == 200
                clients.append(runtime.fhir_client())
        assert clients[0] is not clients[1]
        assert all(c.closed for c in clients)


def test_without_a_start_there_is_no_client(terminology: Terminology) -> None:
    runtime = Runtime.build(Settings(fhir_base_url="http://127.0.0.1:9/fhir"), terminology)
    with pytest.raises(RuntimeError):
        runtime.fhir_client()
