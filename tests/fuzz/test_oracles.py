"""The oracles can fail: each rejects the answer it exists to catch."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from service.terminology import Terminology
from tests.fuzz import strategies
from tests.fuzz.oracles import CRITERION_RESULT, problem, risk_assessment_problem

OUTCOME = orjson.dumps(
    {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid"}]}
)
FHIR = "application/fhir+json"


@pytest.fixture(scope="module")
def high_bundle(fuzz_client: TestClient) -> dict[str, Any]:
    response = fuzz_client.post(
        "/fhir/$oms-assess",
        content=strategies.EXAMPLE_BYTES["high"],
        headers={"Content-Type": FHIR},
    )
    assert response.status_code == 200
    bundle: dict[str, Any] = response.json()
    return bundle


def _risk(bundle: dict[str, Any]) -> dict[str, Any]:
    return next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "RiskAssessment"
    )


def _level_low(bundle: dict[str, Any]) -> None:
    _risk(bundle)["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] = "low"


def _drop_a_criterion(bundle: dict[str, Any]) -> None:
    _risk(bundle)["extension"].pop()


def _repeat_a_criterion(bundle: dict[str, Any]) -> None:
    results = [e for e in _risk(bundle)["extension"] if e["url"] == CRITERION_RESULT]
    results[-1]["extension"][0]["valueCoding"]["code"] = results[0]["extension"][0]["valueCoding"][
        "code"
    ]


def _two_risk_assessments(bundle: dict[str, Any]) -> None:
    bundle["entry"].append(copy.deepcopy(bundle["entry"][0]))


def test_the_shipped_examples_satisfy_the_oracle(
    fuzz_client: TestClient, terminology: Terminology
) -> None:
    for body in strategies.EXAMPLE_BYTES.values():
        response = fuzz_client.post(
            "/fhir/$oms-assess", content=body, headers={"Content-Type": FHIR}
        )
        assert response.status_code == 200
        assert risk_assessment_problem(response.json(), terminology) is None


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(_level_low, id="high-evidence-labelled-low"),
        pytest.param(_drop_a_criterion, id="three-criterion-results"),
        pytest.param(_repeat_a_criterion, id="one-criterion-twice"),
        pytest.param(_two_risk_assessments, id="two-risk-assessments"),
    ],
)
def test_the_risk_oracle_rejects(
    spoil: Any, high_bundle: dict[str, Any], terminology: Terminology
) -> None:
    bundle = copy.deepcopy(high_bundle)
    spoil(bundle)
    assert risk_assessment_problem(bundle, terminology) is not None


@pytest.mark.parametrize(
    ("status", "content_type", "body", "cds"),
    [
        pytest.param(500, FHIR, OUTCOME, False, id="a-500-even-as-operation-outcome"),
        pytest.param(422, "text/plain", b"no", False, id="plain-text-error"),
        pytest.param(400, FHIR, b'{"detail": "x"}', False, id="fastapi-style-error"),
        pytest.param(
            404,
            FHIR,
            b'{"resourceType": "OperationOutcome", "issue": []}',
            False,
            id="outcome-without-issues",
        ),
        pytest.param(401, "application/json", OUTCOME, True, id="cds-401-with-a-body"),
        pytest.param(
            400,
            FHIR,
            b'{"resourceType": "OperationOutcome", "issue": [{"severity": "fatal", '
            b'"code": "exception", "diagnostics": "Internal error; correlation id 1"}]}',
            False,
            id="internal-error-text-on-a-4xx",
        ),
    ],
)
def test_the_error_oracle_rejects(status: int, content_type: str, body: bytes, cds: bool) -> None:
    assert problem(status, content_type, body, cds=cds) is not None


@pytest.mark.parametrize(
    ("status", "body", "cds"),
    [
        pytest.param(502, OUTCOME, False, id="upstream-failed"),
        pytest.param(422, OUTCOME, False, id="unusable-payload"),
        pytest.param(401, b"", True, id="cds-401-empty"),
    ],
)
def test_the_error_oracle_accepts(status: int, body: bytes, cds: bool) -> None:
    assert problem(status, FHIR, body, cds=cds) is None
