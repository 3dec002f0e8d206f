"""`/metrics` after a few calls: each counter moved by exactly what was done, no patient data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.app import create_app
from service.settings import Settings
from service.terminology import Terminology
from tests.cds.builders import example, hook_request, risk_example
from tests.security.keys import FHIR, ISS, clients_file, es384, jwks

ES = es384()
SERVICE = "/cds-services/oms-screening"
AUD = f"http://testserver{SERVICE}"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def client(tmp_path: Path, terminology: Terminology) -> Iterator[TestClient]:
    clients = clients_file(
        tmp_path / "clients.json", {"iss": ISS, "jwks": jwks(ES), "fhir_servers": [FHIR]}
    )
    settings = Settings(cds_clients_file=clients, cds_feedback_db=tmp_path / "oms.sqlite3")
    with TestClient(create_app(settings, terminology), raise_server_exceptions=False) as client:
        yield client


def scrape(client: TestClient) -> tuple[Samples, str]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples, response.text


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def hook(client: TestClient, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    return client.post(
        SERVICE,
        content=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token or ES.token(aud=AUD)}",
        },
    )


@respx.mock
def test_counts_after_a_few_calls(client: TestClient) -> None:
    respx.route(host="ehr.example.org").mock(return_value=httpx.Response(500))
    before, _ = scrape(client)

    bundle = json.dumps(example("high")).encode()
    for _ in range(2):
        answer = client.post(
            "/fhir/$oms-assess", content=bundle, headers={"Content-Type": "application/fhir+json"}
        )
        assert answer.status_code == 200
    patient_id, prefetch = risk_example("moderate")
    token = ES.token(aud=AUD)
    assert hook(client, hook_request(prefetch, patient_id=patient_id), token).status_code == 200
    assert hook(client, hook_request(prefetch, patient_id=patient_id), token).status_code == 401
    no_conditions = {k: v for k, v in prefetch.items() if k != "conditions"}
    fallback = hook_request(no_conditions, patient_id=patient_id, fhir_server=FHIR, token="t")
    assert hook(client, fallback).status_code == 412
    assert client.get("/fhir/Patient/secret-patient-id/$oms-assess").status_code == 501
    assert client.get("/no/such/secret-path").status_code == 404

    after, text = scrape(client)
    assert delta(before, after, "oms_assessments_total", source="fhir-bundle", risk="high") == 2
    assert delta(before, after, "oms_assessments_total", source="cds-hook", risk="moderate") == 1
    assert delta(before, after, "oms_jwt_rejections_total", reason="replay") == 1
    assert delta(before, after, "oms_prefetch_fallbacks_total", key="conditions", reason="absent")
    assert delta(before, after, "oms_upstream_fhir_errors_total", source="cds-hook", kind="status")
    requests = "oms_http_requests_total"
    assess = {"method": "POST", "route": "/fhir/$oms-assess"}
    assert delta(before, after, requests, **assess, status="200") == 2
    assert delta(before, after, requests, method="POST", route=SERVICE, status="200") == 1
    assert delta(before, after, requests, method="POST", route=SERVICE, status="401") == 1
    assert delta(before, after, requests, method="POST", route=SERVICE, status="412") == 1
    patient_route = "/fhir/Patient/{patient_id}/$oms-assess"
    assert delta(before, after, requests, method="GET", route=patient_route, status="501") == 1
    assert delta(before, after, requests, method="GET", route="(no route)", status="404") == 1
    histogram = "oms_http_request_duration_seconds_count"
    assert delta(before, after, histogram, **assess) == 2
    assert delta(before, after, "oms_http_request_duration_seconds_bucket", **assess, le="+Inf")
    for secret in ("secret-patient-id", "secret-path", patient_id, token):
        assert secret not in text


def test_metrics_answer_when_the_database_is_gone(tmp_path: Path, terminology: Terminology) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}")  # a folder: unusable
    with TestClient(create_app(settings, terminology)) as client:
        assert client.get("/readyz").status_code == 503
        assert client.get("/metrics").status_code == 200
