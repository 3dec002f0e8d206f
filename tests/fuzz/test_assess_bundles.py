"""Generated FHIR-ish payloads through `POST /fhir/$oms-assess`: never a 5xx, always an
OperationOutcome when refused, a consistent RiskAssessment when answered."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from service.terminology import Terminology
from tests.fuzz import strategies
from tests.fuzz.conftest import fuzz_settings, record_case
from tests.fuzz.oracles import outcome_problem, problem, risk_assessment_problem, risk_level

#: A failing case's report must not itself fail on hypothesis' warning about its size.
pytestmark = [pytest.mark.fuzz, pytest.mark.filterwarnings("ignore:Generating overly large repr")]

URL = "/fhir/$oms-assess"
FHIR_JSON = {"Content-Type": "application/fhir+json"}


def check_assess_answer(
    client: TestClient, terminology: Terminology, body: bytes, target: str | None = None
) -> int:
    """Post `body`; assert the contract; return the status."""
    response = client.post(URL, content=body, headers=FHIR_JSON)
    status = response.status_code
    assert 200 <= status < 300 or 400 <= status < 500, status
    assert problem(status, response.headers["content-type"], response.content) is None
    if status == 200:
        assert risk_assessment_problem(response.json(), terminology) is None
    else:
        assert outcome_problem(response.content) is None
    if target is not None:
        record_case(target, f"200 {risk_level(response.json())}" if status == 200 else status)
    return status


@given(data=st.data())
@fuzz_settings(share=4)
def test_generated_bundles_get_an_answer_or_an_operation_outcome(
    data: st.DataObject,
    fuzz_client: TestClient,
    terminology: Terminology,
    after_all_healthy: None,
) -> None:
    document = data.draw(strategies.bundles(terminology), label="payload")
    body = data.draw(strategies.encoded(document), label="bytes")
    check_assess_answer(fuzz_client, terminology, body, "assess: generated bundles")


@given(body=strategies.mutated_examples())
@fuzz_settings(share=2)
def test_mutated_examples_get_an_answer_or_an_operation_outcome(
    body: bytes, fuzz_client: TestClient, terminology: Terminology, after_all_healthy: None
) -> None:
    check_assess_answer(fuzz_client, terminology, body, "assess: mutated example bytes")


@given(body=strategies.deeply_nested())
@fuzz_settings(share=0.25)
def test_deep_nesting_is_refused_not_crashed(
    body: bytes, fuzz_client: TestClient, terminology: Terminology, after_all_healthy: None
) -> None:
    assert check_assess_answer(fuzz_client, terminology, body, "assess: deep nesting") in {
        200,
        400,
        413,
        422,
    }


@given(
    media_type=st.sampled_from(
        ["application/fhir+xml", "text/plain", "", "application/json; charset=latin-1", "*/*"]
    ),
    body=st.sampled_from(sorted(strategies.EXAMPLE_BYTES.values())),
)
@fuzz_settings(share=0.25)
def test_other_media_types_get_415_or_an_answer(
    media_type: str, body: bytes, fuzz_client: TestClient, after_all_healthy: None
) -> None:
    response = fuzz_client.post(URL, content=body, headers={"Content-Type": media_type})
    record_case("assess: media types", response.status_code)
    assert response.status_code in {200, 415}
    assert problem(response.status_code, response.headers["content-type"], response.content) is None


def test_the_examples_still_pass_the_oracle(
    fuzz_client: TestClient, terminology: Terminology
) -> None:
    """The oracle itself accepts the three shipped examples (so it can pass at all)."""
    for body in strategies.EXAMPLE_BYTES.values():
        assert check_assess_answer(fuzz_client, terminology, body) == 200
