"""Hook requests reduced to what the screen uses; the access token stays out of repr."""

from __future__ import annotations

import json

from service.cds.request import parse_hook_request
from tests.cds.builders import hook_request


def test_the_access_token_is_kept_but_never_shown() -> None:
    body = hook_request(patient_id="p1", fhir_server="https://ehr.example.org/fhir", token="s3cr3t")
    parsed = parse_hook_request(json.dumps(body).encode())
    assert parsed.access_token == "s3cr3t"
    assert "s3cr3t" not in repr(parsed)
    assert parsed.prefetch is None


def test_a_reference_style_patient_id_is_read_as_the_id() -> None:
    body = hook_request(patient_id="Patient/abc-1")
    assert parse_hook_request(json.dumps(body).encode()).patient_id == "abc-1"
