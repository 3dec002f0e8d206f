"""schemathesis against the service's own OpenAPI document, in-process (ASGI).

Every route, in three upstream configurations for the Patient routes: none configured
(501), a 127.0.0.1 port nobody listens on (502/504), and a respx FHIR server that
answers data or faults (200/404/502/504). CDS Hooks runs in insecure dev mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import respx
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import allow_header_conformance, positive_data_acceptance

from service.app import create_app
from tests.fuzz.conftest import app_settings, fuzz_settings, record_case
from tests.fuzz.oracles import problem

#: A failing case's report must not itself fail on hypothesis' warning about its size.
pytestmark = [pytest.mark.fuzz, pytest.mark.filterwarnings("ignore:Generating overly large repr")]

#: The document is the same whatever the settings; the apps that answer differ per test.
schema = schemathesis.openapi.from_dict(create_app(app_settings(Path("unused"))).openapi())
schema.config.generation.update(modes=["positive", "negative"])
patient_routes = schema.include(path_regex=r"/fhir/Patient/")

#: Checks from the document: schemathesis' own, minus the 5xx one, which the oracle
#: replaces (501-504 are documented answers here, a 500 never is), and minus "valid data
#: is accepted": the body schemas are deliberately loose (a Bundle with any entries is
#: schema-valid, yet most are not a usable payload and rightly get 422).
#: And minus the `Allow` check: a 405 on the Patient path lists only GET (starlette answers
#: from the first route matching the path); reported in docs/HARDENING.md, not a crash.
EXCLUDED = [not_a_server_error, positive_data_acceptance, allow_header_conformance]


def call_and_check(case: Any, app: FastAPI, target: str) -> int:
    response = case.call(app=app)
    status = response.status_code
    documented = case.method.lower() in schema.raw_schema["paths"][case.path]
    record_case(target if documented else "openapi: undocumented methods (all routes)", status)
    cds = case.path.startswith("/cds-services")
    content_type = ";".join(response.headers.get("content-type", []))
    reason = problem(status, content_type, response.content, cds=cds)
    assert reason is None, f"{case.method} {case.path}: {reason}"
    case.validate_response(response, excluded_checks=EXCLUDED)
    return status


@schema.parametrize()
@fuzz_settings(share=0.5)
def test_every_route_keeps_its_error_contract(case: Any, fuzz_app: FastAPI) -> None:
    call_and_check(case, fuzz_app, f"openapi: {case.method} {case.path}")


@patient_routes.parametrize()
@fuzz_settings(share=0.25)
def test_patient_routes_with_an_unreachable_fhir_server(
    case: Any, unreachable_app: FastAPI
) -> None:
    target = f"openapi unreachable: {case.method} {case.path}"
    status = call_and_check(case, unreachable_app, target)
    assert status in {400, 404, 405, 413, 415, 422, 502, 504}


@patient_routes.parametrize()
@settings(fuzz_settings(share=0.5), suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_patient_routes_with_a_mocked_fhir_server(
    case: Any, mocked_app: FastAPI, mocked_fhir: respx.MockRouter
) -> None:
    call_and_check(case, mocked_app, f"openapi mocked: {case.method} {case.path}")
