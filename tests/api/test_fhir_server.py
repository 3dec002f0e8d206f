"""GET/POST /fhir/Patient/{id}/$oms-assess against a mocked FHIR server (respx).

The real-server behaviour (paging, transactions, idempotency) is in tests/contract/;
here: the answers and the error contract when the server misbehaves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest
import respx
from fastapi.testclient import TestClient

from service.api.deps import fhir_client
from service.app import create_app
from service.clients.fhir import FhirClient, FhirClientLimits
from service.gather import RECORD_SEARCHES
from service.mappers.write_back import KEY_SYSTEM
from service.settings import Settings
from service.terminology import Terminology
from tests.api.conftest import example

BASE = "https://ehr.example/fhir"
PATIENT = "oms-high-1"
Json = dict[str, Any]


def high_resources() -> list[Json]:
    """examples/high.json as a server would hold it: subjects as `Patient/<id>`."""
    bundle = orjson.loads(example("high"))
    text = orjson.dumps([e["resource"] for e in bundle["entry"]]).decode()
    text = text.replace(bundle["entry"][0]["fullUrl"], f"Patient/{PATIENT}")
    resources: list[Json] = orjson.loads(text)
    return resources


def searchset(resources: list[Json]) -> Json:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"fullUrl": f"{BASE}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources
        ],
    }


def serve_patient(router: respx.MockRouter, resources: list[Json]) -> None:
    by_type: dict[str, list[Json]] = {}
    for r in resources:
        by_type.setdefault(r["resourceType"], []).append(r)
    router.get(f"{BASE}/Patient/{PATIENT}").respond(200, json=by_type["Patient"][0])
    for resource_type in ("Condition", "Observation", *(s.resource_type for s in RECORD_SEARCHES)):
        router.get(f"{BASE}/{resource_type}", params={"patient": f"Patient/{PATIENT}"}).respond(
            200, json=searchset(by_type.get(resource_type, []))
        )


def fault_free_limits() -> FhirClientLimits:
    """No waiting between retries, so fault tests stay instant."""
    return FhirClientLimits(backoff_base=0.0, retry_after_cap=0.0)


@pytest.fixture
def router() -> respx.MockRouter:
    return respx.MockRouter(assert_all_called=False)


@pytest.fixture
def server(terminology: Terminology, router: respx.MockRouter) -> Iterator[TestClient]:
    app = create_app(Settings(fhir_base_url=BASE), terminology)

    async def mocked() -> AsyncIterator[FhirClient]:
        async with FhirClient(
            BASE, limits=fault_free_limits(), transport=httpx.MockTransport(router.handler)
        ) as client:
            yield client

    app.dependency_overrides[fhir_client] = mocked
    with TestClient(app) as test_client:
        yield test_client


def outcome(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    issue = body["issue"][0]
    return response.status_code, issue["code"], issue["diagnostics"]


def without_volatile(bundle: Json) -> list[Json]:
    """The resources, minus what differs between any two runs (urns, timestamps)."""
    text = orjson.dumps([e["resource"] for e in bundle["entry"]]).decode()
    for n, entry in enumerate(bundle["entry"]):
        text = text.replace(entry["fullUrl"], f"urn:entry:{n}")
    text = text.replace(bundle["timestamp"], "NOW")
    resources: list[Json] = orjson.loads(text)
    return resources


def test_same_answer_as_the_type_level_operation(
    server: TestClient, router: respx.MockRouter
) -> None:
    serve_patient(router, high_resources())

    instance = server.get(f"/fhir/Patient/{PATIENT}/$oms-assess")
    posted = server.post(
        "/fhir/$oms-assess",
        content=example("high"),
        headers={"Content-Type": "application/fhir+json"},
    )

    assert instance.status_code == 200, instance.text
    assert posted.status_code == 200
    assert without_volatile(instance.json()) == without_volatile(posted.json())
    ra = instance.json()["entry"][0]["resource"]
    assert ra["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "high"


def test_post_without_body_assesses_too(server: TestClient, router: respx.MockRouter) -> None:
    serve_patient(router, high_resources())

    response = server.post(f"/fhir/Patient/{PATIENT}/$oms-assess")

    assert response.status_code == 200
    assert [e["resource"]["resourceType"] for e in response.json()["entry"]] == [
        "RiskAssessment",
        "CarePlan",
        "Provenance",
    ]


def test_unknown_patient_is_404(server: TestClient, router: respx.MockRouter) -> None:
    router.get(f"{BASE}/Patient/nobody").respond(404, json={"resourceType": "OperationOutcome"})

    response = server.get("/fhir/Patient/nobody/$oms-assess")

    assert outcome(response) == (404, "not-found", "No such Patient on the FHIR server")


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        pytest.param(
            httpx.Response(500, text="java.lang.NullPointerException at Patient/oms-high-1"),
            (502, "exception", "The FHIR server failed on Patient (500)"),
            id="server-error-500",
        ),
        pytest.param(
            httpx.ConnectError("refused"),
            (502, "exception", "The FHIR server could not be reached for Patient"),
            id="unreachable",
        ),
        pytest.param(
            httpx.ReadTimeout("slow"),
            (504, "timeout", "The FHIR server did not answer Patient in time"),
            id="timeout",
        ),
        pytest.param(
            httpx.Response(429, headers={"Retry-After": "3600"}),
            (502, "exception", "The FHIR server is unavailable for Patient (429)"),
            id="rate-limited-for-an-hour",
        ),
        pytest.param(
            httpx.Response(200, content=b'{"resourceType": "Pat'),
            (502, "exception", "The FHIR server's answer to Patient is not JSON"),
            id="malformed-json",
        ),
        pytest.param(
            httpx.Response(200, content=b'{"resourceType": "Patient", "x": 1e400}'),
            (
                502,
                "exception",
                "The FHIR server's answer to Patient holds a number too large for this service"
                " to read",
            ),
            id="a-number-too-large-for-a-double",
        ),
    ],
)
def test_server_faults_are_502_or_504_never_500(
    server: TestClient, router: respx.MockRouter, fault: Any, expected: tuple[int, str, str]
) -> None:
    router.get(f"{BASE}/Patient/{PATIENT}").mock(side_effect=[fault] * 3)

    response = server.get(f"/fhir/Patient/{PATIENT}/$oms-assess")

    assert outcome(response) == expected
    assert PATIENT not in response.text


def test_unusable_server_data_is_502_not_422(server: TestClient, router: respx.MockRouter) -> None:
    resources = high_resources()
    observation = next(r for r in resources if r["id"] == "eyes-1")
    del observation["status"]
    serve_patient(router, resources)

    status, code, message = outcome(server.get(f"/fhir/Patient/{PATIENT}/$oms-assess"))

    assert (status, code) == (502, "processing")
    assert message.startswith("The FHIR server's data for this patient cannot be assessed")


def serve_bytes(router: respx.MockRouter, resources: list[Json], big_in: str) -> None:
    """`serve_patient`, with `1e400` (valid FHIR: a decimal has no range, but too large for
    a double) in `referenceRange` of the resource `big_in`, sent as the server's bytes."""
    serve_patient(router, resources)
    with_big = [
        {**r, "referenceRange": [{"low": {"value": "BIG"}}]} if r["id"] == big_in else r
        for r in resources
    ]
    observations = [r for r in with_big if r["resourceType"] == "Observation"]
    page = orjson.dumps(searchset(observations)).replace(b'"BIG"', b"1e400")
    router.get(f"{BASE}/Observation", params={"patient": f"Patient/{PATIENT}"}).respond(
        200, content=page
    )


