"""The service side of the SMART app: static files, its config, and `$oms-write-back`."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.mappers import write_back
from service.settings import Settings
from service.terminology import Terminology
from tests.api.conftest import example

FHIR = {"content-type": "application/fhir+json"}


def test_the_app_pages_and_vendored_libraries_are_served(client: TestClient) -> None:
    for path in ("/app/launch.html", "/app/index.html"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
    for path in ("/app/vendor/fhir-client.pure.min.js", "/app/vendor/vega-lite.min.js"):
        assert client.get(path).status_code == 200
    assert client.get("/app/vendor/fhirclient.LICENSE").status_code == 200
    assert client.get("/app/nothing.html").status_code == 404


def test_config_gives_the_client_id_from_the_environment(terminology: Terminology) -> None:
    app = create_app(Settings(smart_client_id="ehr-42"), terminology)
    with TestClient(app) as client:
        config = client.get("/app/config.json").json()
    assert config["clientId"] == "ehr-42"
    assert config["scope"].split()[0] == "launch"
    assert config["standaloneScope"].split()[0] == "launch/patient"
    for scope in ("openid", "fhirUser", "patient/Observation.rs", "patient/CarePlan.c"):
        assert scope in config["scope"].split()


def _write_back(client: TestClient, body: bytes, author: str | None = None) -> Any:
    params = {"author": author} if author else {}
    response = client.post("/fhir/$oms-write-back", content=body, headers=FHIR, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_transaction_is_keyed_like_persist(client: TestClient) -> None:
    body = example("high")
    first = _write_back(client, body, author="Practitioner/p-1")
    assert first["type"] == "transaction"
    types = [e["resource"]["resourceType"] for e in first["entry"]]
    assert types == ["RiskAssessment", "CarePlan", "Provenance"]
    conditions = {e["request"]["ifNoneExist"] for e in first["entry"]}
    (condition,) = conditions
    key = condition.split("|")[1]
    assert condition == f"_tag={write_back.KEY_SYSTEM}|{key}"
    # Assessing the same data again (a second press, another session) gives the same key.
    again = _write_back(client, body)
    assert {e["request"]["ifNoneExist"] for e in again["entry"]} == conditions
    provenance = first["entry"][2]["resource"]
    assert [a["who"]["reference"] for a in provenance["agent"]] == ["#oms-cds", "Practitioner/p-1"]
    assert [a["who"]["reference"] for a in again["entry"][2]["resource"]["agent"]] == ["#oms-cds"]


def test_changed_evidence_gives_a_new_key(client: TestClient) -> None:
    bundle = orjson.loads(example("high"))
    before = _write_back(client, orjson.dumps(bundle))["entry"][0]["request"]["ifNoneExist"]
    bundle["entry"][2]["resource"]["meta"] = {"versionId": "2"}
    after = _write_back(client, orjson.dumps(bundle))["entry"][0]["request"]["ifNoneExist"]
    assert before != after


@pytest.mark.parametrize(
    "author", ["Device/x", "Practitioner/", "https://evil.example/Practitioner/1", "a" * 300]
)
def test_an_author_that_is_no_user_reference_is_refused(client: TestClient, author: str) -> None:
    response = client.post(
        "/fhir/$oms-write-back", content=example("high"), headers=FHIR, params={"author": author}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/fhir+json")


@pytest.mark.parametrize(
    ("key", "display"),
    [
        pytest.param("http://snomed.info/sct|432328008", "Neuroblastoma", id="criterion-valueset"),
        pytest.param(
            "http://snomed.info/sct|230350000",
            "Opsoclonus-myoclonus syndrome",
            id="diagnosis-valueset",
        ),
        pytest.param(
            "http://www.nlm.nih.gov/research/umls/rxnorm|8638", "prednisolone", id="agent"
        ),
        pytest.param(
            "http://www.nlm.nih.gov/research/umls/rxnorm|105609",
            "Azathioprine 50 MG Oral Tablet [Azamune]",
            id="conceptmap-product",
        ),
        pytest.param(
            "http://oms-cds.org/fhir/CodeSystem/oms-criteria|opsoclonus",
            "Opsoclonus",
            id="criteria-codesystem",
        ),
    ],
)
def test_displays_give_words_for_bare_codes(client: TestClient, key: str, display: str) -> None:
    response = client.get("/app/displays.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["displays"][key] == display


def test_displays_say_how_to_normalise_a_coding(client: TestClient) -> None:
    document = client.get("/app/displays.json").json()
    assert document["systemAliases"]["urn:oid:2.16.840.1.113883.6.96"] == "http://snomed.info/sct"
    assert document["codeFormats"]["https://www.orpha.net"] == {
        "ignored": "",
        "optionalPrefixes": ["ORPHA:"],
    }
    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    assert document["ingredientOf"][f"{rxnorm}|105609"] == f"{rxnorm}|1256"  # azathioprine
    assert "http://snomed.info/sct|230350000" in document["diagnosis"]
    # Keys are stored normalised: an Orphanet code without its prefix.
    assert "https://www.orpha.net|1183" in document["displays"]
    assert not any(key.startswith("https://www.orpha.net|ORPHA:") for key in document["displays"])


def test_an_unknown_drug_has_no_display(client: TestClient) -> None:
    displays = client.get("/app/displays.json").json()["displays"]
    assert "http://www.nlm.nih.gov/research/umls/rxnorm|161" not in displays  # paracetamol


def test_the_app_asks_for_the_treatment_record(client: TestClient) -> None:
    scope = client.get("/app/config.json").json()["scope"].split()
    for resource_type in (
        "DiagnosticReport",
        "MedicationRequest",
        "MedicationAdministration",
        "MedicationStatement",
        "Medication",
        "Procedure",
        "ServiceRequest",
    ):
        assert f"patient/{resource_type}.rs" in scope
