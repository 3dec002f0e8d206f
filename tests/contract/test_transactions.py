"""Seeding by transaction, and that a transaction with a failing entry writes nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.contract import seed
from tests.contract.conftest import Seeded

pytestmark = pytest.mark.contract


def total(fhir: httpx.Client, query: str) -> int:
    response = fhir.get(query)
    assert response.status_code == 200, response.text[:300]
    bundle = response.json()
    return len(bundle.get("entry") or [])


def test_the_oms_example_was_stored_with_references_rewritten(
    fhir: httpx.Client, seeded: Seeded
) -> None:
    kinds = [location.resource_type for location in seeded.oms_high_entries]
    assert kinds == [
        "Patient",
        "Condition",
        "Observation",
        "Condition",
        "Observation",
        "Observation",
    ]
    condition = seeded.oms_high_entries[1]

    response = fhir.get(f"{condition.resource_type}/{condition.id}")

    assert response.status_code == 200
    assert response.json()["subject"]["reference"].endswith(f"Patient/{seeded.oms_high}")


@pytest.mark.parametrize(
    ("patient", "conditions", "observations"),
    [
        pytest.param("bob", 0, 30, id="synthea-bob-30-observations"),
        pytest.param("lawrence", 3, 154, id="synthea-lawrence-3-conditions-154-observations"),
    ],
)
def test_synthea_patients_were_stored_whole(
    fhir: httpx.Client, seeded: Seeded, patient: str, conditions: int, observations: int
) -> None:
    patient_id = getattr(seeded, patient)

    assert fhir.get(f"Patient/{patient_id}").status_code == 200
    assert total(fhir, f"Condition?patient=Patient/{patient_id}&_count=200") == conditions
    assert total(fhir, f"Observation?patient=Patient/{patient_id}&_count=200") == observations


def test_a_transaction_with_a_failing_entry_writes_nothing(
    fhir: httpx.Client, seeded: Seeded
) -> None:
    marker = f"atomicity-{seed.new_run_id()}"
    patient = seeded.oms_high_entries[0]
    current = fhir.get(f"Patient/{patient.id}")
    assert current.status_code == 200
    stale = {**current.json(), "gender": "other"}
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:0f0b6f4e-2c55-4a6e-9d0f-000000000001",
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": seed.RUN_SYSTEM, "value": marker}],
                },
                "request": {"method": "POST", "url": "Patient"},
            },
            {  # a version that never existed: 409 or 412 on every server
                "resource": stale,
                "request": {
                    "method": "PUT",
                    "url": f"Patient/{patient.id}",
                    "ifMatch": 'W/"999999"',
                },
            },
        ],
    }

    response = fhir.post("", json=bundle)

    assert response.status_code in (400, 409, 412), response.text[:300]
    assert response.json()["resourceType"] == "OperationOutcome"
    assert total(fhir, f"Patient?identifier={seed.RUN_SYSTEM}|{marker}") == 0
    assert fhir.get(f"Patient/{patient.id}").json().get("gender") == current.json().get("gender")
