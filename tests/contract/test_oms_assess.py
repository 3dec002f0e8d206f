"""GET /fhir/Patient/{id}/$oms-assess with the data on a real FHIR server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.terminology import Terminology
from tests.api.conftest import example
from tests.contract.conftest import Seeded

pytestmark = pytest.mark.contract

Json = dict[str, Any]
CRITERION_RESULT = "http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result"


def criteria(risk_assessment: Json) -> dict[str, tuple[str, int]]:
    """criterion -> (status, number of evidence references)."""
    found = {}
    for ext in risk_assessment["extension"]:
        assert ext["url"] == CRITERION_RESULT
        parts = [p["url"] for p in ext["extension"]]
        by_url = {p["url"]: p for p in ext["extension"]}
        code = by_url["criterion"]["valueCoding"]["code"]
        found[code] = (by_url["status"]["valueCode"], parts.count("evidence"))
    return found


def risk(bundle: Json) -> str:
    code: str = bundle["entry"][0]["resource"]["prediction"][0]["qualitativeRisk"]["coding"][0][
        "code"
    ]
    return code


def activities(bundle: Json) -> list[Json]:
    plans = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"]
    return [a["detail"] for plan in plans for a in plan.get("activity", [])]


def test_same_answer_as_the_type_level_operation(service: TestClient, seeded: Seeded) -> None:
    instance = service.get(f"/fhir/Patient/{seeded.oms_high}/$oms-assess")
    posted = service.post(
        "/fhir/$oms-assess",
        content=example("high"),
        headers={"Content-Type": "application/fhir+json"},
    )

    assert instance.status_code == 200, instance.text[:300]
    assert posted.status_code == 200
    answer, expected = instance.json(), posted.json()
    assert risk(answer) == risk(expected) == "high"
    assert criteria(answer["entry"][0]["resource"]) == criteria(expected["entry"][0]["resource"])
    assert activities(answer) == activities(expected)
    assert [e["resource"]["resourceType"] for e in answer["entry"]] == [
        "RiskAssessment",
        "CarePlan",
        "Provenance",
    ]
    ra = answer["entry"][0]["resource"]
    assert ra["subject"] == {"reference": f"Patient/{seeded.oms_high}"}
    seeded_refs = {f"{loc.resource_type}/{loc.id}" for loc in seeded.oms_high_entries}
    assert {b["reference"] for b in ra["basis"]} <= seeded_refs


@pytest.mark.parametrize(
    "patient",
    [pytest.param("bob", id="synthea-bob"), pytest.param("lawrence", id="synthea-lawrence")],
)
def test_a_synthea_patient_without_oms_findings_is_low_risk(
    service: TestClient, seeded: Seeded, patient: str
) -> None:
    response = service.get(f"/fhir/Patient/{getattr(seeded, patient)}/$oms-assess")

    assert response.status_code == 200, response.text[:300]
    assert risk(response.json()) == "low"


def test_an_unknown_patient_is_404(service: TestClient, seeded: Seeded) -> None:
    response = service.get(f"/fhir/Patient/no-such-patient-{seeded.run}/$oms-assess")

    assert response.status_code == 404
    assert response.json() == {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "not-found",
                "diagnostics": "No such Patient on the FHIR server",
            }
        ],
    }


@pytest.fixture(scope="module")
def capped_service(fhir_base_url: str, terminology: Terminology) -> Iterator[TestClient]:
    """The service with a search cap far below the longest seeded record (846
    Observations), as a 5,000-entry cap is below a long real record."""
    settings = Settings(fhir_base_url=fhir_base_url, fhir_max_entries=2)
    with TestClient(create_app(settings, terminology)) as client:
        yield client


def test_a_record_longer_than_the_search_cap_is_still_assessed(
    capped_service: TestClient, service: TestClient, seeded: Seeded
) -> None:
    """Never a 502 for a long record: past the cap the evidence is searched for by code."""
    long_record = capped_service.get(f"/fhir/Patient/{seeded.lawrence}/$oms-assess")
    assert long_record.status_code == 200, long_record.text[:300]
    assert risk(long_record.json()) == "low"

    capped = capped_service.get(f"/fhir/Patient/{seeded.oms_high}/$oms-assess")
    full = service.get(f"/fhir/Patient/{seeded.oms_high}/$oms-assess")
    assert capped.status_code == full.status_code == 200
    assert criteria(capped.json()["entry"][0]["resource"]) == criteria(
        full.json()["entry"][0]["resource"]
    )
