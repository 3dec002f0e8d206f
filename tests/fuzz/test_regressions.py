"""Bugs the fuzzers found, each pinned by the case that found it."""

from __future__ import annotations

import pytest
import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient

pytestmark = pytest.mark.fuzz

FHIR_JSON = {"Content-Type": "application/fhir+json"}


@pytest.mark.parametrize(
    "parameter",
    [
        pytest.param(b"5", id="number"),
        pytest.param(b'"persist"', id="string"),
        pytest.param(b'{"name": "persist", "valueBoolean": true}', id="object-not-array"),
    ],
)
def test_parameters_with_a_non_array_parameter_gets_422_not_500(
    parameter: bytes, mocked_app: FastAPI, mocked_fhir: respx.MockRouter
) -> None:
    """POST Patient/{id}/$oms-assess with `{"resourceType": "Parameters", "parameter": 5}`
    raised TypeError in `_persist_parameter` (a 500); a string or object was iterated."""
    body = b'{"resourceType": "Parameters", "parameter": ' + parameter + b"}"
    with TestClient(mocked_app, raise_server_exceptions=True) as client:
        response = client.post("/fhir/Patient/p1/$oms-assess", content=body, headers=FHIR_JSON)
    assert response.status_code == 422
    assert response.json() == {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "structure",
                "diagnostics": "Parameters.parameter must be an array",
                "expression": ["Parameters.parameter"],
            }
        ],
    }
