"""Prefetch values and the FHIR-server fallback: absent, null, OperationOutcome, paged, faults."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from service.cds.discovery import prefetch_keys
from service.cds.errors import PreconditionFailed
from service.cds.prefetch import FetchLimits, gather_prefetch
from service.cds.request import parse_hook_request
from service.cds.screen import assess_hook
from service.clients.fhir import FhirClient
from service.gather import RECORD_SEARCHES
from service.intake import Record
from service.security.clients import TrustedClient
from service.terminology import Terminology
from tests.cds.builders import hook_request, risk_example, searchset

FHIR = "https://ehr.example.org/fhir"
RECORD_TYPES = [search.resource_type for search in RECORD_SEARCHES]
CLIENT = TrustedClient(iss="https://ehr.example.org", fhir_servers=(FHIR,))
TOKEN = "fhir-access-token-123"


def run(body: dict[str, Any], terminology: Terminology, *, max_pages: int = 5) -> list[Record]:
    request = parse_hook_request(json.dumps(body).encode())

    async def go() -> list[Record]:
        keys = prefetch_keys(terminology)
        return await gather_prefetch(request, keys, CLIENT, FetchLimits(1.0, max_pages))

    return asyncio.run(go())


def ids(found: list[Record]) -> list[str]:
    return [f"{f.resource_type}/{f.ident}" for f in found]


@respx.mock
def test_complete_prefetch_needs_no_fhir_server(terminology: Terminology) -> None:
    patient_id, prefetch = risk_example("high")
    found = run(hook_request(prefetch, patient_id=patient_id), terminology)
    assert ids(found) == [
        "Patient/oms-high-1",
        "Condition/nb-1",
        "Condition/myoclonus-1",
        "Observation/eyes-1",
        "Observation/sleep-1",
        "Observation/weight-1",
    ]
    assert found[1].source == "prefetch.conditions.entry[0].resource"


@respx.mock
def test_null_means_no_data_and_is_not_fetched(terminology: Terminology) -> None:
    patient_id, prefetch = risk_example("high")
    prefetch.update(conditions=None, observations=None, observationsByValue=None)
    found = run(hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR), terminology)
    assert ids(found) == ["Patient/oms-high-1"]


def test_a_null_patient_is_a_412(terminology: Terminology) -> None:
    patient_id, prefetch = risk_example("high")
    prefetch["patient"] = None
    with pytest.raises(PreconditionFailed) as caught:
        run(hook_request(prefetch, patient_id=patient_id), terminology)
    assert (caught.value.status, caught.value.code) == (412, "not-found")


def test_duplicates_across_the_two_observation_searches_count_once(
    terminology: Terminology,
) -> None:
    patient_id, prefetch = risk_example("high")
    prefetch["observationsByValue"] = prefetch["observations"]
    request = hook_request(prefetch, patient_id=patient_id)
    found = run(request, terminology)
    assert ids(found).count("Observation/eyes-1") == 2
    result = assess_hook(parse_hook_request(json.dumps(request).encode()), found, terminology)
    evidence = [e for e in result.evidence if "eyes-1" in str(e)]
    assert len(evidence) == 1


def test_the_legacy_response_resource_wrapper_is_unwrapped(terminology: Terminology) -> None:
    patient_id, prefetch = risk_example("high")
    prefetch["patient"] = {"response": {"status": "200 OK"}, "resource": prefetch["patient"]}
    found = run(hook_request(prefetch, patient_id=patient_id), terminology)
    assert ids(found)[0] == "Patient/oms-high-1"


OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "timeout", "diagnostics": "prefetch failed"}],
}


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("absent", id="key-absent"),
        pytest.param(OUTCOME, id="operation-outcome"),
        pytest.param(searchset([OUTCOME]), id="bundle-with-error-outcome"),
        pytest.param("123", id="bare-string-as-in-spec-example"),
    ],
)
@respx.mock
def test_unusable_prefetch_is_read_from_the_fhir_server_with_the_token(
    terminology: Terminology, value: Any
) -> None:
    patient_id, prefetch = risk_example("high")
    conditions = prefetch["conditions"]
    if value == "absent":
        del prefetch["conditions"]
    else:
        prefetch["conditions"] = value
    route = respx.get(url__startswith=f"{FHIR}/Condition").mock(
        return_value=httpx.Response(200, json=conditions)
    )
    found = run(
        hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR, token=TOKEN), terminology
    )
    assert route.call_count == 1
    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["accept"] == "application/fhir+json"
    query = parse_qs(urlsplit(str(sent.url)).query)
    assert query["patient"] == [patient_id]
    wanted = set(terminology.search_codes)
    assert set(query["code"][0].split(",")) == wanted
    assert "Condition/nb-1" in ids(found)


@respx.mock
def test_everything_absent_is_read_from_the_server(terminology: Terminology) -> None:
    patient_id, prefetch = risk_example("high")
    respx.get(f"{FHIR}/Patient/{patient_id}").mock(
        return_value=httpx.Response(200, json=prefetch["patient"])
    )
    respx.get(url__startswith=f"{FHIR}/Condition?").mock(
        return_value=httpx.Response(200, json=prefetch["conditions"])
    )
    by_code = respx.get(url__regex=rf"{FHIR}/Observation\?.*&code=").mock(
        return_value=httpx.Response(200, json=prefetch["observations"])
    )
    by_value = respx.get(url__regex=rf"{FHIR}/Observation\?.*&value-concept=").mock(
        return_value=httpx.Response(200, json=searchset([]))
    )
    records = [
        respx.get(url__regex=rf"{FHIR}/{resource_type}\?").mock(
            return_value=httpx.Response(200, json=searchset([]))
        )
        for resource_type in RECORD_TYPES
    ]
    found = run(hook_request(patient_id=patient_id, fhir_server=FHIR + "/"), terminology)
    assert (by_code.call_count, by_value.call_count) == (1, 1)
    assert [r.call_count for r in records] == [1] * len(RECORD_TYPES)
    assert len(found) == 6
    assert "authorization" not in by_code.calls.last.request.headers


@respx.mock
def test_a_paged_prefetch_is_followed_on_the_server(terminology: Terminology) -> None:
    patient_id, prefetch = risk_example("high")
    observations = prefetch["observations"]["entry"]
    page2 = f"{FHIR}/Observation?_getpages=abc&_page=2"
    page3 = f"{FHIR}/Observation?_getpages=abc&_page=3"
    prefetch["observations"] = searchset([observations[0]["resource"]], next_url=page2)
    respx.get(page2).mock(
        return_value=httpx.Response(
            200, json=searchset([observations[1]["resource"]], next_url=page3)
        )
    )
    respx.get(page3).mock(
        return_value=httpx.Response(200, json=searchset([observations[2]["resource"]]))
    )
    found = run(
        hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR, token=TOKEN), terminology
    )
    assert [i for i in ids(found) if i.startswith("Observation")] == [
        "Observation/eyes-1",
        "Observation/sleep-1",
        "Observation/weight-1",
    ]


@pytest.mark.parametrize(
    ("big_in", "refused"),
    [
        pytest.param("weight-1", False, id="where-nothing-reads-it-skipped"),
        pytest.param("eyes-1", True, id="in-evidence-412"),
    ],
)
@respx.mock
def test_a_number_too_large_on_a_server_page(
    terminology: Terminology, big_in: str, refused: bool
) -> None:
    """A fallback page keeps its resources as bytes, as a posted body does: `1e400` (valid
    FHIR, too large for a double) changes nothing where nothing reads it; in evidence the
    data cannot be had (412 `not-supported`, naming the resource on the server's page)."""
    patient_id, prefetch = risk_example("high")
    observations = [e["resource"] for e in prefetch["observations"]["entry"]]
    plain_request = hook_request(copy.deepcopy(prefetch), patient_id=patient_id)
    page2 = f"{FHIR}/Observation?_getpages=abc&_page=2"
    prefetch["observations"] = searchset([], next_url=page2)
    marked = [
        {**r, "referenceRange": [{"low": {"value": "BIG"}}]} if r["id"] == big_in else r
        for r in observations
    ]
    page = json.dumps(searchset(marked)).replace('"BIG"', "1e400").encode()
    respx.get(page2).mock(return_value=httpx.Response(200, content=page))
    request = hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR, token=TOKEN)
    found = run(request, terminology)

    def assess(body: dict[str, Any], records: list[Record]) -> tuple[object, ...]:
        result = assess_hook(parse_hook_request(json.dumps(body).encode()), records, terminology)
        return result.patient, result.assessment, result.evidence, result.kept_count

    if not refused:
        plain = assess(plain_request, run(plain_request, terminology))
        assert assess(request, found) == plain
        return
    with pytest.raises(PreconditionFailed) as caught:
        assess(request, found)
    n = [r["id"] for r in observations].index("eyes-1")
    assert (caught.value.status, caught.value.code) == (412, "not-supported")
    assert caught.value.message == (
        "The FHIR server's answer holds a number too large for this service to read"
    )
    assert caught.value.expression == [f"fhirServer.observations.page[1].entry[{n}].resource"]


