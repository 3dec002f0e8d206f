"""POST /fhir/$oms-assess and GET /fhir/metadata through the ASGI app."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import example

FHIR_JSON = {"Content-Type": "application/fhir+json"}
CRITERION_RESULT = "http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result"
CHECKLIST = "http://oms-cds.org/fhir/PlanDefinition/oms-therapy-checklist"
WORKUP = "http://oms-cds.org/fhir/PlanDefinition/oms-diagnostic-workup"


def assess(client: TestClient, body: bytes, headers: dict[str, str] | None = None) -> Any:
    return client.post("/fhir/$oms-assess", content=body, headers=headers or FHIR_JSON)


def statuses(risk_assessment: dict[str, Any]) -> dict[str, str]:
    found = {}
    for ext in risk_assessment["extension"]:
        assert ext["url"] == CRITERION_RESULT
        parts = {p["url"]: p for p in ext["extension"]}
        found[parts["criterion"]["valueCoding"]["code"]] = parts["status"]["valueCode"]
    return found


def test_high_example_gives_risk_assessment_checklist_and_provenance(client: TestClient) -> None:
    response = assess(client, example("high"))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    types = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert types == ["RiskAssessment", "CarePlan", "Provenance"]
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in bundle["entry"])
    ra_url, cp_url, _ = (e["fullUrl"] for e in bundle["entry"])
    ra, cp, prov = (e["resource"] for e in bundle["entry"])

    assert list(statuses(ra).items()) == [
        ("neuroblastoma", "met"),
        ("opsoclonus", "met"),
        ("myoclonus-ataxia", "met"),
        ("behavior-sleep", "met"),
    ]
    assert ra["status"] == "final"
    assert ra["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "high"
    assert ra["prediction"][0]["outcome"]["coding"][0]["code"] == "1183"
    assert ra["prediction"][0]["rationale"].startswith("4 of 4 criteria met")
    assert ra["subject"] == {"reference": "Patient/oms-high-1"}
    assert {b["reference"] for b in ra["basis"]} == {
        "Condition/nb-1",
        "Observation/eyes-1",
        "Condition/myoclonus-1",
        "Observation/sleep-1",
    }

    assert cp["instantiatesCanonical"] == [CHECKLIST]
    assert cp["intent"] == "proposal"
    assert cp["status"] == "draft"
    assert cp["supportingInfo"] == [{"reference": ra_url}]
    codes = [a["detail"]["code"]["coding"][0]["code"] for a in cp["activity"]]
    assert len(codes) == 15
    assert codes[0] == "mitigate-trigger"
    assert codes[2] == "reassess-high-risk"
    assert codes[14] == "intensify-rehabilitation"
    assert all(a["detail"]["status"] == "not-started" for a in cp["activity"])
    assert "occult" not in cp["activity"][0]["detail"]["description"]

    assert [t["reference"] for t in prov["target"]] == [ra_url, cp_url]


def test_high_without_neuroblastoma_says_to_search_for_an_occult_tumour(
    client: TestClient,
) -> None:
    bundle = orjson.loads(example("high"))
    del bundle["entry"][1]  # the neuroblastoma Condition
    response = assess(client, orjson.dumps(bundle))

    assert response.status_code == 200
    ra, cp = (e["resource"] for e in response.json()["entry"][:2])
    assert statuses(ra)["neuroblastoma"] == "unknown"
    assert ra["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "high"
    mitigate, _, reassess = (a["detail"]["description"] for a in cp["activity"][:3])
    assert "occult neuroblastoma" in mitigate
    assert "occult neuroblastoma" in reassess


def test_moderate_example_gives_the_work_up_for_each_unknown_criterion(
    client: TestClient,
) -> None:
    response = assess(client, example("moderate"), {"Content-Type": "application/json"})

    assert response.status_code == 200
    ra, cp = (e["resource"] for e in response.json()["entry"][:2])
    assert statuses(ra) == {
        "neuroblastoma": "unknown",
        "opsoclonus": "met",
        "myoclonus-ataxia": "met",
        "behavior-sleep": "unknown",
    }
    assert ra["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "moderate"
    assert ra["subject"] == {"reference": "Patient/pt-moderate-2"}
    assert cp["instantiatesCanonical"] == [WORKUP]
    assert [a["detail"]["code"]["coding"][0]["code"] for a in cp["activity"]] == [
        "neuroblastoma-search",
        "behavior-sleep-assessment",
        "reassess-high-risk",
    ]


def test_low_example_gives_no_care_plan(client: TestClient) -> None:
    response = assess(client, example("low"))

    assert response.status_code == 200
    entries = response.json()["entry"]
    assert [e["resource"]["resourceType"] for e in entries] == ["RiskAssessment", "Provenance"]
    ra = entries[0]["resource"]
    assert statuses(ra) == {
        "neuroblastoma": "not-met",
        "opsoclonus": "not-met",
        "myoclonus-ataxia": "met",
        "behavior-sleep": "unknown",
    }
    assert ra["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "low"


def test_parameters_with_a_bundle_part_is_assessed_like_the_bundle(client: TestClient) -> None:
    bundle = orjson.loads(example("moderate"))
    parameters = {
        "resourceType": "Parameters",
        "parameter": [{"name": "bundle", "resource": bundle}],
    }

    direct = assess(client, example("moderate")).json()
    wrapped = assess(client, orjson.dumps(parameters))

    assert wrapped.status_code == 200
    assert statuses(wrapped.json()["entry"][0]["resource"]) == statuses(
        direct["entry"][0]["resource"]
    )


def test_unconfirmed_evidence_makes_the_assessment_preliminary(client: TestClient) -> None:
    bundle = orjson.loads(example("high"))
    nb = bundle["entry"][1]["resource"]
    nb["verificationStatus"]["coding"][0]["code"] = "provisional"
    response = assess(client, orjson.dumps(bundle))

    assert response.status_code == 200
    assert response.json()["entry"][0]["resource"]["status"] == "preliminary"


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        pytest.param("application/fhir+xml", "FHIR XML is not supported", id="fhir-xml"),
        pytest.param("text/plain", "Unsupported media type", id="text-plain"),
        pytest.param("", "Unsupported media type", id="no-content-type"),
    ],
)
def test_other_media_types_get_415(client: TestClient, content_type: str, message: str) -> None:
    response = client.post(
        "/fhir/$oms-assess", content=example("high"), headers={"Content-Type": content_type}
    )

    assert response.status_code == 415
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "not-supported"
    assert message in outcome["issue"][0]["diagnostics"]


def test_invalid_json_gets_400_without_echoing_the_body(client: TestClient) -> None:
    response = assess(client, b'{"resourceType": "Bundle", "entry": [Mia Rivera')

    assert response.status_code == 400
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "Mia" not in response.text


def _with_big_number(where: str) -> tuple[bytes, int]:
    """The high example with a number too large for a double (valid FHIR) in an entry
    that nothing reads but its head (an Encounter) or in a candidate (the first
    Condition), and that entry's index."""
    bundle = orjson.loads(example("high"))
    if where == "encounter":
        encounter = {"resourceType": "Encounter", "id": "e1", "status": "finished"}
        bundle["entry"].append({"resource": encounter | {"length": {"value": "BIG"}}})
        index = len(bundle["entry"]) - 1
    else:
        types = [e["resource"]["resourceType"] for e in bundle["entry"]]
        index = types.index("Condition")
        bundle["entry"][index]["resource"]["note"] = [{"text": "n", "x": "BIG"}]
    return orjson.dumps(bundle).replace(b'"BIG"', b"1e400"), index


