"""No patient data in the logs of a real server process, nor in any error answer.

Starts `oms-cds serve` as a user would (JSON logs on stderr, uvicorn's access log off), with
CDS Hooks in dev mode and a FHIR server that is not there, then sends a unique patient name,
identifier, patient id and access token through every route, in requests that succeed and in
requests that fail. The captured stderr and every error body must hold none of them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

ROOT = Path(__file__).resolve().parents[1]
NAME = "Zebulon-Quixotic-Leak"
MRN = "MRN-LEAK-31337"
PATIENT_ID = "pt-leak-4711"
TOKEN = "tok-LEAK-9f8e7d"
SECRETS = (NAME, MRN, PATIENT_ID, TOKEN)

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "name": [{"family": NAME, "given": [NAME]}],
        "identifier": [{"system": "urn:oid:1.2.3.4", "value": MRN}],
    }


def condition(subject: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "c-1",
        "code": {
            "coding": [{"system": "http://human-phenotype-ontology.org", "code": "HP:0003006"}]
        },
        "note": [{"text": f"seen with {NAME}, {MRN}"}],
        "subject": {"reference": subject},
    }


def bundle(*resources: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in resources],
        }
    )


def hook(prefetch: dict[str, Any] | None, **extra: Any) -> bytes:
    request: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": PATIENT_ID},
        **extra,
    }
    if prefetch is not None:
        request["prefetch"] = prefetch
    return orjson.dumps(request)


SEARCHSET = {"resourceType": "Bundle", "type": "searchset", "entry": []}
FULL_PREFETCH = {
    "patient": patient(),
    "conditions": {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": condition(f"Patient/{PATIENT_ID}")}],
    },
    "observations": SEARCHSET,
    "observationsByValue": SEARCHSET,
}
FHIR = {"Content-Type": "application/fhir+json"}
XML = {"Content-Type": "application/fhir+xml"}
HOOK = "/cds-services/oms-screening"
FEEDBACK = "/cds-services/oms-screening/feedback"
CALLBACK_AUTH = {
    "access_token": TOKEN,
    "token_type": "Bearer",
    "expires_in": 300,
    "scope": "patient/*.read",
    "subject": "oms-cds",
}
DEAD_SERVER = "http://127.0.0.1:9/fhir"
NO_HOOK_INSTANCE = {"hook": "patient-view", "context": {"patientId": NAME}}
OTHER_PATIENT = {"resourceType": "Patient", "id": MRN, "name": [{"family": NAME}]}
OVERRIDE = {
    "card": str(uuid.uuid4()),
    "outcome": "overridden",
    "outcomeTimestamp": "2026-11-25T10:00:00Z",
    "overrideReason": {"userComment": f"{NAME} {MRN}"},
}
JSON = {"Content-Type": "application/json"}
REQUESTS: list[tuple[str, str, bytes, dict[str, str], int]] = [
    ("POST", "/fhir/$oms-assess", bundle(patient(), condition(f"Patient/{PATIENT_ID}")), FHIR, 200),
    ("POST", "/fhir/$oms-assess", bundle(patient(), condition(f"Patient/{MRN}")), FHIR, 422),
    ("POST", "/fhir/$oms-assess", f'{{"name": "{NAME}", '.encode(), FHIR, 400),
    ("POST", "/fhir/$oms-assess", f"<Patient><name>{NAME}</name></Patient>".encode(), XML, 415),
    ("POST", "/fhir/$oms-assess", bundle(patient()) + b" " * 300_000, FHIR, 413),
    ("POST", "/fhir/$oms-assess", orjson.dumps(patient()), FHIR, 422),
    ("GET", f"/fhir/Patient/{PATIENT_ID}/$oms-assess?persist=true&note={NAME}", b"", {}, 502),
    ("GET", f"/fhir/Patient/{MRN}/$oms-assess", b"", {}, 502),
    ("GET", f"/fhir/{NAME}/{MRN}", b"", {}, 404),
    ("GET", "/fhir/metadata", b"", {}, 200),
    ("GET", "/healthz", b"", {}, 200),
    ("GET", "/cds-services", b"", {}, 200),
    ("POST", HOOK, hook(FULL_PREFETCH), JSON, 200),
    ("POST", HOOK, hook(None, fhirServer=DEAD_SERVER, fhirAuthorization=CALLBACK_AUTH), JSON, 412),
    ("POST", HOOK, hook({**FULL_PREFETCH, "patient": OTHER_PATIENT}), JSON, 422),
    ("POST", HOOK, orjson.dumps(NO_HOOK_INSTANCE), JSON, 400),
    ("POST", FEEDBACK, orjson.dumps({"feedback": [OVERRIDE]}), JSON, 200),
    ("POST", FEEDBACK, orjson.dumps({"feedback": [{"card": NAME}]}), JSON, 400),
]  # fmt: skip


class Run:
    """What one real server process answered and logged for REQUESTS."""

    def __init__(self, answers: list[httpx.Response], log: str) -> None:
        self.answers = answers
        self.log = log


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    port = free_port()
    var = tmp_path_factory.mktemp("phi")
    env = {
        **os.environ,
        "OMS_PORT": str(port),
        "OMS_MAX_BODY_BYTES": "200000",
        "OMS_FHIR_BASE_URL": f"http://127.0.0.1:{free_port()}/fhir",
        "OMS_FHIR_DEADLINE": "2",
        "OMS_FHIR_MAX_RETRIES": "0",
        "OMS_CDS_INSECURE_DEV": "1",
        "OMS_CDS_FEEDBACK_DB": str(var / "feedback.sqlite3"),
    }
    log_path = var / "server.log"
    answers: list[httpx.Response] = []
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                _wait_until_up(client)
                for method, path, body, headers, _ in REQUESTS:
                    answers.append(client.request(method, path, content=body, headers=headers))
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
    return Run(answers, log_path.read_text())


def _wait_until_up(client: httpx.Client) -> None:
    for _ in range(300):
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    pytest.fail("oms-cds serve did not start")


@pytest.mark.parametrize(
    "number", range(len(REQUESTS)), ids=[f"{m} {p[:45]} -> {s}" for m, p, _, _, s in REQUESTS]
)
def test_each_route_answers_as_expected_and_never_echoes_patient_data(
    run: Run, number: int
) -> None:
    answer = run.answers[number]
    assert answer.status_code == REQUESTS[number][4]
    if answer.status_code >= 400:
        assert [s for s in SECRETS if s in answer.text] == []


def test_the_server_log_is_json_lines_without_patient_data(run: Run) -> None:
    lines = [line for line in run.log.splitlines() if line.strip()]
    parsed = [orjson.loads(line) for line in lines]
    requests = [line for line in parsed if line.get("event") == "request"]
    assert len(requests) >= len(REQUESTS)
    assert {line["status"] for line in requests} >= {200, 400, 404, 412, 413, 415, 422, 502}
    assert [s for s in SECRETS if s in run.log] == []
