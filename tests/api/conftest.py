"""The ASGI app under test, driven in-process through httpx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.terminology import Terminology

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def client(terminology: Terminology) -> Iterator[TestClient]:
    app = create_app(Settings(), terminology)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def example(name: str) -> bytes:
    return (EXAMPLES / f"{name}.json").read_bytes()