def test_a_number_too_large_where_nothing_reads_it_is_skipped(
    server: TestClient, router: respx.MockRouter
) -> None:
    """The pages keep each resource as bytes: a weight Observation (not evidence) is never
    parsed whole, so its number changes nothing, as in a posted body."""
    serve_patient(router, high_resources())
    plain = server.get(f"/fhir/Patient/{PATIENT}/$oms-assess")
    serve_bytes(router, high_resources(), big_in="weight-1")

    response = server.get(f"/fhir/Patient/{PATIENT}/$oms-assess")

    assert response.status_code == 200, response.text
    assert without_volatile(response.json()) == without_volatile(plain.json())


def test_a_number_too_large_in_evidence_is_502(
    server: TestClient, router: respx.MockRouter
) -> None:
    serve_bytes(router, high_resources(), big_in="eyes-1")

    response = server.get(f"/fhir/Patient/{PATIENT}/$oms-assess")

    assert outcome(response) == (
        502,
        "not-supported",
        "The FHIR server's data for this patient cannot be assessed: a resource holds a"
        " number too large for this service to read",
    )
    assert PATIENT not in response.text


def test_a_page_whose_entries_are_not_all_objects_is_502(
    server: TestClient, router: respx.MockRouter
) -> None:
    """Dropping part of a patient's record silently could change the answer."""
    resources = high_resources()
    serve_patient(router, resources)
    page = searchset([r for r in resources if r["resourceType"] == "Condition"])
    page["entry"].append("not an entry")
    router.get(f"{BASE}/Condition", params={"patient": f"Patient/{PATIENT}"}).respond(
        200, json=page
    )

    response = server.get(f"/fhir/Patient/{PATIENT}/$oms-assess")

    assert outcome(response) == (
        502,
        "exception",
        "The FHIR server answered a Condition search with malformed entries",
    )