def expect_412(
    terminology: Terminology, body: dict[str, Any], code: str, *, max_pages: int = 5
) -> None:
    with pytest.raises(PreconditionFailed) as caught:
        run(body, terminology, max_pages=max_pages)
    assert caught.value.status == 412
    assert caught.value.code == code


@respx.mock
def test_a_next_link_to_another_host_is_not_followed(terminology: Terminology) -> None:
    patient_id, prefetch = risk_example("high")
    elsewhere = respx.get(url__startswith="https://evil.example").mock(
        return_value=httpx.Response(200, json=searchset([]))
    )
    prefetch["observations"] = searchset([], next_url="https://evil.example/fhir/Observation?p=2")
    body = hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR, token=TOKEN)
    expect_412(terminology, body, "forbidden")
    assert not elsewhere.called


@respx.mock
def test_next_links_that_loop_stop(terminology: Terminology) -> None:
    patient_id, prefetch = risk_example("high")
    page2 = f"{FHIR}/Observation?page=2"
    page3 = f"{FHIR}/Observation?page=3"
    prefetch["observations"] = searchset([], next_url=page2)
    respx.get(page2).mock(return_value=httpx.Response(200, json=searchset([], next_url=page3)))
    respx.get(page3).mock(return_value=httpx.Response(200, json=searchset([], next_url=page2)))
    body = hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR)
    expect_412(terminology, body, "processing")


