"""Shared fixtures: the real terminology from profiles/, loaded once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.terminology import Terminology, load_terminology

FIXTURE_TERMINOLOGY = Path(__file__).parent / "fixtures" / "terminology"


@pytest.fixture(scope="session")
def terminology() -> Terminology:
    """The terminology the service would load (profiles/, or OMS_PROFILES_DIR if set)."""
    return load_terminology()


@pytest.fixture(scope="session")
def client(terminology: Terminology) -> Iterator[TestClient]:
    """The ASGI app with default settings, driven in-process; server errors become 500s."""
    app = create_app(Settings(), terminology)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
