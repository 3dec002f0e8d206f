"""Calls of the CDS Hooks routes for the API tests: signing keys, bodies, answers.

The `make_client` fixture that builds the app lives in tests/api/conftest.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.cds.builders import hook_request, risk_example
from tests.security.keys import SigningKey, es384, rs384

ES = es384()
RS = rs384()
SERVICE = "/cds-services/oms-screening"
FEEDBACK = f"{SERVICE}/feedback"
ORIGIN = "https://sandbox.cds-hooks.org"
TOKEN = "fhir-access-token-xyz"

MakeClient = Callable[..., TestClient]


def post(
    client: TestClient,
    body: Any,
    *,
    path: str = SERVICE,
    key: SigningKey | None = ES,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token is None and key is not None:
        token = key.token(aud=f"http://testserver{path}")
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, content=content, headers=sent)


def outcome_of(response: httpx.Response) -> tuple[int, str, list[str]]:
    issue = response.json()["issue"][0]
    return response.status_code, issue["code"], issue.get("expression", [])


def high_body() -> dict[str, Any]:
    patient_id, prefetch = risk_example("high")
    return hook_request(prefetch, patient_id=patient_id)
