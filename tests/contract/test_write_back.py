"""`?persist=true`: one transaction, read back from the server, idempotent, new on new evidence."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.clients.fhir import parse_location
from service.mappers.write_back import KEY_SYSTEM
from tests.contract import seed
from tests.contract.conftest import Seeded

pytestmark = pytest.mark.contract

Json = dict[str, Any]
KINDS = ["RiskAssessment", "CarePlan", "Provenance"]


def persist(service: TestClient, patient_id: str) -> list[str]:
    """Persist an assessment; the `Type/id` of each stored resource, in answer order."""
    response = service.get(f"/fhir/Patient/{patient_id}/$oms-assess", params={"persist": "true"})
    assert response.status_code == 200, response.text[:300]
    stored = []
    for entry in response.json()["entry"]:
        location = parse_location(entry["fullUrl"])
        assert location is not None
        assert location.id == entry["resource"]["id"]
        stored.append(f"{location.resource_type}/{location.id}")
    return stored


def key_of(resource: Json) -> str:
    (code,) = [t["code"] for t in resource["meta"]["tag"] if t["system"] == KEY_SYSTEM]
    assert isinstance(code, str)
    return code


def with_key(fhir: httpx.Client, resource_type: str, key: str) -> list[str]:
    response = fhir.get(f"{resource_type}?_tag={KEY_SYSTEM}|{key}")
    assert response.status_code == 200, response.text[:300]
    return [e["resource"]["id"] for e in response.json().get("entry") or []]


def reference_key(reference: str) -> str:
    location = parse_location(reference)
    assert location is not None
    return f"{location.resource_type}/{location.id}"


@pytest.fixture(scope="module")
def fresh_patient(fhir: httpx.Client) -> str:
    """A patient of this module's own, so new evidence here disturbs no other test."""
    return seed.post_transaction(fhir, seed.oms_transaction("high", seed.new_run_id()))[0].id


def test_written_resources_read_back_linked_to_each_other(
    service: TestClient, fhir: httpx.Client, seeded: Seeded
) -> None:
    stored = persist(service, seeded.oms_high)

    assert [s.split("/")[0] for s in stored] == KINDS
    ra, cp, prov = (fhir.get(s).json() for s in stored)
    assert ra["subject"]["reference"].endswith(f"Patient/{seeded.oms_high}")
    assert ra["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "high"
    assert {"system": KEY_SYSTEM, "value": key_of(ra)} in ra["identifier"]
    assert {"system": KEY_SYSTEM, "value": key_of(ra)} in cp["identifier"]
    assert key_of(ra) == key_of(cp) == key_of(prov)
    assert sorted(reference_key(t["reference"]) for t in prov["target"]) == sorted(stored[:2])
    assert any(reference_key(ref["reference"]) == stored[0] for ref in cp["supportingInfo"])


def test_three_repeated_calls_store_each_resource_once(
    service: TestClient, fhir: httpx.Client, fresh_patient: str
) -> None:
    first, second, third = (persist(service, fresh_patient) for _ in range(3))

    assert first == second == third
    key = key_of(fhir.get(first[0]).json())
    for kind, stored in zip(KINDS, first, strict=True):
        assert with_key(fhir, kind, key) == [stored.split("/")[1]]


def test_three_simultaneous_calls_answer_alike_and_store_each_resource_once(
    service: TestClient, fhir: httpx.Client
) -> None:
    """Concurrent conditional creates race; a loser (HAPI: 409) must still answer 200."""
    patient = seed.post_transaction(fhir, seed.oms_transaction("high", seed.new_run_id()))[0].id
    start = threading.Barrier(3)

    def call(_: int) -> list[str]:
        start.wait(timeout=30)
        return persist(service, patient)

    with ThreadPoolExecutor(max_workers=3) as pool:
        first, second, third = pool.map(call, range(3))

    assert first == second == third
    key = key_of(fhir.get(first[0]).json())
    for kind, stored in zip(KINDS, first, strict=True):
        assert with_key(fhir, kind, key) == [stored.split("/")[1]]


def test_new_evidence_gives_a_new_assessment_beside_the_old(
    service: TestClient, fhir: httpx.Client, fresh_patient: str
) -> None:
    before = persist(service, fresh_patient)
    observations = fhir.get(f"Observation?patient=Patient/{fresh_patient}").json()["entry"]
    extra = {k: v for k, v in observations[0]["resource"].items() if k not in ("id", "meta")}
    assert fhir.post("Observation", json=extra).status_code == 201

    after = persist(service, fresh_patient)
    again = persist(service, fresh_patient)

    assert set(after).isdisjoint(before)
    assert again == after
    assert all(fhir.get(s).status_code == 200 for s in before)
    old_key, new_key = key_of(fhir.get(before[0]).json()), key_of(fhir.get(after[0]).json())
    assert old_key != new_key