def _risk(answer: Any) -> dict[str, Any]:
    entries = answer.json()["entry"]
    return next(e["resource"] for e in entries if e["resource"]["resourceType"] == "RiskAssessment")


def test_a_number_too_large_for_a_double_that_nothing_reads_is_skipped(
    client: TestClient,
) -> None:
    body, _ = _with_big_number("encounter")
    skipped, plain = assess(client, body), assess(client, example("high"))

    assert skipped.status_code == 200
    assert statuses(_risk(skipped)) == statuses(_risk(plain))
    assert _risk(skipped)["prediction"] == _risk(plain)["prediction"]


def test_a_number_too_large_for_a_double_in_a_candidate_gets_400_naming_it(
    client: TestClient,
) -> None:
    body, index = _with_big_number("condition")
    response = assess(client, body)

    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert issue["code"] == "not-supported"
    assert "too large for this service to read" in issue["diagnostics"]
    assert issue["expression"] == [f"Bundle.entry[{index}].resource"]


def test_two_patients_get_422_pointing_at_the_second_subject(client: TestClient) -> None:
    bundle = orjson.loads(example("high"))
    other = copy.deepcopy(bundle["entry"][3])
    other["fullUrl"] = "urn:uuid:00000000-0000-4000-8000-000000000099"
    other["resource"]["id"] = "myoclonus-2"
    other["resource"]["subject"] = {"reference": "Patient/someone-else"}
    bundle["entry"].append(other)
    response = assess(client, orjson.dumps(bundle))

    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["Bundle.entry[6].resource.subject"]
    assert "someone-else" not in response.text