@respx.mock
def test_more_pages_than_the_cap_are_a_412(terminology: Terminology) -> None:
    patient_id, prefetch = risk_example("high")
    prefetch["observations"] = searchset([], next_url=f"{FHIR}/Observation?page=1")
    respx.get(url__regex=rf"{FHIR}/Observation\?page=(\d+)").mock(
        side_effect=lambda request: httpx.Response(
            200,
            json=searchset([], next_url=f"{request.url}x"),
        )
    )
    body = hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR)
    expect_412(terminology, body, "too-costly", max_pages=3)


def test_absent_data_without_a_fhir_server_is_a_412(terminology: Terminology) -> None:
    patient_id, prefetch = risk_example("high")
    del prefetch["observations"]
    expect_412(terminology, hook_request(prefetch, patient_id=patient_id), "required")


@respx.mock
def test_a_fhir_server_the_client_did_not_register_is_never_called(
    terminology: Terminology,
) -> None:
    patient_id, prefetch = risk_example("high")
    del prefetch["observations"]
    other = respx.get(url__startswith="https://other.example").mock(
        return_value=httpx.Response(200, json=searchset([]))
    )
    body = hook_request(
        prefetch, patient_id=patient_id, fhir_server="https://other.example/fhir", token=TOKEN
    )
    expect_412(terminology, body, "forbidden")
    assert not other.called


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        pytest.param(httpx.ReadTimeout("slow"), "timeout", id="read-timeout"),
        pytest.param(httpx.ConnectTimeout("slow"), "timeout", id="connect-timeout"),
        pytest.param(httpx.ConnectError("refused"), "transient", id="connection-refused"),
        pytest.param(httpx.Response(401), "security", id="401-token-refused"),
        pytest.param(httpx.Response(403), "forbidden", id="403-forbidden"),
        pytest.param(httpx.Response(404), "not-found", id="404"),
        pytest.param(httpx.Response(500), "transient", id="500"),
        pytest.param(httpx.Response(503), "transient", id="503"),
        pytest.param(
            httpx.Response(302, headers={"Location": "https://evil.example/"}),
            "not-supported",
            id="302-redirect-not-followed",
        ),
        pytest.param(httpx.Response(200, text="<html>"), "invalid", id="not-json"),
        pytest.param(httpx.Response(200, json=OUTCOME), "invalid", id="outcome-not-bundle"),
        pytest.param(
            httpx.Response(200, json=searchset([OUTCOME])), "processing", id="error-in-searchset"
        ),
    ],
)
@respx.mock
def test_every_search_fault_is_a_412_with_its_cause(
    terminology: Terminology, answer: Any, code: str
) -> None:
    patient_id, prefetch = risk_example("high")
    del prefetch["conditions"]
    if isinstance(answer, Exception):
        respx.get(url__startswith=f"{FHIR}/Condition").mock(side_effect=answer)
    else:
        respx.get(url__startswith=f"{FHIR}/Condition").mock(return_value=answer)
    respx.get(url__startswith="https://evil.example").mock(side_effect=AssertionError)
    body = hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR, token=TOKEN)
    expect_412(terminology, body, code)


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        pytest.param(httpx.Response(404), "not-found", id="no-such-patient"),
        pytest.param(httpx.Response(410), "not-found", id="patient-gone"),
        pytest.param(httpx.Response(401), "security", id="401"),
        pytest.param(httpx.Response(500), "transient", id="500"),
        pytest.param(httpx.Response(200, json=OUTCOME), "invalid", id="not-a-patient"),
    ],
)
@respx.mock
def test_patient_read_faults_are_412(terminology: Terminology, answer: Any, code: str) -> None:
    patient_id, prefetch = risk_example("high")
    del prefetch["patient"]
    respx.get(f"{FHIR}/Patient/{patient_id}").mock(return_value=answer)
    body = hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR, token=TOKEN)
    expect_412(terminology, body, code)


