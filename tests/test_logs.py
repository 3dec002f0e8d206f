"""Logging is configured by the app factory, once however often it runs; an unexpected
error (500) is logged as where it happened (file:line:function), never what it said."""

from __future__ import annotations

import logging

import orjson
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.logs import SERVICE_LOGGERS, JsonFormatter, code_location, configure_logging
from service.settings import Settings
from service.terminology import Terminology

PATIENT = "Mia Wallace-Unique-4711"


def _fails_with_patient_data(value: str) -> None:
    raise ValueError(f"cannot read {value}")


def test_the_app_factory_configures_the_service_loggers(terminology: Terminology) -> None:
    create_app(Settings(log_level="WARNING"), terminology)
    for name in SERVICE_LOGGERS:
        logger = logging.getLogger(name)
        json_handlers = [h for h in logger.handlers if isinstance(h.formatter, JsonFormatter)]
        assert len(json_handlers) == 1  # beside it, only caplog's (tests/conftest.py)
        assert logger.level == logging.WARNING
        assert logger.propagate is False
    configure_logging()  # back to the level the other tests expect


def test_configuring_again_installs_no_second_handler(terminology: Terminology) -> None:
    configure_logging()
    before = {name: list(logging.getLogger(name).handlers) for name in SERVICE_LOGGERS}
    create_app(Settings(), terminology)
    create_app(Settings(), terminology)
    configure_logging()
    assert {name: list(logging.getLogger(name).handlers) for name in SERVICE_LOGGERS} == before


def test_code_location_names_frames_only() -> None:
    with pytest.raises(ValueError) as raised:
        _fails_with_patient_data(PATIENT)
    frames = code_location(raised.value)
    assert frames[-1].startswith("tests/test_logs.py:")
    assert frames[-1].endswith(":_fails_with_patient_data")
    assert all(frame.count(":") == 2 for frame in frames)
    assert PATIENT not in repr(frames)


def test_an_unexpected_error_logs_where_it_happened_and_nothing_it_said(
    terminology: Terminology, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(), terminology)

    @app.get("/boom")
    async def boom() -> None:
        _fails_with_patient_data(PATIENT)

    caplog.set_level(logging.INFO)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")

    assert response.status_code == 500
    assert PATIENT not in response.text
    [record] = [r for r in caplog.records if r.msg == "unhandled error"]
    line = orjson.loads(JsonFormatter().format(record))
    assert line["error_type"] == "ValueError"
    assert line["frames"][-2:] == [
        f"tests/test_logs.py:{boom.__code__.co_firstlineno + 2}:boom",
        f"tests/test_logs.py:{_fails_with_patient_data.__code__.co_firstlineno + 1}"
        ":_fails_with_patient_data",
    ]
    every_line = "".join(JsonFormatter().format(r) for r in caplog.records)
    assert PATIENT not in every_line
    assert "cannot read" not in every_line


def test_the_formatter_drops_frames_that_are_not_code_locations() -> None:
    record = logging.LogRecord("oms_cds.x", logging.ERROR, __file__, 1, "event", None, None)
    record.frames = ["service/x.py:12:f", f"{PATIENT}: cannot read", 42]
    assert orjson.loads(JsonFormatter().format(record))["frames"] == ["service/x.py:12:f"]
