"""Shared fixtures: the real terminology from profiles/, loaded once per session."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.logs import SERVICE_LOGGERS, configure_logging
from service.settings import Settings
from service.terminology import Terminology, load_terminology
from tests.pg import PostgresServer, running_postgres

FIXTURE_TERMINOLOGY = Path(__file__).parent / "fixtures" / "terminology"


@pytest.fixture(autouse=True)
def _service_logs_reach_caplog(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The app factory configures logging, and the service's loggers do not propagate to
    the root logger (service.logs: no host handler may format their records), where
    caplog listens; so caplog listens on them too, at the level it is given."""
    configure_logging()  # as every app made in the test will: that changes nothing after
    loggers = [logging.getLogger(name) for name in SERVICE_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(caplog.handler)
        logger.setLevel(logging.NOTSET)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(caplog.handler)
        logger.setLevel(level)


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


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole session, started on first use."""
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each backend: the same test runs on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'oms.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()