# --- The fallback through the shared FHIR client: guard, no retries, one client ----------


@respx.mock
def test_a_next_link_on_the_same_host_outside_fhir_server_is_not_followed(
    terminology: Terminology,
) -> None:
    """Same origin as fhirServer, other path: refused before any connection."""
    patient_id, prefetch = risk_example("high")
    admin = respx.get(url__startswith="https://ehr.example.org/admin").mock(
        return_value=httpx.Response(200, json=searchset([]))
    )
    prefetch["observations"] = searchset(
        [], next_url="https://ehr.example.org/admin/Observation?p=2"
    )
    body = hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR, token=TOKEN)
    expect_412(terminology, body, "forbidden")
    assert not admin.called


@respx.mock
def test_a_fhir_server_narrower_than_the_registration_keeps_links_under_it(
    terminology: Terminology,
) -> None:
    """Registered for all of /fhir, the hook names /fhir/tenant-a: /fhir/tenant-b is out."""
    patient_id, prefetch = risk_example("high")
    tenant_b = respx.get(url__startswith=f"{FHIR}/tenant-b").mock(
        return_value=httpx.Response(200, json=searchset([]))
    )
    prefetch["observations"] = searchset([], next_url=f"{FHIR}/tenant-b/Observation?p=2")
    body = hook_request(prefetch, patient_id=patient_id, fhir_server=f"{FHIR}/tenant-a")
    expect_412(terminology, body, "forbidden")
    assert not tenant_b.called


@respx.mock
def test_a_relative_next_link_is_read_under_fhir_server(terminology: Terminology) -> None:
    patient_id, prefetch = risk_example("high")
    observations = prefetch["observations"]["entry"]
    prefetch["observations"] = searchset([], next_url="Observation?_page=2")
    page2 = respx.get(f"{FHIR}/Observation?_page=2").mock(
        return_value=httpx.Response(200, json=searchset([o["resource"] for o in observations]))
    )
    found = run(
        hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR, token=TOKEN), terminology
    )
    assert page2.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert "Observation/eyes-1" in ids(found)


@respx.mock
def test_the_prefetch_page_counts_towards_the_page_cap(terminology: Terminology) -> None:
    patient_id, prefetch = risk_example("high")
    prefetch["observations"] = searchset([], next_url=f"{FHIR}/Observation?page=2")
    page2 = respx.get(url__startswith=f"{FHIR}/Observation").mock(
        return_value=httpx.Response(200, json=searchset([]))
    )
    body = hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR)
    expect_412(terminology, body, "too-costly", max_pages=1)
    assert not page2.called


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(httpx.Response(503), id="503"),
        pytest.param(httpx.Response(429, headers={"Retry-After": "0"}), id="429-retry-after-0"),
        pytest.param(httpx.ConnectError("refused"), id="connection-refused"),
    ],
)
@respx.mock
def test_nothing_is_retried_within_the_ehrs_budget(terminology: Terminology, answer: Any) -> None:
    patient_id, prefetch = risk_example("high")
    del prefetch["conditions"]
    route = respx.get(url__startswith=f"{FHIR}/Condition")
    if isinstance(answer, Exception):
        route.mock(side_effect=answer)
    else:
        route.mock(return_value=answer)
    body = hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR, token=TOKEN)
    expect_412(terminology, body, "transient")
    assert route.call_count == 1


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(httpx.Response(200, json=[1, 2]), id="json-array"),
        pytest.param(
            httpx.Response(
                200, stream=httpx.ByteStream(b"not gzip"), headers={"Content-Encoding": "gzip"}
            ),
            id="undecodable-gzip",
        ),
    ],
)
@respx.mock
def test_unreadable_search_answers_are_412_invalid(terminology: Terminology, answer: Any) -> None:
    patient_id, prefetch = risk_example("high")
    del prefetch["conditions"]
    respx.get(url__startswith=f"{FHIR}/Condition").mock(return_value=answer)
    body = hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR, token=TOKEN)
    expect_412(terminology, body, "invalid")