def test_unconfigured_server_is_501_with_a_reason(terminology: Terminology) -> None:
    with TestClient(create_app(Settings(), terminology)) as client:
        response = client.get(f"/fhir/Patient/{PATIENT}/$oms-assess")

    status, code, message = outcome(response)
    assert (status, code) == (501, "not-supported")
    assert "OMS_FHIR_BASE_URL" in message


def test_an_id_that_is_no_fhir_id_is_400(server: TestClient) -> None:
    response = server.get("/fhir/Patient/a%20b/$oms-assess")

    assert outcome(response)[:2] == (400, "invalid")


class FakeStore:
    """Just enough of a server to answer the write-back transaction and the read-back."""

    def __init__(self, router: respx.MockRouter, *, representation: bool = False) -> None:
        self.transactions: list[Json] = []
        self.stored: dict[str, Json] = {}
        self.representation = representation
        router.post(f"{BASE}/").mock(side_effect=self.transaction)
        self.reads = router.get(url__regex=rf"{BASE}/(RiskAssessment|CarePlan|Provenance)/.+").mock(
            side_effect=self.read
        )

    def transaction(self, request: httpx.Request) -> httpx.Response:
        bundle = orjson.loads(request.content)
        self.transactions.append(bundle)
        entries = []
        for n, entry in enumerate(bundle["entry"]):
            resource = dict(entry["resource"], id=f"s{n}")
            self.stored[f"{resource['resourceType']}/s{n}"] = resource
            location = f"{resource['resourceType']}/s{n}/_history/1"
            answer: Json = {"response": {"status": "201 Created", "location": location}}
            if self.representation and request.headers.get("prefer") == "return=representation":
                answer["resource"] = resource
            entries.append(answer)
        return httpx.Response(
            200, json={"resourceType": "Bundle", "type": "transaction-response", "entry": entries}
        )

    def read(self, request: httpx.Request) -> httpx.Response:
        key = request.url.path.removeprefix("/fhir/")
        return httpx.Response(200, json=self.stored[key])


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c, url: c.get(f"{url}?persist=true"), id="get-persist-true"),
        pytest.param(
            lambda c, url: c.post(
                url,
                json={
                    "resourceType": "Parameters",
                    "parameter": [{"name": "persist", "valueBoolean": True}],
                },
                headers={"Content-Type": "application/fhir+json"},
            ),
            id="post-parameters-persist",
        ),
    ],
)
def test_persist_writes_one_conditional_transaction_and_answers_stored_resources(
    server: TestClient, router: respx.MockRouter, call: Any
) -> None:
    serve_patient(router, high_resources())
    store = FakeStore(router)

    response = call(server, f"/fhir/Patient/{PATIENT}/$oms-assess")

    assert response.status_code == 200
    assert [e["fullUrl"] for e in response.json()["entry"]] == [
        f"{BASE}/RiskAssessment/s0",
        f"{BASE}/CarePlan/s1",
        f"{BASE}/Provenance/s2",
    ]
    (transaction,) = store.transactions
    assert transaction["type"] == "transaction"
    keys = set()
    for entry in transaction["entry"]:
        request = entry["request"]
        assert request["method"] == "POST"
        assert request["url"] == entry["resource"]["resourceType"]
        assert request["ifNoneExist"].startswith(f"_tag={KEY_SYSTEM}|")
        keys.add(request["ifNoneExist"].split("|", 1)[1])
        assert {"system": KEY_SYSTEM, "code": next(iter(keys))} in entry["resource"]["meta"]["tag"]
    assert len(keys) == 1