def test_a_body_over_the_limit_gets_413(terminology: Any) -> None:
    from service.app import create_app
    from service.settings import Settings

    app = create_app(Settings(max_body_bytes=1024), terminology)
    with TestClient(app, raise_server_exceptions=False) as small:
        response = small.post("/fhir/$oms-assess", content=example("high"), headers=FHIR_JSON)

    assert response.status_code == 413
    assert response.json()["issue"][0]["code"] == "too-costly"


def test_metadata_names_the_operation(client: TestClient) -> None:
    response = client.get("/fhir/metadata")

    assert response.status_code == 200
    statement = response.json()
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["rest"][0]["operation"] == [
        {
            "name": "oms-assess",
            "definition": "http://oms-cds.org/fhir/OperationDefinition/oms-assess",
        }
    ]


def test_healthz_answers(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/fhir/nothing-here", 404, id="unknown-route"),
        pytest.param("GET", "/fhir/$oms-assess", 405, id="get-on-post-route"),
    ],
)
def test_routing_errors_are_operation_outcomes(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)

    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"


def test_more_entries_than_oms_max_entries_get_413(terminology: Any) -> None:
    from service.app import create_app
    from service.settings import Settings

    app = create_app(Settings(max_entries=5), terminology)
    with TestClient(app, raise_server_exceptions=False) as small:
        response = small.post("/fhir/$oms-assess", content=example("high"), headers=FHIR_JSON)

    assert response.status_code == 413
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry"]


def test_json_nested_too_deep_gets_413(client: TestClient) -> None:
    response = assess(client, b"[" * 2000 + b"]" * 2000)

    assert response.status_code == 413
    assert response.json()["issue"][0]["code"] == "too-costly"


def test_every_validation_fault_of_the_request_is_reported(client: TestClient) -> None:
    """Not only the first: each fault in the Patient and the candidates, each with its
    element (HAPI and fhirstarter report them all too)."""
    document = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p", "birthDate": "yesterday"}},
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": "c",
                    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "432328008"}]},
                    "subject": {"reference": "Patient/p"},
                    "onsetDateTime": "last spring",
                    "severity": "bad",
                }
            },
        ],
    }
    response = client.post(
        "/fhir/$oms-assess",
        content=orjson.dumps(document),
        headers={"Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 422
    issues = response.json()["issue"]
    assert [i["expression"] for i in issues] == [
        ["Bundle.entry[0].resource.birthDate"],
        ["Bundle.entry[1].resource.onsetDateTime"],
        ["Bundle.entry[1].resource.severity"],
    ]
    assert all(i["severity"] == "error" and "last spring" not in i["diagnostics"] for i in issues)


def test_capability_statement_date_and_version_are_read_not_written(client: TestClient) -> None:
    from importlib.metadata import version

    from service.settings import DEFAULT_PROFILES_DIR

    definition = orjson.loads(
        (DEFAULT_PROFILES_DIR / "OperationDefinition-oms-assess.json").read_bytes()
    )
    statement = client.get("/fhir/metadata").json()
    assert statement["date"] == definition["date"]
    assert statement["software"]["version"] == version("oms-cds")
    assert client.get("/openapi.json").json()["info"]["version"] == version("oms-cds")