def test_a_server_that_never_answers_is_cut_at_the_hook_deadline(
    terminology: Terminology,
) -> None:
    async def never(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    patient_id, prefetch = risk_example("high")
    del prefetch["conditions"], prefetch["observations"]
    request = parse_hook_request(
        json.dumps(hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR)).encode()
    )

    async def go() -> list[Record]:
        keys = prefetch_keys(terminology)
        return await gather_prefetch(
            request, keys, CLIENT, FetchLimits(0.01, 5), transport=httpx.MockTransport(never)
        )

    with pytest.raises(PreconditionFailed) as caught:
        asyncio.run(go())
    assert (caught.value.status, caught.value.code) == (412, "timeout")


class CountingClient(FhirClient):
    made: list[str] = []  # noqa: RUF012

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        CountingClient.made.append(base_url)
        super().__init__(base_url, **kwargs)


@pytest.mark.parametrize(
    ("absent", "clients"),
    [
        pytest.param((), 0, id="complete-prefetch-makes-no-client"),
        pytest.param(
            ("patient", "conditions", "observations", "observationsByValue"),
            1,
            id="four-reads-share-one-client",
        ),
    ],
)
@respx.mock
def test_one_client_per_hook_call_and_only_when_needed(
    terminology: Terminology, monkeypatch: pytest.MonkeyPatch, absent: tuple[str, ...], clients: int
) -> None:
    CountingClient.made = []
    monkeypatch.setattr("service.cds.prefetch.FhirClient", CountingClient)
    patient_id, prefetch = risk_example("high")
    respx.get(f"{FHIR}/Patient/{patient_id}").mock(
        return_value=httpx.Response(200, json=prefetch["patient"])
    )
    respx.get(url__regex=rf"{FHIR}/(Condition|Observation)\?").mock(
        return_value=httpx.Response(200, json=searchset([]))
    )
    for name in absent:
        del prefetch[name]
    run(hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR, token=TOKEN), terminology)
    assert CountingClient.made == [FHIR] * clients


@respx.mock
def test_fallback_searches_are_sent_as_the_ehr_would_send_prefetch(
    terminology: Terminology,
) -> None:
    """No `Prefer: handling=strict`: a server without `value-concept` may ignore it (a
    superset the screen filters) rather than fail the hook."""
    patient_id, prefetch = risk_example("high")
    del prefetch["observationsByValue"]
    route = respx.get(url__startswith=f"{FHIR}/Observation?").mock(
        return_value=httpx.Response(200, json=searchset([]))
    )
    run(hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR), terminology)
    assert "prefer" not in route.calls.last.request.headers


@pytest.mark.parametrize(
    ("absent", "url", "message"),
    [
        pytest.param("patient", f"{FHIR}/Patient/", "No such Patient", id="patient-read"),
        pytest.param("conditions", f"{FHIR}/Condition", "not support this search", id="search"),
    ],
)
@respx.mock
def test_a_404_says_what_was_missing(
    terminology: Terminology, absent: str, url: str, message: str
) -> None:
    patient_id, prefetch = risk_example("high")
    del prefetch[absent]
    respx.get(url__startswith=url).mock(return_value=httpx.Response(404))
    body = hook_request(prefetch, patient_id=patient_id, fhir_server=FHIR, token=TOKEN)
    with pytest.raises(PreconditionFailed, match=message) as caught:
        run(body, terminology)
    assert (caught.value.code, caught.value.expression) == ("not-found", [absent])
    assert patient_id not in caught.value.message
