"""The HL7 validator accepts every conformance resource, every FSH example and every answer the
service gives for examples/, and rejects each deliberately broken OMS instance for its reason.

One JVM run (scripts/validate-fhir) covers all of it; the service's answers are produced through
the ASGI app in this test, so a builder change that breaks a profile fails here.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.terminology import Terminology
from tests.test_clinical_semantics_v2 import accepted_bodies
from tests.test_clinical_semantics_v3 import accepted_bodies as accepted_v3_bodies
from tests.test_course_of_treatment import accepted_bodies as course_bodies

pytestmark = pytest.mark.validator

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "profiles" / "fsh-generated" / "resources"
BROKEN_DIR = Path(__file__).parent / "broken"
CDS_FIXTURES = ROOT / "tests" / "fixtures" / "cds"
FILE_EXT = "http://hl7.org/fhir/StructureDefinition/operationoutcome-file"

# broken instance -> (expression prefix, message substring) of each error it must produce
BROKEN: dict[str, list[tuple[str, str]]] = {
    "riskassessment-three-criteria.json": [
        ("RiskAssessment", "extension:criterionResult' for extension"),
    ],
    "riskassessment-high-with-two-met.json": [("RiskAssessment", "oms-ra-2")],
    "riskassessment-duplicate-criterion.json": [("RiskAssessment", "oms-ra-1")],
    "riskassessment-criterion-status-not-in-valueset.json": [
        ("RiskAssessment.extension[3].extension[1]", "was not found in the value set"),
    ],
    "riskassessment-wrong-outcome.json": [
        ("RiskAssessment.prediction[0].outcome", "1183"),
    ],
    "careplan-intent-plan.json": [("CarePlan.intent", "is fixed to 'proposal'")],
    "careplan-activity-code-outside-valueset.json": [
        ("CarePlan.activity[1].detail.code", "None of the codings provided are in the value set"),
    ],
    "careplan-instantiates-other-plan.json": [("CarePlan", "oms-cp-1")],
}


@pytest.fixture(scope="module")
def outcomes(
    client: TestClient, terminology: Terminology, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Validate everything in one run; map each file name to its OperationOutcome."""
    answers = tmp_path_factory.mktemp("answers")
    for case in ("high", "moderate", "low"):
        body = (ROOT / "examples" / f"{case}.json").read_bytes()
        response = client.post(
            "/fhir/$oms-assess", content=body, headers={"Content-Type": "application/fhir+json"}
        )
        assert response.status_code == 200
        (answers / f"answer-{case}.json").write_bytes(response.content)
    for name, body in accepted_bodies():
        response = client.post(
            "/fhir/$oms-assess", content=body, headers={"Content-Type": "application/fhir+json"}
        )
        assert response.status_code == 200, name
        (answers / f"answer-v2-{name}.json").write_bytes(response.content)
    for name, body in accepted_v3_bodies():
        response = client.post(
            "/fhir/$oms-assess", content=body, headers={"Content-Type": "application/fhir+json"}
        )
        assert response.status_code == 200, name
        (answers / f"answer-v3-{name}.json").write_bytes(response.content)
    for name, body in course_bodies():
        response = client.post(
            "/fhir/$oms-assess", content=body, headers={"Content-Type": "application/fhir+json"}
        )
        assert response.status_code == 200, name
        (answers / f"answer-course-{name}.json").write_bytes(response.content)
    (answers / "metadata.json").write_bytes(client.get("/fhir/metadata").content)
    for number, resource in enumerate(_suggested_resources(terminology)):
        (answers / f"suggested-{number}.json").write_bytes(orjson.dumps(resource))
    report = answers.parent / "validator-report.json"
    completed = subprocess.run(
        [
            str(ROOT / "scripts" / "validate-fhir"),
            "--output",
            str(report),
            str(GENERATED),
            str(answers),
            str(BROKEN_DIR),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert completed.returncode in (0, 1), completed.stderr[-2000:]
    bundle = json.loads(report.read_text())
    found: dict[str, Any] = {}
    for entry in bundle["entry"]:
        outcome = entry["resource"]
        name = next(e["valueString"] for e in outcome["extension"] if e["url"] == FILE_EXT)
        found[Path(name).name] = outcome
    return found


def _suggested_resources(terminology: Terminology) -> list[dict[str, Any]]:
    """The resources the CDS Hooks cards suggest creating, for a high and a moderate patient."""
    app = create_app(Settings(cds_insecure_dev=True), terminology)
    found = []
    with TestClient(app) as dev:
        for case in ("high", "moderate"):
            request = (CDS_FIXTURES / f"oms-{case}-request.json").read_bytes()
            response = dev.post(
                "/cds-services/oms-screening",
                content=request,
                headers={"Content-Type": "application/json"},
            )
            assert response.status_code == 200
            for card in response.json()["cards"]:
                for suggestion in card["suggestions"]:
                    found.extend(action["resource"] for action in suggestion["actions"])
    assert len(found) == 4
    return found


def errors(outcome: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ((issue.get("expression") or [""])[0], issue["details"]["text"])
        for issue in outcome.get("issue", [])
        if issue["severity"] in ("error", "fatal")
    ]


#: Code systems of implementation guides the offline validator has no package for: the one
#: error each may cause is that its definition is not found (US Core is not on PyPI or npm).
EXTERNAL_SYSTEMS = ("http://hl7.org/fhir/us/core/CodeSystem/condition-category",)


def _unresolvable_external(error: tuple[str, str]) -> bool:
    return any(
        f"No definition could be found for URL value '{system}'" in error[1]
        for system in EXTERNAL_SYSTEMS
    )


def test_every_generated_resource_is_valid(outcomes: dict[str, Any]) -> None:
    names = sorted(p.name for p in GENERATED.glob("*.json"))
    assert len(names) >= 30
    found = {
        name: [e for e in errors(outcomes[name]) if not _unresolvable_external(e)] for name in names
    }
    assert found == {name: [] for name in names}
    # Only the ValueSet that needs US Core's category may meet that one error.
    assert [n for n in names if any(map(_unresolvable_external, errors(outcomes[n])))] == [
        "ValueSet-oms-reported-condition-category.json"
    ]


@pytest.mark.parametrize("case", ["high", "moderate", "low"])
def test_the_service_answer_for_each_example_is_valid(outcomes: dict[str, Any], case: str) -> None:
    assert errors(outcomes[f"answer-{case}.json"]) == []


@pytest.mark.parametrize("name", [name for name, _ in accepted_bodies()])
def test_the_answer_for_each_contract_v2_case_is_valid(outcomes: dict[str, Any], name: str) -> None:
    """Including `certain` (a recorded diagnosis), contained and component evidence."""
    assert errors(outcomes[f"answer-v2-{name}.json"]) == []


@pytest.mark.parametrize("name", [name for name, _ in accepted_v3_bodies()])
def test_the_answer_for_each_contract_v3_case_is_valid(outcomes: dict[str, Any], name: str) -> None:
    """Including the adult work-up, a suspicion, an incomplete record, reports and reasons."""
    assert errors(outcomes[f"answer-v3-{name}.json"]) == []


@pytest.mark.parametrize("name", [name for name, _ in course_bodies()])
def test_the_answer_for_each_course_case_is_valid(outcomes: dict[str, Any], name: str) -> None:
    """CarePlans that follow the course: statuses, outcomeReference, progress."""
    assert errors(outcomes[f"answer-course-{name}.json"]) == []


def test_the_capability_statement_is_valid(outcomes: dict[str, Any]) -> None:
    assert errors(outcomes["metadata.json"]) == []


@pytest.mark.parametrize("number", range(4))
def test_the_resources_cds_cards_suggest_are_valid(outcomes: dict[str, Any], number: int) -> None:
    assert errors(outcomes[f"suggested-{number}.json"]) == []


@pytest.mark.parametrize("name", sorted(BROKEN), ids=lambda n: n.removesuffix(".json"))
def test_each_broken_instance_fails_for_its_reason(outcomes: dict[str, Any], name: str) -> None:
    found = errors(outcomes[name])
    for where, message in BROKEN[name]:
        assert any(e.startswith(where) and message in text for e, text in found), found


def test_every_broken_fixture_is_listed() -> None:
    assert sorted(p.name for p in BROKEN_DIR.glob("*.json")) == sorted(BROKEN)