def test_post_persist_false_writes_nothing(server: TestClient, router: respx.MockRouter) -> None:
    serve_patient(router, high_resources())
    store = FakeStore(router)

    response = server.post(
        f"/fhir/Patient/{PATIENT}/$oms-assess",
        json={
            "resourceType": "Parameters",
            "parameter": [{"name": "persist", "valueBoolean": False}],
        },
    )

    assert response.status_code == 200
    assert store.transactions == []


@pytest.mark.parametrize(
    ("body", "expected_status"),
    [
        pytest.param(b"{not json", 400, id="not-json"),
        pytest.param(b'{"resourceType": "Bundle"}', 422, id="not-parameters"),
        pytest.param(
            b'{"resourceType": "Parameters",'
            b' "parameter": [{"name": "persist", "valueString": "y"}]}',
            422,
            id="persist-not-boolean",
        ),
    ],
)
def test_bad_post_bodies_are_refused(server: TestClient, body: bytes, expected_status: int) -> None:
    response = server.post(
        f"/fhir/Patient/{PATIENT}/$oms-assess",
        content=body,
        headers={"Content-Type": "application/fhir+json"},
    )

    assert response.status_code == expected_status
    assert response.json()["resourceType"] == "OperationOutcome"


def test_capability_statement_names_the_patient_operation_when_configured(
    server: TestClient,
) -> None:
    rest = server.get("/fhir/metadata").json()["rest"][0]

    assert rest["resource"] == [
        {
            "type": "Patient",
            "operation": [
                {
                    "name": "oms-assess",
                    "definition": "http://oms-cds.org/fhir/OperationDefinition/oms-assess",
                }
            ],
        }
    ]


def test_capability_statement_has_no_patient_operation_without_a_server(
    terminology: Terminology,
) -> None:
    with TestClient(create_app(Settings(), terminology)) as client:
        rest = client.get("/fhir/metadata").json()["rest"][0]

    assert "resource" not in rest


def test_a_byte_order_mark_before_the_persist_body_is_ignored(
    server: TestClient, router: respx.MockRouter
) -> None:
    serve_patient(router, high_resources())
    store = FakeStore(router)
    body = b"\xef\xbb\xbf" + orjson.dumps(
        {"resourceType": "Parameters", "parameter": [{"name": "persist", "valueBoolean": False}]}
    )
    response = server.post(
        f"/fhir/Patient/{PATIENT}/$oms-assess",
        content=body,
        headers={"Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 200, response.text
    assert store.transactions == []


def test_stored_resources_come_from_the_transaction_answer_when_the_server_sends_them(
    server: TestClient, router: respx.MockRouter
) -> None:
    """`Prefer: return=representation`: a server that honours it saves the read-backs."""
    serve_patient(router, high_resources())
    store = FakeStore(router, representation=True)

    response = server.get(f"/fhir/Patient/{PATIENT}/$oms-assess?persist=true")

    assert response.status_code == 200, response.text
    assert [e["resource"]["id"] for e in response.json()["entry"]] == ["s0", "s1", "s2"]
    assert len(store.transactions) == 1
    assert not store.reads.called
