"""One pooled FHIR client for the app's lifetime, counted on the wire against a real server.

Every `Patient/{id}/$oms-assess` reads the Patient, then searches Conditions,
Observations and the rest of the record (the treatment record, reports) at once: one
connection per concurrent search at most. Through a relay that counts TCP
connections, repeated assessments open no more than the first one did.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.gather import RECORD_SEARCHES
from service.settings import Settings
from service.terminology import Terminology
from tests.contract.conftest import Seeded
from tests.contract.relay import CountingRelay

pytestmark = pytest.mark.contract


def test_repeated_assessments_reuse_the_connections_of_the_first(
    fhir_base_url: str, seeded: Seeded, terminology: Terminology, tmp_path: Path
) -> None:
    server = urlsplit(fhir_base_url)
    assert server.hostname is not None and server.port is not None
    with CountingRelay(server.hostname, server.port) as relay:
        settings = Settings(
            fhir_base_url=relay.base_url(server.path), cds_feedback_db=tmp_path / "db"
        )
        with TestClient(create_app(settings, terminology)) as service:
            url = f"/fhir/Patient/{seeded.oms_high}/$oms-assess"
            first = service.get(url)
            after_first = relay.connections
            again = [service.get(url) for _ in range(4)]

    assert [r.status_code for r in (first, *again)] == [200] * 5, first.text[:300]
    assert 1 <= after_first <= 2 + len(RECORD_SEARCHES)
    assert relay.connections == after_first
