"""CDS Hooks over HTTP: discovery, oms-screening, feedback, JWTs, SSRF guard, CORS."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.riskassessment import RiskAssessment

from service.cds.discovery import RECORD_KEYS
from tests.api.cds_calls import (
    ES,
    FEEDBACK,
    ORIGIN,
    RS,
    SERVICE,
    TOKEN,
    MakeClient,
    high_body,
    outcome_of,
    post,
)
from tests.cds.builders import (
    CORPUS,
    empty_values,
    example,
    fixture,
    hook_request,
    prefetch_from,
    risk_example,
    searchset,
)
from tests.cds.conformance import discovery_problems, response_problems
from tests.pg import PostgresServer
from tests.security.keys import AUD, FHIR, ISS, SigningKey, jwks
from tests.storage.helpers import stored_feedback

# --- discovery ---------------------------------------------------------------------------


def test_discovery_describes_oms_screening(make_client: MakeClient) -> None:
    response = make_client().get("/cds-services")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert discovery_problems(document) == []
    [service] = document["services"]
    assert (service["id"], service["hook"]) == ("oms-screening", "patient-view")
    assert set(service["prefetch"]) == {
        "patient",
        "conditions",
        "observations",
        "observationsByValue",
        *RECORD_KEYS,
    }
    assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
    assert all(len(template) < 2048 for template in service["prefetch"].values())


def test_discovery_is_open_even_without_a_clients_file(make_client: MakeClient) -> None:
    assert make_client(trusted=False).get("/cds-services").status_code == 200


# --- authentication ----------------------------------------------------------------------


@pytest.mark.parametrize("key", [pytest.param(ES, id="ES384"), pytest.param(RS, id="RS384")])
def test_a_signed_call_is_answered(make_client: MakeClient, key: SigningKey) -> None:
    assert post(make_client(), high_body(), key=key).status_code == 200


def _hs256() -> str:
    import jwt

    claims = {"iss": ISS, "aud": AUD, "iat": 1, "exp": 2**31, "jti": "hs"}
    return jwt.encode(claims, "0123456789abcdef0123456789abcdef", algorithm="HS256")


UNAUTHORIZED = [
    pytest.param(None, id="no-token"),
    pytest.param("e30.e30.", id="alg-none-empty"),
    pytest.param(_hs256(), id="HS256"),
    pytest.param(ES.token(iat_offset=-4000), id="expired"),
    pytest.param(ES.token(iat_offset=900), id="future-iat"),
    pytest.param(ES.token(aud="http://testserver/cds-services"), id="wrong-aud"),
    pytest.param(ES.token(iss="https://untrusted.example"), id="untrusted-iss"),
    pytest.param(ES.token(header={"kid": "nope"}), id="unknown-kid"),
]


@pytest.mark.parametrize("token", UNAUTHORIZED)
def test_a_bad_token_gets_a_bare_401(make_client: MakeClient, token: str | None) -> None:
    response = post(make_client(), high_body(), key=None, token=token)
    assert response.status_code == 401
    assert response.content == b""
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_replayed_jti_gets_401(make_client: MakeClient, database_url: str) -> None:
    client = make_client(database_url=database_url)
    token = ES.token(aud=AUD)
    assert post(client, high_body(), token=token).status_code == 200
    assert post(client, high_body(), token=token).status_code == 401


def test_a_token_used_before_a_restart_is_still_refused_after_it(
    make_client: MakeClient, database_url: str
) -> None:
    token = ES.token(aud=AUD)
    first = make_client(database_url=database_url)
    assert post(first, high_body(), token=token).status_code == 200
    first.__exit__(None, None, None)
    second = make_client(database_url=database_url)
    assert post(second, high_body(), token=token).status_code == 401


def test_the_401_comes_before_looking_at_the_body(make_client: MakeClient) -> None:
    response = post(make_client(), b"not json", key=None)
    assert response.status_code == 401


def test_without_a_clients_file_every_call_gets_401(make_client: MakeClient) -> None:
    client = make_client(trusted=False)
    assert post(client, high_body()).status_code == 401
    feedback = fixture("spec-2.0-feedback-accepted.json")
    assert post(client, feedback, path=FEEDBACK).status_code == 401


def test_insecure_dev_mode_answers_without_a_token_and_says_so(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="oms_cds.cds"):
        client = make_client(trusted=False, cds_insecure_dev=True)
    assert "INSECURE" in caplog.text
    assert post(client, high_body(), key=None).status_code == 200


def test_aud_must_be_under_the_public_base_url_when_one_is_set(make_client: MakeClient) -> None:
    client = make_client(public_base_url="https://cds.example.org/")
    public = ES.token(aud="https://cds.example.org/cds-services/oms-screening")
    as_requested = ES.token(aud=AUD)
    assert post(client, high_body(), token=public).status_code == 200
    assert post(client, high_body(), token=as_requested).status_code == 401


def test_feedback_needs_a_token_for_the_feedback_url(make_client: MakeClient) -> None:
    client = make_client()
    body = fixture("spec-2.0-feedback-accepted.json")
    service_token = ES.token(aud=AUD)
    assert post(client, body, path=FEEDBACK, token=service_token).status_code == 401
    assert post(client, body, path=FEEDBACK).status_code == 200


# --- cards -------------------------------------------------------------------------------


def suggestion_resources(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    [suggestion] = card["suggestions"]
    assert all(action["type"] == "create" for action in suggestion["actions"])
    return {a["resource"]["resourceType"]: a["resource"] for a in suggestion["actions"]}


def test_high_risk_gives_one_warning_card_with_both_resources(make_client: MakeClient) -> None:
    response = post(make_client(), high_body())

    assert response.status_code == 200
    document = response.json()
    assert response_problems(document) == []
    [card] = document["cards"]
    assert card["summary"] == "Meets OMS diagnostic criteria (4 of 4)"
    assert card["indicator"] == "warning"
    assert card["source"]["label"] == "oms-cds"
    assert card["selectionBehavior"] == "at-most-one"
    for criterion in ("Neuroblastoma", "Opsoclonus", "Myoclonus and/or ataxia"):
        assert f"| {criterion} | met |" in card["detail"]
    assert "Condition/nb\\-1" not in card["detail"]
    assert "Condition/nb-1" in card["detail"]
    resources = suggestion_resources(card)
    RiskAssessment.model_validate(resources["RiskAssessment"])
    CarePlan.model_validate(resources["CarePlan"])
    assert resources["CarePlan"]["supportingInfo"] == [
        {"reference": f"RiskAssessment/{resources['RiskAssessment']['id']}"}
    ]
    assert len(resources["CarePlan"]["activity"]) == 15
    uuids = [card["uuid"], card["suggestions"][0]["uuid"]]
    assert all(str(uuid.UUID(u)) == u for u in uuids)
    assert len(set(uuids)) == 2


def test_the_card_carries_what_oms_assess_builds(make_client: MakeClient) -> None:
    client = make_client()
    [card] = post(client, high_body()).json()["cards"]
    posted = client.post(
        "/fhir/$oms-assess",
        content=json.dumps(example("high")),
        headers={"Content-Type": "application/fhir+json"},
    ).json()
    direct = posted["entry"][0]["resource"]
    suggested = suggestion_resources(card)["RiskAssessment"]
    for element in ("extension", "prediction", "basis", "status", "subject", "method"):
        assert suggested[element] == direct[element], element


def test_moderate_risk_names_the_missing_work_up(make_client: MakeClient) -> None:
    patient_id, prefetch = risk_example("moderate")
    response = post(make_client(), hook_request(prefetch, patient_id=patient_id))

    assert response.status_code == 200
    assert response_problems(response.json()) == []
    [card] = response.json()["cards"]
    assert card["indicator"] == "info"
    assert card["summary"].startswith("OMS cannot be ruled out (2 of 4 criteria met)")
    assert "**Missing work-up**" in card["detail"]
    plan = suggestion_resources(card)["CarePlan"]
    assert plan["instantiatesCanonical"] == [
        "http://oms-cds.org/fhir/PlanDefinition/oms-diagnostic-workup"
    ]
    for activity in plan["activity"]:
        title = activity["detail"]["code"]["coding"][0]["display"]
        assert f"- **{title}**" in card["detail"]


def test_low_risk_gives_no_cards(make_client: MakeClient) -> None:
    patient_id, prefetch = risk_example("high")
    prefetch.update(conditions=None, observations=None, observationsByValue=None)
    response = post(make_client(), hook_request(prefetch, patient_id=patient_id))
    assert response.status_code == 200
    assert response.content == b'{"cards":[]}'


# --- request validation ------------------------------------------------------------------


def without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    parent = body
    for part in path[:-1]:
        parent = parent[part]
    del parent[path[-1]]
    return body


@pytest.mark.parametrize(
    ("body", "expression"),
    [
        pytest.param(b"{not json", [], id="not-json"),
        pytest.param([1, 2], [], id="array"),
        pytest.param(without(high_body(), "hook"), ["hook"], id="no-hook"),
        pytest.param({**high_body(), "hook": "order-sign"}, ["hook"], id="other-hook"),
        pytest.param(without(high_body(), "hookInstance"), ["hookInstance"], id="no-hookInstance"),
        pytest.param(without(high_body(), "context"), ["context"], id="no-context"),
        pytest.param(
            without(high_body(), "context", "patientId"),
            ["context.patientId"],
            id="no-patientId",
        ),
        pytest.param(
            {**high_body(), "context": {"patientId": "../../admin"}},
            ["context.patientId"],
            id="patientId-path-traversal",
        ),
        pytest.param(
            {**high_body(), "fhirAuthorization": {"access_token": "t", "token_type": "Bearer"}},
            ["fhirServer"],
            id="token-without-fhirServer",
        ),
        pytest.param({**high_body(), "fhirServer": "file:///etc"}, ["fhirServer"], id="file-url"),
        pytest.param({**high_body(), "prefetch": [1]}, ["prefetch"], id="prefetch-array"),
    ],
)
def test_a_malformed_request_is_a_400(
    make_client: MakeClient, body: Any, expression: list[str]
) -> None:
    response = post(make_client(), body)
    assert response.status_code == 400
    assert outcome_of(response)[2] == expression


def test_a_non_json_media_type_is_a_415(make_client: MakeClient) -> None:
    response = post(make_client(), high_body(), headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_unknown_context_keys_and_extensions_are_ignored(make_client: MakeClient) -> None:
    body = high_body()
    body["context"]["com.example.newField"] = "x"
    body["extension"] = {"com.example.timestamp": "2017-11-27T22:13:25Z"}
    body["prefetch"]["user"] = "123"
    assert post(make_client(), body).status_code == 200


def test_patient_id_written_as_a_reference_is_accepted(make_client: MakeClient) -> None:
    body = high_body()
    body["context"]["patientId"] = "Patient/oms-high-1"
    assert len(post(make_client(), body).json()["cards"]) == 1


def test_data_about_another_patient_are_refused(make_client: MakeClient) -> None:
    body = high_body()
    body["context"]["patientId"] = "someone-else"
    response = post(make_client(), body)
    assert outcome_of(response) == (422, "invalid", ["context.patientId"])


def test_an_invalid_prefetched_resource_is_named_where_the_client_sent_it(
    make_client: MakeClient,
) -> None:
    body = high_body()
    body["prefetch"]["conditions"]["entry"][1]["resource"]["onsetDateTime"] = "not a date"
    response = post(make_client(), body)
    status, _, expression = outcome_of(response)
    assert status == 422
    assert expression == ["prefetch.conditions.entry[1].resource.onsetDateTime"]


@pytest.mark.parametrize(
    ("value", "status"),
    [
        pytest.param(42, 412, id="number"),
        pytest.param([None], 412, id="list"),
        pytest.param({"resourceType": "Bundle", "entry": "x"}, 412, id="entry-not-list"),
        pytest.param({"resourceType": "Bundle", "entry": [7]}, 412, id="entry-not-object"),
        pytest.param({"resourceType": "Bundle", "link": "x"}, 200, id="link-not-list-ignored"),
        pytest.param({"resourceType": "Bundle", "entry": [{"x": 1}]}, 200, id="entry-no-resource"),
    ],
)
def test_odd_prefetch_values_never_cause_a_500(
    make_client: MakeClient, value: Any, status: int
) -> None:
    """Unusable values are fetched again: without a fhirServer that is a 412."""
    body = high_body()
    body["prefetch"]["observations"] = value
    response = post(make_client(), body)
    assert response.status_code == status
    if status == 412:
        assert outcome_of(response)[1] == "required"


# --- the spec's examples and the corpus --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"),
    [
        pytest.param("spec-2.0-patient-view-request.json", 412, id="2.0-patient-view"),
        pytest.param("spec-1.0-patient-view-request.json", 412, id="1.0-patient-view"),
        pytest.param("spec-2.0-extension-request-no-patient.json", 400, id="no-patientId"),
        pytest.param("spec-3.0-order-sign-paged-request.json", 400, id="order-sign"),
    ],
)
@respx.mock
def test_spec_requests(make_client: MakeClient, name: str, status: int) -> None:
    response = post(make_client(), fixture(name))
    assert response.status_code == status
    assert not respx.calls


def serve(router: respx.MockRouter, body: dict[str, Any]) -> None:
    """A FHIR server at the request's fhirServer holding the request's own prefetch data."""
    base = body["fhirServer"].rstrip("/")
    values = [_unwrap(v) for v in (body.get("prefetch") or {}).values()]
    patient_id = body["context"]["patientId"].removeprefix("Patient/")
    patient = next(
        (v for v in values if isinstance(v, dict) and v.get("resourceType") == "Patient"),
        {"resourceType": "Patient"},
    )
    router.get(f"{base}/Patient/{patient_id}").mock(
        return_value=httpx.Response(200, json={**patient, "id": patient_id})
    )
    for resource_type in ("Condition", "Observation"):
        found = [
            e["resource"]
            for v in values
            if isinstance(v, dict) and v.get("resourceType") == "Bundle"
            for e in v.get("entry", [])
            if e.get("resource", {}).get("resourceType") == resource_type
        ]
        router.get(url__startswith=f"{base}/{resource_type}?").mock(
            return_value=httpx.Response(200, json=searchset(found))
        )


def _unwrap(value: Any) -> Any:
    return value.get("resource") if isinstance(value, dict) and "response" in value else value


CORPUS_REQUESTS = sorted(CORPUS.glob("*/*.json"))


def test_the_cds_hooks_corpus_is_there() -> None:
    """The corpus tests below must not pass by having nothing to run."""
    assert len(CORPUS_REQUESTS) == 16


@pytest.mark.parametrize("path", CORPUS_REQUESTS, ids=lambda p: f"{p.parent.name}/{p.stem}")
@respx.mock
def test_corpus_requests_from_an_unregistered_server_are_412_without_a_call(
    make_client: MakeClient, path: Path
) -> None:
    body = json.loads(path.read_text())
    response = post(make_client(), body)
    if body["hook"] != "patient-view":
        assert response.status_code == 400
    else:
        assert outcome_of(response)[:2] == (412, "forbidden")
    assert not respx.calls


@pytest.mark.parametrize("path", CORPUS_REQUESTS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_corpus_requests_read_from_their_registered_server(
    make_client: MakeClient, path: Path
) -> None:
    body = json.loads(path.read_text())
    client = make_client([{"iss": ISS, "jwks": jwks(ES), "fhir_servers": [body["fhirServer"]]}])
    with respx.mock(assert_all_called=False) as router:
        serve(router, body)
        response = post(client, body)
        if body["hook"] != "patient-view":
            assert response.status_code == 400
            return
        subjects = set(re.findall(r'"subject": \{"reference": "([^"]*)"', json.dumps(body)))
        patient_id = body["context"]["patientId"].removeprefix("Patient/")
        if subjects - {f"Patient/{patient_id}"}:
            # AHRQ's Synthea-derived records keep their bundle's urn:uuid subjects, and its
            # fixtures' records are about Patient/1, not context.patientId: neither can be
            # tied to the patient.
            assert outcome_of(response)[:2] == (422, "processing"), response.text
            assert response.json()["issue"][0]["expression"][0].endswith(".subject")
            return
        assert response.status_code == 200, response.text
        assert response.json() == {"cards": []}
        token = (body.get("fhirAuthorization") or {}).get("access_token")
        for call in router.calls:
            sent = call.request.headers.get("authorization")
            assert sent == (f"Bearer {token}" if token else None)


def test_a_corpus_patient_with_oms_findings_gets_a_card(make_client: MakeClient) -> None:
    body = json.loads((CORPUS / "ahrq-cds-connect" / "Adrian111_Wunsch504.json").read_text())
    patient_id = body["context"]["patientId"]
    _, high = risk_example("high")
    conditions = body["prefetch"]["Condition"]["entry"] + high["conditions"]["entry"]
    for entry in conditions + high["observations"]["entry"]:
        entry["resource"]["subject"] = {"reference": f"Patient/{patient_id}"}
    prefetch = {
        "patient": {**body["prefetch"]["Patient"], "id": patient_id},
        "conditions": {**body["prefetch"]["Condition"], "entry": conditions},
        "observations": high["observations"],
        "observationsByValue": None,
        **dict.fromkeys(RECORD_KEYS),  # no treatment recorded
    }
    response = post(make_client(), {**body, "prefetch": prefetch})
    assert response.status_code == 200
    assert [c["summary"] for c in response.json()["cards"]] == [
        "Meets OMS diagnostic criteria (4 of 4)"
    ]


# --- SSRF --------------------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def connections(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def test_an_unregistered_fhir_server_is_never_contacted(
    make_client: MakeClient, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    body = hook_request(patient_id="p1", fhir_server=f"http://127.0.0.1:{port}/fhir", token=TOKEN)
    response = post(make_client(), body)
    assert outcome_of(response) == (412, "forbidden", ["fhirServer"])
    assert connections(listener) == 0


def test_a_registered_fhir_server_is_contacted(
    make_client: MakeClient, listener: socket.socket
) -> None:
    """The control for the test above: the same listener does see permitted calls."""
    port = listener.getsockname()[1]
    base = f"http://127.0.0.1:{port}/fhir"
    listener.settimeout(0.05)
    seen: list[bytes] = []
    done = threading.Event()

    def answer_all() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                seen.append(conn.recv(65536))
                conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=answer_all, daemon=True)
    thread.start()
    client = make_client([{"iss": ISS, "jwks": jwks(ES), "fhir_servers": [base]}])
    response = post(client, hook_request(patient_id="p1", fhir_server=base, token=TOKEN))
    done.set()
    thread.join(timeout=10)
    assert outcome_of(response)[:2] == (412, "transient")
    paths = sorted(request.split(b"\r\n")[0].decode().split(" ")[1] for request in seen)
    assert [path.split("&")[0] for path in paths] == [
        "/fhir/Condition?patient=p1",
        "/fhir/Observation?patient=p1",
        "/fhir/Observation?patient=p1",
        "/fhir/Patient/p1",
    ]
    searched = sorted(path.split("&")[1].split("=")[0] for path in paths if "&" in path)
    assert searched == ["code", "code", "value-concept"]
    for request in seen:
        assert f"authorization: Bearer {TOKEN}".lower().encode() in request.lower()


# --- CORS --------------------------------------------------------------------------------


def test_cors_preflight_from_an_allowed_origin(make_client: MakeClient) -> None:
    response = make_client().options(
        SERVICE,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed


def test_cors_refuses_other_origins_and_stays_off_the_fhir_routes(
    make_client: MakeClient,
) -> None:
    client = make_client()
    preflight = client.options(
        SERVICE,
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    fhir = client.get("/fhir/metadata", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in fhir.headers


def test_a_401_still_carries_cors_headers(make_client: MakeClient) -> None:
    response = post(make_client(), high_body(), key=None, headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == ORIGIN


# --- feedback ----------------------------------------------------------------------------

SPEC_FEEDBACK = [
    "spec-2.0-feedback-accepted.json",
    "spec-2.0-feedback-overridden.json",
    "spec-2.0-feedback-override-reason.json",
]


def test_feedback_survives_a_restart(make_client: MakeClient, database_url: str) -> None:
    first = make_client(database_url=database_url)
    for name in SPEC_FEEDBACK:
        response = post(first, fixture(name), path=FEEDBACK)
        assert response.status_code == 200
        assert response.content == b""
    first.__exit__(None, None, None)

    second = make_client(database_url=database_url)
    assert post(second, fixture(SPEC_FEEDBACK[0]), path=FEEDBACK).status_code == 200
    rows = stored_feedback(database_url)
    assert [(r["card"], r["outcome"]) for r in rows] == [
        ("4e0a3a1e-3283-4575-ab82-028d55fe2719", "accepted"),
        ("f6b95768-b1c8-40dc-8385-bf3504b82ffb", "overridden"),
        ("9368d37b-283f-44a0-93ea-547cebab93ed", "overridden"),
    ]
    assert rows[0]["accepted_suggestions"] == ["e56e1945-20b3-4393-8503-a1a20fd73152"]
    assert rows[0]["client_iss"] == ISS
    assert rows[2]["reason_code"] == "d7ecf885"
    assert rows[2]["user_comment"] == "A comment entered by the clinician."
    assert rows[0]["outcome_timestamp_utc"] == "2021-12-11T10:05:31Z"


def test_feedback_for_a_card_we_sent_round_trips(
    make_client: MakeClient, database_url: str
) -> None:
    client = make_client(database_url=database_url)
    [card] = post(client, high_body()).json()["cards"]
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {"reason": card["overrideReasons"][0]},
                "outcomeTimestamp": "2026-11-25T10:00:00Z",
            }
        ]
    }
    assert post(client, feedback, path=FEEDBACK).status_code == 200
    [row] = stored_feedback(database_url)
    assert (row["card"], row["reason_code"]) == (card["uuid"], "already-managed")


def test_malformed_feedback_is_a_400_and_stores_nothing(
    make_client: MakeClient, database_url: str
) -> None:
    body = {
        "feedback": [
            {"card": "c", "outcome": "accepted", "outcomeTimestamp": "2020-01-01T00:00:00Z"}
        ]
    }
    response = post(make_client(database_url=database_url), body, path=FEEDBACK)
    assert outcome_of(response) == (400, "required", ["feedback[0].acceptedSuggestions"])
    assert stored_feedback(database_url) == []


def test_no_response_holds_an_empty_value(make_client: MakeClient) -> None:
    client = make_client()
    patient_id, prefetch = risk_example("moderate")
    for document in (
        client.get("/cds-services").json(),
        post(client, high_body()).json(),
        post(client, hook_request(prefetch, patient_id=patient_id)).json(),
    ):
        assert empty_values(document) == []


@respx.mock
def test_neither_token_reaches_the_logs(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    respx.get(url__startswith=FHIR).mock(return_value=httpx.Response(500))
    client = make_client()
    jwt_token = ES.token(aud=AUD)
    body = hook_request(patient_id="p1", fhir_server=FHIR, token=TOKEN)
    with caplog.at_level("DEBUG"):
        assert post(client, body, token=jwt_token).status_code == 412
        assert post(client, body, token=jwt_token).status_code == 401
    assert TOKEN not in caplog.text
    assert jwt_token not in caplog.text
    assert jwt_token.split(".")[1] not in caplog.text


def test_an_unknown_service_id_is_a_404(make_client: MakeClient) -> None:
    response = post(make_client(), high_body(), path="/cds-services/other-service")
    assert response.status_code == 404


def test_feedback_that_cannot_be_stored_is_a_503_not_a_200(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client = make_client(cds_feedback_db=tmp_path)  # a folder: SQLite cannot open it
    response = post(client, fixture("spec-2.0-feedback-accepted.json"), path=FEEDBACK)
    assert outcome_of(response)[:2] == (503, "transient")


def test_without_the_database_hook_calls_are_503_and_not_ready(
    make_client: MakeClient, postgres: PostgresServer
) -> None:
    """A token whose replay cannot be checked is refused, and the token is not burnt."""
    url = postgres.new_database()
    name = url.rsplit("/", 1)[1]
    client = make_client(database_url=url, database_timeout=0.5)
    assert client.get("/readyz").status_code == 200
    token = ES.token(aud=AUD)
    postgres.cut_off(name)
    try:
        for _ in range(2):
            response = post(client, high_body(), token=token)
            assert outcome_of(response)[:2] == (503, "transient")
            assert "postgres" not in response.text and "127.0.0.1" not in response.text
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "database" in ready.text
        assert post(client, fixture(SPEC_FEEDBACK[0]), path=FEEDBACK).status_code == 503
    finally:
        postgres.restore(name)
    # The pool reconnects by itself, with back-off: give it a bounded while on a busy machine.
    deadline = time.monotonic() + 20
    while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert client.get("/readyz").status_code == 200
    assert post(client, high_body(), token=token).status_code == 200
    assert post(client, high_body(), token=token).status_code == 401


@respx.mock
def test_a_sandbox_style_client_with_a_jwks_url(make_client: MakeClient) -> None:
    """The public sandbox signs ES384 and publishes its keys at a URL."""
    sandbox_iss = "https://sandbox.cds-hooks.org"
    jwks_url = f"{sandbox_iss}/.well-known/jwks.json"
    keys = respx.get(jwks_url).mock(return_value=httpx.Response(200, json=jwks(ES)))
    client = make_client([{"iss": sandbox_iss, "jwks_url": jwks_url, "fhir_servers": [FHIR]}])
    token = ES.token(iss=sandbox_iss, aud=AUD, header={"jku": jwks_url})
    response = post(client, high_body(), token=token)
    assert response.status_code == 200
    assert keys.call_count == 1


@pytest.mark.parametrize(
    ("name", "summary"),
    [
        ("oms-high-request.json", "Meets OMS diagnostic criteria (4 of 4)"),
        (
            "oms-moderate-request.json",
            "OMS cannot be ruled out (2 of 4 criteria met): work-up needed",
        ),
    ],
)
def test_the_demo_requests_give_their_cards(
    make_client: MakeClient, name: str, summary: str
) -> None:
    response = post(make_client(), fixture(name))
    assert [card["summary"] for card in response.json()["cards"]] == [summary]


def test_a_byte_order_mark_is_read_like_on_every_route(make_client: MakeClient) -> None:
    """One JSON reader for every route: $oms-assess, the hook and the persist body."""
    body = b"\xef\xbb\xbf" + json.dumps(fixture("oms-high-request.json")).encode()
    response = post(make_client(), body)
    assert response.status_code == 200, response.text
    assert [card["indicator"] for card in response.json()["cards"]] == ["warning"]


@pytest.mark.parametrize("escape", ["/../admin", "/%2e%2e/admin", "/%2E%2E/admin"])
def test_a_fhir_server_path_that_escapes_the_registered_one_is_refused_unread(
    make_client: MakeClient, escape: str
) -> None:
    """The allow-list compares normalised paths: the EHR's token never reaches /admin."""
    body = hook_request(None, patient_id="p1", fhir_server=FHIR + escape, token="ehr-token")
    with respx.mock(assert_all_called=False) as router:
        decoy = router.route(url__regex=r".*/admin.*").mock(return_value=httpx.Response(200))
        response = post(make_client(), body)
    assert outcome_of(response)[:2] == (412, "forbidden")
    assert not decoy.called


