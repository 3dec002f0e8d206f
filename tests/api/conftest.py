"""Helpers for the API tests (the `client` fixture lives in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.terminology import Terminology
from tests.api.cds_calls import ES, ORIGIN, RS, MakeClient
from tests.security.keys import FHIR, ISS, clients_file, jwks

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str) -> bytes:
    return (EXAMPLES / f"{name}.json").read_bytes()


@pytest.fixture
def make_client(tmp_path: Path, terminology: Terminology) -> Iterator[MakeClient]:
    """A TestClient on a fresh app; by default one trusted client holding ES and RS."""
    opened: list[TestClient] = []

    def make(
        clients: list[dict[str, Any]] | None = None, *, trusted: bool = True, **settings: Any
    ) -> TestClient:
        path = None
        if trusted:
            entries = clients or [{"iss": ISS, "jwks": jwks(ES, RS), "fhir_servers": [FHIR]}]
            path = clients_file(tmp_path / "clients.json", *entries)
        config = Settings(
            cds_clients_file=path,
            cds_insecure_dev=settings.pop("cds_insecure_dev", False),
            cds_feedback_db=settings.pop("cds_feedback_db", tmp_path / "feedback.sqlite3"),
            cds_cors_origins=settings.pop("cds_cors_origins", [ORIGIN]),
            public_base_url=settings.pop("public_base_url", None),
            **settings,
        )
        client = TestClient(create_app(config, terminology), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
