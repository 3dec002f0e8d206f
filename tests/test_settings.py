"""Settings are validated when the process starts: one line naming the variable, exit 2.

Each case runs the real CLI (`python -m service.cli serve`) as a subprocess with one bad
variable; it must stop before anything listens (OMS_PORT points at a port that is never
bound, in case it did not).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.app import create_app
from service.errors import InvalidSetting
from service.settings import Settings, checked, load_settings
from service.terminology import Terminology

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "s3cret-pw"


def serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OMS_")}
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", *args],
        env={**clean, **env}, capture_output=True, text=True, timeout=60, check=False, cwd=ROOT,
    )  # fmt: skip


INVALID = [
    pytest.param({"OMS_PORT": "abc"}, "OMS_PORT must be an integer from 1 to 65535 (got abc)",
                 id="port-not-a-number"),
    pytest.param({"OMS_PORT": "70000"}, "OMS_PORT must be an integer from 1 to 65535 (got 70000)",
                 id="port-out-of-range"),
    pytest.param({"OMS_MAX_BODY_BYTES": "-5"},
                 "OMS_MAX_BODY_BYTES must be a positive integer (got -5)",
                 id="negative-body-limit"),
    pytest.param({"OMS_MAX_ENTRIES": "0"}, "OMS_MAX_ENTRIES must be a positive integer (got 0)",
                 id="zero-entries"),
    pytest.param({"OMS_FHIR_BASE_URL": "notaurl"},
                 "OMS_FHIR_BASE_URL must be an http or https URL with a host (got notaurl)",
                 id="fhir-base-url-not-a-url"),
    pytest.param({"OMS_FHIR_BASE_URL": "ftp://ehr.example/fhir"},
                 "OMS_FHIR_BASE_URL must be an http or https URL with a host "
                 "(got ftp://ehr.example/fhir)", id="fhir-base-url-not-http"),
    pytest.param({"OMS_PUBLIC_BASE_URL": "https://"},
                 "OMS_PUBLIC_BASE_URL must be an http or https URL with a host (got https://)",
                 id="public-base-url-without-host"),
    pytest.param({"OMS_CDS_FHIR_TIMEOUT_SECONDS": "0"},
                 "OMS_CDS_FHIR_TIMEOUT_SECONDS must be a positive number (got 0)",
                 id="zero-cds-timeout"),
    pytest.param({"OMS_FHIR_DEADLINE": "nan"},
                 "OMS_FHIR_DEADLINE must be a positive number (got nan)", id="deadline-nan"),
    pytest.param({"OMS_FHIR_READ_TIMEOUT": "soon"},
                 "OMS_FHIR_READ_TIMEOUT must be a positive number (got soon)",
                 id="timeout-not-a-number"),
    pytest.param({"OMS_FHIR_MAX_PAGES": "-1"},
                 "OMS_FHIR_MAX_PAGES must be a positive integer (got -1)", id="negative-pages"),
    pytest.param({"OMS_FHIR_MAX_RETRIES": "-1"},
                 "OMS_FHIR_MAX_RETRIES must be an integer of 0 or more (got -1)",
                 id="negative-retries"),
    pytest.param({"OMS_DATABASE_POOL_SIZE": "0"},
                 "OMS_DATABASE_POOL_SIZE must be a positive integer (got 0)", id="empty-pool"),
    pytest.param({"OMS_MAX_CONCURRENT_REQUESTS": "0"},
                 "OMS_MAX_CONCURRENT_REQUESTS must be a positive integer (got 0)",
                 id="no-concurrent-requests"),
    pytest.param({"OMS_ADMISSION_WAIT_SECONDS": "-1"},
                 "OMS_ADMISSION_WAIT_SECONDS must be a number of 0 or more (got -1)",
                 id="negative-admission-wait"),
    pytest.param({"OMS_MAX_BYTES_IN_FLIGHT": "1000"},
                 "OMS_MAX_BYTES_IN_FLIGHT must be at least OMS_MAX_BODY_BYTES, or a body of the "
                 "largest size accepted could never be admitted", id="in-flight-below-body-limit"),
    pytest.param({"OMS_CDS_CORS_ORIGINS": "https://ehr.example"},
                 "OMS_CDS_CORS_ORIGINS must be a JSON array of strings (got https://ehr.example)",
                 id="origins-not-json"),
    pytest.param({"OMS_CDS_DEV_FHIR_SERVERS": '["https://ok.example", "nohost"]'},
                 "OMS_CDS_DEV_FHIR_SERVERS (item 1) must be an http or https URL with a host "
                 "(got nohost)", id="dev-server-not-a-url"),
    pytest.param({"OMS_CDS_INSECURE_DEV": "maybe"},
                 "OMS_CDS_INSECURE_DEV must be true or false (got maybe)", id="flag-not-a-bool"),
    pytest.param({"OMS_LOG_LEVEL": "LOUD"},
                 "OMS_LOG_LEVEL must be one of 'DEBUG', 'INFO', 'WARNING' or 'ERROR' (got LOUD)",
                 id="unknown-log-level"),
    pytest.param({"OMS_DATABASE_URL": f"mysql://oms:{PASSWORD}@db.example/oms"},
                 "OMS_DATABASE_URL must start with sqlite:/// or postgresql://",
                 id="database-url-secret-not-echoed"),
]  # fmt: skip


@pytest.mark.parametrize(("env", "line"), INVALID)
def test_an_invalid_setting_is_one_line_and_exit_2(env: dict[str, str], line: str) -> None:
    done = serve({"OMS_PORT": "1", **env})
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"oms-cds: {line}"]
    assert done.stdout == ""
    assert PASSWORD not in done.stderr


def test_an_invalid_port_argument_is_one_line_and_exit_2() -> None:
    done = serve({}, "--port", "65536")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "oms-cds: argument --port: must be an integer from 1 to 65535 (got 65536)"
    ]


@pytest.mark.parametrize(("env", "line"), INVALID)
def test_load_settings_names_the_same_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], line: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(InvalidSetting) as refused:
        load_settings()
    assert refused.value.message == line


def test_valid_settings_load_with_their_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMS_PORT", "65535")
    monkeypatch.setenv("OMS_FHIR_BASE_URL", "https://ehr.example/fhir")
    monkeypatch.setenv("OMS_CDS_CORS_ORIGINS", '["https://ehr.example", "*"]')
    monkeypatch.setenv("OMS_FHIR_MAX_RETRIES", "0")
    settings = load_settings()
    assert (settings.port, settings.fhir_base_url) == (65535, "https://ehr.example/fhir")
    assert settings.cds_cors_origins == ["https://ehr.example", "*"]
    assert settings.fhir_max_retries == 0


@pytest.mark.parametrize(
    ("change", "line"),
    [
        pytest.param({"max_body_bytes": -5},
                     "OMS_MAX_BODY_BYTES must be a positive integer (got -5)", id="negative"),
        pytest.param({"fhir_base_url": "notaurl"},
                     "OMS_FHIR_BASE_URL must be an http or https URL with a host (got notaurl)",
                     id="not-a-url"),
        pytest.param({"port": 0}, "OMS_PORT must be an integer from 1 to 65535 (got 0)",
                     id="port-zero"),
    ],
)  # fmt: skip
def test_create_app_refuses_settings_that_do_not_validate(
    terminology: Terminology, change: dict[str, object], line: str
) -> None:
    built = Settings.model_construct(**change)
    changed = Settings()
    for name, value in change.items():
        setattr(changed, name, value)
    for settings in (built, changed):
        with pytest.raises(InvalidSetting) as refused:
            create_app(settings, terminology)
        assert refused.value.message == line


def test_checked_keeps_valid_settings_as_they_are() -> None:
    settings = Settings(max_body_bytes=1024, fhir_base_url="http://127.0.0.1:8090/fhir")
    assert checked(settings) == settings
