"""Request logs: one JSON line per request with safe fields only, and no patient data,
whatever the route and whether it succeeded or failed."""

from __future__ import annotations

import logging
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from service.logs import JsonFormatter
from tests.api.conftest import example

NAME = "Zebulon-Quixotic-Secret"
MRN = "MRN-SECRET-98765"
PATIENT_ID = "pt-secret-4711"
SECRETS = (NAME, MRN, PATIENT_ID)


def secret_bundle() -> dict[str, Any]:
    bundle = orjson.loads(example("high"))
    patient = bundle["entry"][0]["resource"]
    patient["id"] = PATIENT_ID
    patient["name"] = [{"family": NAME, "given": [NAME]}]
    patient["identifier"] = [{"system": "urn:oid:1.2.3", "value": MRN}]
    return dict(bundle)


def two_patient_bundle() -> dict[str, Any]:
    bundle = secret_bundle()
    bundle["entry"][3]["resource"]["subject"] = {"reference": f"Patient/{MRN}"}
    return bundle


FHIR_JSON = {"Content-Type": "application/fhir+json"}
ASSESS = "/fhir/$oms-assess"
NOT_A_BUNDLE = {"resourceType": "Patient", "id": PATIENT_ID, "name": [{"family": NAME}]}
BY_ID = f"/fhir/Patient/{PATIENT_ID}/$oms-assess?identifier={MRN}"
BY_ID_ROUTE = "/fhir/Patient/{patient_id}/$oms-assess"
REQUESTS = [
    pytest.param("POST", ASSESS, orjson.dumps(secret_bundle()), 200, ASSESS, id="assess-ok"),
    pytest.param("POST", ASSESS, orjson.dumps(two_patient_bundle()), 422, ASSESS, id="2-patients"),
    pytest.param("POST", ASSESS, f'{{"name": "{NAME}"'.encode(), 400, ASSESS, id="bad-json"),
    pytest.param("POST", ASSESS, orjson.dumps(NOT_A_BUNDLE), 422, ASSESS, id="not-a-bundle"),
    pytest.param("GET", BY_ID, b"", 501, BY_ID_ROUTE, id="no-fhir-server"),
    pytest.param("GET", f"/fhir/{NAME}", b"", 404, "(no route)", id="unknown-route"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "status", "route"), REQUESTS)
def test_one_safe_log_line_per_request_and_no_patient_data(
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    body: bytes,
    status: int,
    route: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    response = client.request(method, path, content=body, headers=FHIR_JSON)

    assert response.status_code == status
    if status >= 400:
        assert not any(secret in response.text for secret in SECRETS)
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert not [line for line in lines if any(secret in line for secret in SECRETS)]
    request_lines = [orjson.loads(line) for line in lines if '"event":"request"' in line]
    assert len(request_lines) == 1
    logged = request_lines[0]
    assert logged["status"] == status
    assert logged["method"] == method
    assert logged["request_id"] == response.headers["x-request-id"]
    assert isinstance(logged["latency_ms"], float)
    assert logged["route"] == route


def test_an_incoming_request_id_is_kept_when_it_is_safe(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "ehr-abc-123"})
    assert response.headers["x-request-id"] == "ehr-abc-123"


def test_an_unsafe_request_id_is_replaced(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": f"{NAME} <script>"})
    assert response.headers["x-request-id"] != f"{NAME} <script>"
    assert NAME not in response.headers["x-request-id"]


def test_the_formatter_drops_fields_that_are_not_known_to_be_safe() -> None:
    record = logging.LogRecord("oms_cds.x", logging.INFO, __file__, 1, "event", None, None)
    record.body = NAME
    record.status = 200
    line = orjson.loads(JsonFormatter().format(record))
    assert line["status"] == 200
    assert "body" not in line


def test_the_assess_line_carries_the_entry_and_kept_counts(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = client.post(ASSESS, content=orjson.dumps(secret_bundle()), headers=FHIR_JSON)
    assert response.status_code == 200
    [line] = [orjson.loads(JsonFormatter().format(r)) for r in caplog.records if r.msg == "request"]
    assert (line["entries"], line["kept"]) == (len(secret_bundle()["entry"]), 4)


@pytest.mark.parametrize(
    ("field", "value", "written"),
    [
        pytest.param("reason", "InvalidAudienceError", "InvalidAudienceError", id="jwt-reason"),
        pytest.param("reason", f"aud {NAME} wrong", "(unnamed)", id="free-text-reason"),
        pytest.param(
            "hook_instance",
            "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            id="hook-instance-uuid",
        ),
        pytest.param("hook_instance", NAME, "(not a UUID)", id="hook-instance-not-uuid"),
    ],
)
def test_rejection_reasons_and_hook_instances_are_logged_in_their_shape(
    field: str, value: str, written: str
) -> None:
    record = logging.LogRecord("oms_cds.x", logging.INFO, __file__, 1, "event", None, None)
    setattr(record, field, value)
    assert orjson.loads(JsonFormatter().format(record))[field] == written
