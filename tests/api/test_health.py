"""/healthz and /readyz: readiness follows the terminology and the FHIR server (respx).

The real-server version (a sandbox server stopped mid-suite) is in
tests/contract/test_upstream_faults.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api.health import CHECK_SYSTEM
from service.app import create_app
from service.errors import InvalidSetting
from service.settings import Settings
from service.terminology import Terminology

BASE = "https://ehr.example/fhir"
#: A base URL carrying credentials: they must never reach an answer.
SECRET_BASE = "https://user:secret@ehr.example/fhir"
METADATA = "https://ehr.example/fhir/metadata"
CAPABILITY = {"resourceType": "CapabilityStatement", "status": "active", "fhirVersion": "4.0.1"}
#: Short enough that the slow server below is cut off at once.
PROBE_TIMEOUT = 0.05

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(terminology: Terminology) -> Iterator[MakeClient]:
    opened: list[TestClient] = []

    def make(terms: Terminology | None = None, **settings: Any) -> TestClient:
        settings.setdefault("readyz_fhir_timeout", PROBE_TIMEOUT)
        app = create_app(Settings(**settings), terms or terminology)
        client = TestClient(app, raise_server_exceptions=True)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def failed_checks(response: httpx.Response) -> list[tuple[str, str]]:
    """(check, issue code) of each issue of a 503 OperationOutcome."""
    assert response.status_code == 503
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    checks = []
    for issue in body["issue"]:
        (coding,) = issue["details"]["coding"]
        assert coding["system"] == CHECK_SYSTEM
        assert issue["diagnostics"] == issue["details"]["text"]
        checks.append((coding["code"], issue["code"]))
    return checks


async def too_slow(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(30)  # cancelled by the probe's bound long before
    return httpx.Response(200, json=CAPABILITY)


def test_healthz_answers(make_client: MakeClient) -> None:
    response = make_client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_without_a_fhir_server_and_no_request_is_made(
    make_client: MakeClient, mock: respx.MockRouter
) -> None:
    response = make_client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"terminology": "ok", "fhirServer": "not configured", "database": "ok"},
    }
    assert response.headers["cache-control"] == "no-store"
    assert mock.calls.call_count == 0


def test_ready_when_the_fhir_server_answers_metadata(
    make_client: MakeClient, mock: respx.MockRouter
) -> None:
    route = mock.get(METADATA).respond(200, json=CAPABILITY)

    response = make_client(fhir_base_url=BASE, fhir_token="tok-123").get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"terminology": "ok", "fhirServer": "ok", "database": "ok"}
    assert route.call_count == 1
    assert route.calls.last.request.headers["authorization"] == "Bearer tok-123"


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        pytest.param({"side_effect": httpx.ConnectError("refused")}, "transient", id="server-down"),
        pytest.param({"side_effect": too_slow}, "timeout", id="server-too-slow"),
        pytest.param({"side_effect": httpx.ReadTimeout("slow")}, "timeout", id="read-timeout"),
        pytest.param({"status_code": 500}, "transient", id="server-error-500"),
        pytest.param({"status_code": 503}, "transient", id="server-unavailable-503"),
        pytest.param({"status_code": 401}, "transient", id="token-refused-401"),
        pytest.param(
            {"status_code": 200, "json": {"resourceType": "OperationOutcome"}},
            "invalid",
            id="answers-no-capability-statement",
        ),
        pytest.param({"status_code": 200, "text": "<html>"}, "invalid", id="answers-html"),
    ],
)
def test_not_ready_when_the_fhir_server_fails(
    make_client: MakeClient, mock: respx.MockRouter, behaviour: dict[str, Any], code: str
) -> None:
    if "side_effect" in behaviour:
        mock.get(METADATA).mock(side_effect=behaviour["side_effect"])
    else:
        mock.get(METADATA).mock(return_value=httpx.Response(**behaviour))
    client = make_client(fhir_base_url=SECRET_BASE)

    response = client.get("/readyz")

    assert failed_checks(response) == [("fhir-server", code)]
    assert "ehr.example" not in response.text
    assert "secret" not in response.text
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param("http://[::1/fhir", id="unparseable-url"),
        pytest.param("ftp://ehr.example/fhir", id="not-http"),
        pytest.param("ehr.example/fhir", id="no-scheme"),
    ],
)
def test_a_misconfigured_base_url_never_starts_a_service_that_cannot_serve(
    terminology: Terminology, base_url: str
) -> None:
    """Once a readiness failure; now refused when the app is made (tests/test_settings.py)."""
    with pytest.raises(InvalidSetting) as refused:
        create_app(Settings.model_construct(fhir_base_url=base_url), terminology)
    assert refused.value.message == (
        f"OMS_FHIR_BASE_URL must be an http or https URL with a host (got {base_url})"
    )


def test_the_slow_server_message_names_the_bound(
    make_client: MakeClient, mock: respx.MockRouter
) -> None:
    mock.get(METADATA).mock(side_effect=too_slow)

    response = make_client(fhir_base_url=BASE).get("/readyz")

    assert response.json()["issue"][0]["diagnostics"] == (
        f"FHIR server: no answer to GET metadata within {PROBE_TIMEOUT:g} s"
    )


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param({"criteria": ()}, id="no-criteria"),
        pytest.param({"value_sets": {}}, id="no-value-sets"),
        pytest.param({"plan_definitions": {}}, id="no-plan-definitions"),
    ],
)
def test_not_ready_without_terminology(
    make_client: MakeClient, terminology: Terminology, broken: dict[str, Any]
) -> None:
    response = make_client(dataclasses.replace(terminology, **broken)).get("/readyz")
    assert failed_checks(response) == [("terminology", "exception")]


def test_every_failed_check_is_named(
    make_client: MakeClient, terminology: Terminology, mock: respx.MockRouter
) -> None:
    mock.get(METADATA).respond(500)
    client = make_client(dataclasses.replace(terminology, criteria=()), fhir_base_url=BASE)

    assert failed_checks(client.get("/readyz")) == [
        ("terminology", "exception"),
        ("fhir-server", "transient"),
    ]


def test_answers_are_reused_while_fresh(make_client: MakeClient, mock: respx.MockRouter) -> None:
    route = mock.get(METADATA).respond(500)
    client = make_client(fhir_base_url=BASE, readyz_cache_seconds=3600)

    first = client.get("/readyz")
    route.respond(200, json=CAPABILITY)
    second = client.get("/readyz")

    assert (first.status_code, second.status_code) == (503, 503)
    assert route.call_count == 1


def test_a_recovered_server_is_seen_once_the_answer_is_stale(
    make_client: MakeClient, mock: respx.MockRouter
) -> None:
    route = mock.get(METADATA).respond(500)
    client = make_client(fhir_base_url=BASE, readyz_cache_seconds=0)

    first = client.get("/readyz")
    route.respond(200, json=CAPABILITY)
    second = client.get("/readyz")

    assert (first.status_code, second.status_code) == (503, 200)
    assert route.call_count == 2


def test_concurrent_probes_share_one_request(terminology: Terminology) -> None:
    app = create_app(
        Settings(fhir_base_url=BASE, readyz_cache_seconds=3600, readyz_fhir_timeout=10),
        terminology,
    )

    async def answer_late(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)  # keeps the first probe in flight while the others queue
        return httpx.Response(200, json=CAPABILITY)

    async def probe_five(app: FastAPI) -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://oms") as client:
            answers = await asyncio.gather(*(client.get("/readyz") for _ in range(5)))
        return [a.status_code for a in answers]

    with respx.mock(assert_all_called=False) as mock:
        route = mock.get(METADATA).mock(side_effect=answer_late)
        statuses = asyncio.run(probe_five(app))

    assert statuses == [200] * 5
    assert route.call_count == 1


@pytest.mark.parametrize("path", ["/cds-services/", "/fhir/metadata/", "/healthz/"])
def test_a_trailing_slash_is_the_same_route_not_a_redirect(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 200
    assert "location" not in response.headers


@pytest.mark.parametrize("path", ["/cds-services", "/fhir/metadata", "/healthz"])
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    got, head = client.get(path), client.head(path)
    assert (head.status_code, head.content) == (got.status_code, b"")
    assert head.headers["content-type"] == got.headers["content-type"]
