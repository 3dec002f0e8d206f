"""Generated calls of `Patient/{id}/$oms-assess` against a FHIR server played by respx
(`mock_fhir_answer`): data, 404, 500, a timeout, not JSON; bodies from plausible
Parameters to junk. Answers: the assessment, or an OperationOutcome with 4xx/502/504."""

from __future__ import annotations

import pytest
import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.terminology import Terminology
from tests.fuzz import strategies
from tests.fuzz.conftest import fuzz_settings, record_case
from tests.fuzz.oracles import outcome_problem, risk_assessment_problem

pytestmark = pytest.mark.fuzz

#: First character of the id -> what the mock FHIR server does (conftest.mock_fhir_answer).
SERVER_BEHAVIOUR = {"p": "data", "0": "404", "1": "500", "2": "timeout", "3": "not JSON"}

parameters = st.one_of(
    st.just(b""),
    st.builds(
        lambda parts: {"resourceType": "Parameters", "parameter": parts},
        st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {"name": st.sampled_from(["persist", "other"])},
                    optional={"valueBoolean": strategies.json_values},
                ),
                max_size=3,
            ),
            strategies.json_values,
        ),
    ).flatmap(strategies.encoded),
    strategies.json_values.flatmap(strategies.encoded),
    strategies.mutated_examples(),
)


@pytest.fixture(scope="module")
def mocked_client(mocked_app: FastAPI):  # type: ignore[no-untyped-def]
    with TestClient(mocked_app, raise_server_exceptions=True) as client:
        yield client
        assert client.get("/healthz").status_code == 200


@given(
    behaviour=st.sampled_from(["p", "p", "p", "0", "1", "2", "3"]),
    rest=st.from_regex(r"[A-Za-z0-9\-]{0,20}", fullmatch=True),
    method=st.sampled_from(["GET", "POST"]),
    persist=st.sampled_from([None, "false", "true", "maybe"]),
    body=parameters,
)
@settings(fuzz_settings(share=1.5), suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_patient_operation_answers_or_says_whose_fault(
    behaviour: str,
    rest: str,
    method: str,
    persist: str | None,
    body: bytes,
    mocked_client: TestClient,
    mocked_fhir: respx.MockRouter,
    terminology: Terminology,
) -> None:
    url = f"/fhir/Patient/{behaviour}{rest}/$oms-assess"
    params = {"persist": persist} if persist is not None else {}
    if method == "GET":
        response = mocked_client.get(url, params=params)
    else:
        headers = {"Content-Type": "application/fhir+json"}
        response = mocked_client.post(url, params=params, content=body, headers=headers)
    status = response.status_code
    record_case(f"patient route: server {SERVER_BEHAVIOUR[behaviour]}", status)
    assert status in {200, 400, 404, 415, 422, 502, 504}, status
    if status == 200:
        assert risk_assessment_problem(response.json(), terminology) is None
    else:
        assert outcome_problem(response.content) is None
