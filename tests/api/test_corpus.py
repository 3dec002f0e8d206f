"""Every file of the shared FHIR corpus (real data nobody here wrote) through $oms-assess.

Each answer is a 200 with a valid-looking result Bundle or a 4xx OperationOutcome with an
expression; never a 5xx. Which files get a 4xx, and why, is pinned below so a change in
behaviour shows up as a test failure, not as silence.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.corpus import CORPUS

FILES = sorted(p for p in CORPUS.rglob("*.json") if p.name != "MANIFEST.json")

# Bundles the service refuses, and the reason (every non-Bundle file gets 422 too:
# single resources, CDS Hooks requests and the AHRQ data[] wrapper are not Bundles).
# Since contract v2 the subject of any resource (a MedicationRequest, a DiagnosticReport)
# identifies the patient, so searchsets of those are assessed (all criteria unknown).
TWO_PATIENTS = "more than one patient"
NO_PATIENT = "No patient can be identified"
REFUSED_BUNDLES = {
    "bundle-references.json": TWO_PATIENTS,
    "bundle-transaction.json": TWO_PATIENTS,
    "patient-examples-cypress-template.json": TWO_PATIENTS,
    "patient-examples-general.json": TWO_PATIENTS,
    "bundle-request-medsallergies.json": NO_PATIENT,
    "bundle-request-simplesummary.json": NO_PATIENT,
    "bundle-search-warning.json": NO_PATIENT,
    # Its DiagnosticReports (in nested Bundles) are about several patients.
    "diagnosticreport-examples-general.json": TWO_PATIENTS,
    "endpoint-examples-general-template.json": NO_PATIENT,
    "location-examples-general.json": NO_PATIENT,
    "practitioner-examples-general.json": NO_PATIENT,
    "practitionerrole-examples-general.json": NO_PATIENT,
    "questionnaire-profile-example-ussg-fht.json": NO_PATIENT,
    "hospitalInformation1633536936158.json": NO_PATIENT,
    "practitionerInformation1633536936158.json": NO_PATIENT,
}


def test_the_corpus_is_there() -> None:
    assert len(FILES) >= 180


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_file_gets_a_result_or_a_clear_4xx(client: TestClient, path: Path) -> None:
    body = path.read_bytes()
    is_bundle = orjson.loads(body).get("resourceType") == "Bundle"
    response = client.post(
        "/fhir/$oms-assess", content=body, headers={"Content-Type": "application/fhir+json"}
    )

    if is_bundle and path.name not in REFUSED_BUNDLES:
        assert response.status_code == 200, response.text[:500]
        entries = response.json()["entry"]
        risk_assessment = entries[0]["resource"]
        assert risk_assessment["resourceType"] == "RiskAssessment"
        assert entries[-1]["resource"]["resourceType"] == "Provenance"
        # Nobody in the corpus has OMS: no criterion is met in any file, the risk is low.
        statuses = [
            part["valueCode"]
            for result in risk_assessment["extension"]
            for part in result["extension"]
            if part["url"] == "status"
        ]
        assert "met" not in statuses
        assert risk_assessment["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "low"
        return
    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert issue["expression"]
    if is_bundle:
        assert REFUSED_BUNDLES[path.name] in issue["diagnostics"]
