"""The course of treatment read from a real FHIR server: `Patient/{id}/$oms-assess` and a
CDS hook whose data all come from the `fhirServer` fallback give the CarePlan a posted
Bundle of the same record gets (examples/relapse.json: a child in relapse on prednisolone,
IVIG last month, rituximab in an earlier episode, speech therapy ordered)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.terminology import Terminology
from tests.api.conftest import example
from tests.cds.builders import hook_request, searchset
from tests.contract.conftest import Seeded

pytestmark = pytest.mark.contract

Json = dict[str, Any]


def course(care_plan: Json) -> list[tuple[str, str, list[str], str | None]]:
    """Each activity's code, status, the types of the records behind it, and progress
    (server ids differ from the posted Bundle's, so records compare by type)."""
    return [
        (
            a["detail"]["code"]["coding"][0]["code"],
            a["detail"]["status"],
            [r["reference"].split("/")[0] for r in a.get("outcomeReference", [])],
            a["progress"][0]["text"] if a.get("progress") else None,
        )
        for a in care_plan["activity"]
    ]


def care_plan_of(bundle: Json) -> Json:
    [plan] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"]
    return plan


@pytest.fixture(scope="module")
def posted(terminology: Terminology) -> Json:
    app = create_app(Settings(), terminology)
    with TestClient(app) as client:
        response = client.post(
            "/fhir/$oms-assess",
            content=example("relapse"),
            headers={"Content-Type": "application/fhir+json"},
        )
    assert response.status_code == 200
    answer: Json = response.json()
    return answer


@pytest.fixture
def cds(fhir_base_url: str, terminology: Terminology, tmp_path: Any) -> Iterator[TestClient]:
    settings = Settings(
        fhir_base_url=fhir_base_url,
        cds_insecure_dev=True,
        cds_dev_fhir_servers=[fhir_base_url],
        cds_feedback_db=tmp_path / "feedback.sqlite3",
    )
    with TestClient(create_app(settings, terminology)) as client:
        yield client


def test_the_server_read_gives_the_posted_course(
    service: TestClient, seeded: Seeded, posted: Json
) -> None:
    response = service.get(f"/fhir/Patient/{seeded.oms_relapse}/$oms-assess")
    assert response.status_code == 200, response.text[:300]
    answer = response.json()
    expected = care_plan_of(posted)
    assert course(care_plan_of(answer)) == course(expected)
    assert ("in-progress" in {status for _, status, _, _ in course(expected)}) is True
    assert care_plan_of(answer)["note"] == expected["note"]
    assert (
        "In relapse since 2026-11-01."
        in answer["entry"][0]["resource"]["prediction"][0]["rationale"]
    )


def test_a_hook_read_from_the_server_gives_the_posted_course_and_a_relapse_card(
    cds: TestClient, seeded: Seeded, fhir_base_url: str, posted: Json
) -> None:
    response = cds.post(
        "/cds-services/oms-screening",
        json=hook_request(patient_id=seeded.oms_relapse, fhir_server=fhir_base_url),
    )
    assert_relapse_card(response.status_code, response.text, posted)


def test_a_hook_with_evidence_prefetched_and_the_treatment_record_on_the_server(
    cds: TestClient, seeded: Seeded, fhir_base_url: str, fhir: httpx.Client, posted: Json
) -> None:
    """The usual EHR: the evidence is prefetched, the treatment record is not. The first
    screen (prefetch only) is certain, so the record is read from the server and the data
    screened again: the second screen must still see the prefetched evidence."""
    patient_id = seeded.oms_relapse
    patient = fhir.get(f"Patient/{patient_id}").json()
    conditions = _search(fhir, "Condition", patient_id)
    observations = _search(fhir, "Observation", patient_id)
    prefetch = {
        "patient": patient,
        "conditions": searchset(conditions),
        "observations": searchset(observations),
        "observationsByValue": searchset(observations),
    }
    response = cds.post(
        "/cds-services/oms-screening",
        json=hook_request(prefetch, patient_id=patient_id, fhir_server=fhir_base_url),
    )
    assert_relapse_card(response.status_code, response.text, posted)


def _search(fhir: httpx.Client, resource_type: str, patient_id: str) -> list[Json]:
    bundle = fhir.get(resource_type, params={"patient": patient_id, "_count": "1000"}).json()
    return [entry["resource"] for entry in bundle.get("entry", [])]


def assert_relapse_card(status: int, text: str, posted: Json) -> None:
    """One warning card, "OMS relapse since 2026-11-01", suggesting the posted course."""
    assert status == 200, text[:300]
    [card] = json.loads(text)["cards"]
    assert card["indicator"] == "warning"
    assert card["summary"].startswith("OMS relapse since 2026-11-01")
    suggested = [
        action["resource"]
        for suggestion in card["suggestions"]
        for action in suggestion["actions"]
        if action["resource"]["resourceType"] == "CarePlan"
    ]
    assert [course(plan) for plan in suggested] == [course(care_plan_of(posted))]