def test_a_child_in_relapse_gets_the_same_course_by_prefetch_as_by_bundle(
    make_client: MakeClient,
) -> None:
    """examples/relapse.json as prefetch (every key, the treatment record included): the
    card is a relapse warning and its CarePlan follows the course exactly as `$oms-assess`
    of the same Bundle does (statuses, what was given; the records named by type)."""
    document = example("relapse")
    patient_id, prefetch = prefetch_from(document)
    client = make_client()
    response = post(client, hook_request(prefetch, patient_id=patient_id))
    assert response.status_code == 200, response.text[:300]
    [card] = response.json()["cards"]
    assert (card["indicator"], card["summary"][:28]) == ("warning", "OMS relapse since 2026-11-01")
    [suggested] = [
        a["resource"]
        for s in card["suggestions"]
        for a in s["actions"]
        if a["resource"]["resourceType"] == "CarePlan"
    ]
    assessed = client.post(
        "/fhir/$oms-assess",
        content=json.dumps(document).encode(),
        headers={"Content-Type": "application/fhir+json"},
    )
    [care_plan] = [
        e["resource"]
        for e in assessed.json()["entry"]
        if e["resource"]["resourceType"] == "CarePlan"
    ]

    def course(plan: dict[str, Any]) -> list[tuple[str, str, list[str], Any]]:
        return [
            (
                a["detail"]["code"]["coding"][0]["code"],
                a["detail"]["status"],
                [r["reference"].split("/")[0] for r in a.get("outcomeReference", [])],
                a.get("progress"),
            )
            for a in plan["activity"]
        ]

    assert course(suggested) == course(care_plan)
    assert {status for _, status, _, _ in course(suggested)} >= {
        "in-progress", "completed", "scheduled", "not-started"
    }  # fmt: skip
