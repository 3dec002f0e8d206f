"""The hook's JWT: spent exactly once, when the call answers, without hiding the call's error.

The replay cache is made to refuse writes for real: a trigger in the database (SQLite
or PostgreSQL) aborts every insert into `jwt_replay`, as a full disk or a read-only
database would, while reads (the check before the call) still work.
"""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from service.storage.base import sqlite_path
from tests.api.cds_calls import ES, MakeClient, high_body, outcome_of, post
from tests.cds.builders import hook_request, risk_example
from tests.fhir_stub import StubFhirServer
from tests.security.keys import AUD, ISS, jwks

_SQLITE_TRIGGER = """
CREATE TRIGGER refuse_replay_writes BEFORE INSERT ON jwt_replay
BEGIN SELECT RAISE(ABORT, 'the replay cache refuses writes'); END
"""
_POSTGRES_TRIGGER = """
CREATE FUNCTION refuse_replay_writes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the replay cache refuses writes'; END $$;
CREATE TRIGGER refuse_replay_writes BEFORE INSERT OR UPDATE ON jwt_replay
FOR EACH ROW EXECUTE FUNCTION refuse_replay_writes();
"""


def refuse_replay_writes(database_url: str) -> None:
    """From now on no token can be spent; the migrated tables exist (the app has started)."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(database_url)) as connection:
            connection.execute(_SQLITE_TRIGGER)
    else:
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute(_POSTGRES_TRIGGER.encode())


def other_patient() -> dict[str, Any]:
    body = high_body()
    body["context"]["patientId"] = "someone-else"
    return body


#: Calls that fail, each with the answer it gets when the replay cache works.
FAILED_CALLS = [
    pytest.param({**high_body(), "hook": "order-sign"}, (400, "not-supported", ["hook"]), id="400"),
    pytest.param(hook_request(patient_id="p1"), (412, "required", ["prefetch.patient"]), id="412"),
    pytest.param(other_patient(), (422, "invalid", ["context.patientId"]), id="422"),
]


@pytest.mark.parametrize(("body", "expected"), FAILED_CALLS)
def test_a_failed_call_keeps_its_error_when_its_token_cannot_be_spent(
    make_client: MakeClient,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    body: dict[str, Any],
    expected: tuple[int, str, list[str]],
) -> None:
    client = make_client(database_url=database_url)
    answered = post(client, body)
    assert outcome_of(answered) == expected
    refuse_replay_writes(database_url)
    token = ES.token(aud=AUD)

    with caplog.at_level("ERROR", logger="oms_cds.cds"):
        response = post(client, body, token=token)

    assert outcome_of(response) == expected
    assert response.json() == answered.json()
    [record] = [r for r in caplog.records if r.name == "oms_cds.cds"]
    assert record.getMessage() == "token not spent after a failed call: replay cache unavailable"
    logged = str(vars(record))
    assert token not in logged
    assert "someone-else" not in logged and "refuses writes" not in logged


def test_a_successful_call_whose_token_cannot_be_spent_gets_no_cards(
    make_client: MakeClient, database_url: str
) -> None:
    """Cards answered on an unspent token could be had again with it: 503 instead."""
    client = make_client(database_url=database_url)
    assert post(client, high_body()).status_code == 200
    refuse_replay_writes(database_url)

    response = post(client, high_body())

    assert outcome_of(response)[:2] == (503, "transient")
    assert "cards" not in response.text


@pytest.mark.parametrize(("body", "expected"), FAILED_CALLS)
def test_a_failed_call_spends_its_token(
    make_client: MakeClient, body: dict[str, Any], expected: tuple[int, str, list[str]]
) -> None:
    client = make_client()
    token = ES.token(aud=AUD)

    first = post(client, body, token=token)
    replay = post(client, high_body(), token=token)

    assert outcome_of(first) == expected
    assert (replay.status_code, replay.content) == (401, b"")


def test_a_replay_of_a_spent_token_is_401_before_any_work(make_client: MakeClient) -> None:
    client = make_client()
    token = ES.token(aud=AUD)
    assert post(client, high_body(), token=token).status_code == 200

    replay = post(client, b"not json", token=token)

    assert (replay.status_code, replay.content) == (401, b"")


CALLS = 4


def test_of_concurrent_calls_with_one_token_exactly_one_is_answered(
    make_client: MakeClient, database_url: str
) -> None:
    """Every call has passed the token check before any answers: the EHR's server holds
    each call's Patient read until all of them have asked. Then one call spends the
    token and gets its cards; the others find it spent and get 401."""
    all_asked = threading.Barrier(CALLS, timeout=20)
    patient_id, prefetch = risk_example("high")
    patient = prefetch.pop("patient")
    with StubFhirServer([patient], before_answer=lambda path: all_asked.wait()) as ehr:
        trusted = {"iss": ISS, "jwks": jwks(ES), "fhir_servers": [ehr.base_url]}
        client = make_client([trusted], database_url=database_url)
        body = hook_request(
            prefetch, patient_id=patient_id, fhir_server=ehr.base_url, token="ehr-token"
        )
        token = ES.token(aud=AUD)
        with ThreadPoolExecutor(max_workers=CALLS) as pool:
            answers = list(pool.map(lambda _: post(client, body, token=token), range(CALLS)))

    assert ehr.requests == [f"/fhir/Patient/{patient_id}"] * CALLS
    assert sorted(a.status_code for a in answers) == [200] + [401] * (CALLS - 1)
    [answered] = [a for a in answers if a.status_code == 200]
    assert len(answered.json()["cards"]) == 1
