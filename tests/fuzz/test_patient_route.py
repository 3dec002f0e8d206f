"""Generated calls of `Patient/{id}/$oms-assess` against a FHIR server played by respx
(`mock_fhir_answer`): data, 404, 500, a timeout, not JSON; bodies from plausible
Parameters to junk. Answers: the assessment, or an OperationOutcome with 4xx/502/504."""

from __future__ import annotations

from collections.abc import Iterator

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

#: A failing case's report must not itself fail on hypothesis' warning about its size.
pytestmark = [pytest.mark.fuzz, pytest.mark.filterwarnings("ignore:Generating overly large repr")]

#: First character of the id -> what the mock FHIR server does (conftest.mock_fhir_answer).
SERVER_BEHAVIOUR = {"p": "data", "0": "404", "1": "500", "2": "timeout", "3": "not JSON"}


def _parameters(parts: object) -> dict[str, object]:
    return {"resourceType": "Parameters", "parameter": parts}


persist_parts = st.lists(
    st.fixed_dictionaries(
        {"name": st.sampled_from(["persist", "other"])},
        optional={"valueBoolean": strategies.mostly(st.booleans(), strategies.json_values)},
    ),
    max_size=3,
)
#: Request bodies: none, Parameters whose `parameter` is a list or anything else, any
#: JSON, or a mutated example.
parameters = st.sampled_from(["none", "parameters", "parameters", "json", "bytes"]).flatmap(
    lambda kind: {
        "none": st.just(b""),
        "parameters": strategies.mostly(persist_parts, strategies.wrong_types, odds=1)
        .map(_parameters)
        .flatmap(strategies.encoded),
        "json": strategies.json_values.flatmap(strategies.encoded),
        "bytes": strategies.mutated_examples(),
    }[kind]
)


@pytest.fixture(scope="module")
def mocked_client(mocked_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(mocked_app, raise_server_exceptions=True) as client:
        yield client
        assert client.get("/healthz").status_code == 200


@given(
    behaviour=st.sampled_from(["p", "p", "p", "0", "1", "2", "3"]),
    rest=st.from_regex(r"[A-Za-z0-9\-]{0,20}", fullmatch=True),
    method=st.sampled_from(["POST", "POST", "GET"]),
    persist=st.sampled_from([None, None, None, "false", "true", "maybe"]),
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
