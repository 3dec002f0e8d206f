"""The FHIR client against faults a real server will not produce on demand (respx)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
import pytest
import respx

from service.clients.fhir import (
    Fault,
    FhirClient,
    FhirClientLimits,
    FhirServerError,
    Location,
    parse_location,
)
from service.errors import NotFound, OmsError, UpstreamError, UpstreamTimeout
from service.intake.prefetch import PrefetchValue
from tests.search_pages import matches, read, resources

BASE = "https://ehr.example/fhir"
Json = dict[str, Any]


class FakeTime:
    """A clock that only moves when the client sleeps; records every wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def run(
    router: respx.MockRouter,
    call: Callable[[FhirClient], Awaitable[Any]],
    *,
    limits: FhirClientLimits | None = None,
    time: FakeTime | None = None,
    token: str | None = None,
) -> Any:
    time = time or FakeTime()

    async def go() -> Any:
        async with FhirClient(
            BASE,
            token=token,
            limits=limits,
            transport=httpx.MockTransport(router.handler),
            sleep=time.sleep,
            clock=time.clock,
        ) as client:
            return await call(client)

    return asyncio.run(go())


def searchset(*ids: str, next_url: str | None = None) -> Json:
    bundle: Json = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": {"resourceType": "Observation", "id": i}, "search": {"mode": "match"}}
            for i in ids
        ],
    }
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def patient(resource_id: str = "p1") -> Json:
    return {"resourceType": "Patient", "id": resource_id}


def read_patient(client: FhirClient) -> Awaitable[Json]:
    return client.read("Patient", "p1")


def assert_safe(error: OmsError) -> None:
    """No URL, no id, no body in what a caller would see."""
    assert "http" not in error.message
    assert "p1" not in error.message
    assert "secret" not in error.message


def test_read_sends_fhir_accept_and_bearer_token() -> None:
    router = respx.MockRouter(assert_all_called=True)
    route = router.get(f"{BASE}/Patient/p1").respond(200, json=patient())

    assert run(router, read_patient, token="tok-123") == patient()
    request = route.calls.last.request
    assert request.headers["accept"] == "application/fhir+json"
    assert request.headers["authorization"] == "Bearer tok-123"


def test_no_token_sends_no_authorization() -> None:
    router = respx.MockRouter()
    route = router.get(f"{BASE}/Patient/p1").respond(200, json=patient())

    run(router, read_patient)
    assert "authorization" not in route.calls.last.request.headers


@pytest.mark.parametrize(
    ("status", "error"),
    [
        pytest.param(404, NotFound, id="unknown-patient-404"),
        pytest.param(410, NotFound, id="deleted-patient-410"),
        pytest.param(401, UpstreamError, id="token-refused-401"),
        pytest.param(400, UpstreamError, id="bad-request-400"),
        pytest.param(500, UpstreamError, id="server-error-500"),
    ],
)
def test_error_statuses_map_to_oms_errors_without_retrying(
    status: int, error: type[OmsError]
) -> None:
    router = respx.MockRouter()
    route = router.get(f"{BASE}/Patient/p1").respond(
        status, json={"resourceType": "OperationOutcome", "issue": [{"diagnostics": "secret"}]}
    )

    with pytest.raises(error) as caught:
        run(router, read_patient)
    assert route.call_count == 1
    assert caught.value.status == (404 if error is NotFound else 502)
    assert_safe(caught.value)


def test_read_timeout_retries_then_gives_504() -> None:
    router = respx.MockRouter()
    route = router.get(f"{BASE}/Patient/p1").mock(side_effect=httpx.ReadTimeout("slow"))
    time = FakeTime()

    with pytest.raises(UpstreamTimeout) as caught:
        run(router, read_patient, time=time, limits=FhirClientLimits(max_retries=2))
    assert route.call_count == 3
    assert time.waits == [0.25, 0.5]
    assert caught.value.status == 504
    assert_safe(caught.value)


def test_connection_refused_then_success_is_retried() -> None:
    router = respx.MockRouter()
    router.get(f"{BASE}/Patient/p1").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=patient())]
    )

    assert run(router, read_patient) == patient()


def test_connection_refused_every_time_is_502() -> None:
    router = respx.MockRouter()
    router.get(f"{BASE}/Patient/p1").mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(UpstreamError) as caught:
        run(router, read_patient)
    assert caught.value.status == 502
    assert_safe(caught.value)


@pytest.mark.parametrize(
    ("retry_after", "expected_wait"),
    [
        pytest.param("2", 2.0, id="delta-seconds"),
        pytest.param(None, 0.25, id="no-header-uses-backoff"),
        pytest.param("soon", 0.25, id="unreadable-header-uses-backoff"),
    ],
)
def test_429_honours_retry_after(retry_after: str | None, expected_wait: float) -> None:
    router = respx.MockRouter()
    headers = {"Retry-After": retry_after} if retry_after else {}
    router.get(f"{BASE}/Patient/p1").mock(
        side_effect=[httpx.Response(429, headers=headers), httpx.Response(200, json=patient())]
    )
    time = FakeTime()

    assert run(router, read_patient, time=time) == patient()
    assert time.waits == [expected_wait]


def test_503_with_retry_after_beyond_the_cap_gives_up_at_once() -> None:
    router = respx.MockRouter()
    route = router.get(f"{BASE}/Patient/p1").respond(503, headers={"Retry-After": "120"})
    time = FakeTime()

    with pytest.raises(UpstreamError) as caught:
        run(router, read_patient, time=time, limits=FhirClientLimits(retry_after_cap=5))
    assert route.call_count == 1
    assert time.waits == []
    assert caught.value.status == 502


def test_retries_stop_at_the_deadline() -> None:
    router = respx.MockRouter()
    route = router.get(f"{BASE}/Patient/p1").respond(503, headers={"Retry-After": "4"})
    time = FakeTime()

    with pytest.raises(UpstreamError):
        run(router, read_patient, time=time, limits=FhirClientLimits(deadline=6, max_retries=5))
    assert route.call_count == 2
    assert time.waits == [4.0]


def test_a_transaction_is_not_retried_unless_idempotent() -> None:
    router = respx.MockRouter()
    route = router.post(f"{BASE}/").mock(side_effect=httpx.ConnectError("refused"))
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": []}

    with pytest.raises(UpstreamError):
        run(router, lambda c: c.transaction(bundle))
    assert route.call_count == 1

    with pytest.raises(UpstreamError):
        run(router, lambda c: c.transaction(bundle, idempotent=True))
    assert route.call_count == 1 + 3


def test_an_idempotent_transaction_that_loses_a_race_is_sent_once_more() -> None:
    """409 from concurrent conditional creates: the second try finds the winner's resources."""
    router = respx.MockRouter()
    answer = {"resourceType": "Bundle", "type": "transaction-response", "entry": []}
    route = router.post(f"{BASE}/").mock(
        side_effect=[httpx.Response(409), httpx.Response(200, json=answer)]
    )
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": []}

    assert run(router, lambda c: c.transaction(bundle, idempotent=True)) == answer
    assert route.call_count == 2


def test_a_409_is_final_for_a_plain_transaction_and_for_a_second_loss() -> None:
    router = respx.MockRouter()
    route = router.post(f"{BASE}/").respond(409)
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": []}

    with pytest.raises(FhirServerError) as plain:
        run(router, lambda c: c.transaction(bundle))
    assert route.call_count == 1
    with pytest.raises(FhirServerError) as twice:
        run(router, lambda c: c.transaction(bundle, idempotent=True))
    assert route.call_count == 1 + 2
    assert plain.value.upstream_status == twice.value.upstream_status == 409


@pytest.mark.parametrize("strict", [True, False])
def test_reads_and_searches_ask_for_fresh_results(strict: bool) -> None:
    """HAPI reuses a cached search for 60 s unless told not to."""
    router = respx.MockRouter()
    search = router.get(f"{BASE}/Observation").respond(200, json=searchset())
    read = router.get(f"{BASE}/Patient/p1").respond(200, json={"resourceType": "Patient"})

    run_with(router, lambda c: matches(c, "Observation", {}), strict=strict)
    run_with(router, read_patient, strict=strict)
    for route in (search, read):
        assert route.calls.last.request.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"resourceType": "Patient", "id": ', id="truncated-json"),
        pytest.param(b"<html>proxy error</html>", id="html-page"),
        pytest.param(b"[1, 2]", id="json-array"),
        pytest.param(b'{"resourceType": "Observation", "id": "p1"}', id="wrong-resource-type"),
    ],
)
def test_unusable_bodies_are_502(body: bytes) -> None:
    router = respx.MockRouter()
    router.get(f"{BASE}/Patient/p1").respond(200, content=body)

    with pytest.raises(UpstreamError) as caught:
        run(router, read_patient)
    assert caught.value.status == 502
    assert_safe(caught.value)


def test_search_follows_next_links_verbatim() -> None:
    router = respx.MockRouter()
    first = router.get(f"{BASE}/Observation", params={"patient": "p1", "_count": "2"}).respond(
        200, json=searchset("o1", "o2", next_url=f"{BASE}?_getpages=abc&_getpagesoffset=2")
    )
    second = router.get(f"{BASE}", params={"_getpages": "abc"}).respond(200, json=searchset("o3"))

    found = run(router, lambda c: matches(c, "Observation", {"patient": "p1", "_count": "2"}))
    assert [r["id"] for r in found] == ["o1", "o2", "o3"]
    assert first.call_count == 1
    assert first.calls.last.request.headers["prefer"] == "handling=strict"
    assert str(second.calls.last.request.url) == f"{BASE}?_getpages=abc&_getpagesoffset=2"


def test_search_pages_say_which_entries_are_outcomes() -> None:
    """The reader keeps each entry's `search.mode`: the walk skips `outcome` entries."""
    router = respx.MockRouter()
    page = searchset("o1")
    page["entry"].append(
        {"resource": {"resourceType": "OperationOutcome"}, "search": {"mode": "outcome"}}
    )
    router.get(f"{BASE}/Observation").respond(200, json=page)

    pages = run(router, lambda c: c.search_pages("Observation", {}, read))
    assert [(r.resource_type, r.search_mode) for r in pages[0].entries] == [
        ("Observation", "match"),
        ("OperationOutcome", "outcome"),
    ]


def test_a_next_link_that_loops_is_502() -> None:
    router = respx.MockRouter()
    loop = f"{BASE}/Observation?page=1"
    router.get(f"{BASE}/Observation").respond(200, json=searchset("o1", next_url=loop))

    with pytest.raises(UpstreamError, match="loop") as caught:
        run(router, lambda c: matches(c, "Observation", {"page": "1"}))
    assert caught.value.status == 502


def test_pages_beyond_the_cap_are_502() -> None:
    router = respx.MockRouter()
    counter = iter(range(100))
    router.get(f"{BASE}/Observation").mock(
        side_effect=lambda request: httpx.Response(
            200, json=searchset("o", next_url=f"{BASE}/Observation?page={next(counter)}")
        )
    )

    with pytest.raises(UpstreamError, match="more than 3 pages") as caught:
        run(
            router,
            lambda c: matches(c, "Observation", {}),
            limits=FhirClientLimits(max_pages=3),
        )
    assert caught.value.code == "too-costly"


def test_a_next_link_to_another_server_is_not_followed() -> None:
    router = respx.MockRouter()
    router.get(f"{BASE}/Observation").respond(
        200, json=searchset("o1", next_url="https://elsewhere.example/fhir?page=2")
    )
    elsewhere = router.get("https://elsewhere.example/fhir").respond(200, json=searchset())

    with pytest.raises(UpstreamError, match="another server"):
        run(router, lambda c: matches(c, "Observation", {}), token="secret")
    assert elsewhere.call_count == 0


def test_an_enormous_page_is_cut_off() -> None:
    router = respx.MockRouter()

    async def endless() -> Any:
        chunk = b" " * 65536
        for _ in range(10_000):
            yield chunk

    router.get(f"{BASE}/Observation").mock(
        side_effect=lambda request: httpx.Response(200, content=endless())
    )

    with pytest.raises(UpstreamError, match="exceeds 1000000 bytes") as caught:
        run(
            router,
            lambda c: matches(c, "Observation", {}),
            limits=FhirClientLimits(max_bytes=10**6),
        )
    assert caught.value.code == "too-costly"


def test_a_declared_oversized_page_is_refused_before_reading() -> None:
    router = respx.MockRouter()
    router.get(f"{BASE}/Observation").respond(
        200, content=b"{}" + b" " * 2000, headers={"Content-Length": "2002"}
    )

    with pytest.raises(UpstreamError, match="exceeds 1000 bytes"):
        run(
            router,
            lambda c: matches(c, "Observation", {}),
            limits=FhirClientLimits(max_bytes=1000),
        )


def test_too_many_entries_is_502() -> None:
    router = respx.MockRouter()
    router.get(f"{BASE}/Observation").respond(200, json=searchset(*[f"o{i}" for i in range(11)]))

    with pytest.raises(UpstreamError, match="more than 10 entries"):
        run(
            router,
            lambda c: matches(c, "Observation", {}),
            limits=FhirClientLimits(max_entries=10),
        )


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        pytest.param(
            "http://127.0.0.1:8091/fhir/RiskAssessment/abc-1/_history/1",
            Location("RiskAssessment", "abc-1", "1"),
            id="absolute-sekmet",
        ),
        pytest.param("CarePlan/123/_history/2", Location("CarePlan", "123", "2"), id="hapi"),
        pytest.param("Provenance/9", Location("Provenance", "9", None), id="no-version"),
        pytest.param("nonsense", None, id="not-a-location"),
    ],
)
def test_parse_location(location: str, expected: Location | None) -> None:
    assert parse_location(location) == expected


def test_a_server_that_never_answers_is_cut_at_the_deadline() -> None:
    async def never(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def go() -> Any:
        limits = FhirClientLimits(deadline=0.05)
        async with FhirClient(BASE, limits=limits, transport=httpx.MockTransport(never)) as c:
            return await c.read("Patient", "p1")

    with pytest.raises(UpstreamTimeout, match=r"within 0\.05 s") as caught:
        asyncio.run(go())
    assert caught.value.status == 504
    assert_safe(caught.value)


# --- Extensions for stricter callers (the CDS Hooks fallback) -----------------------------


def only_under(prefix: str) -> Callable[[str], bool]:
    return lambda url: url.startswith(prefix + "/")


def run_with(
    router: respx.MockRouter, call: Callable[[FhirClient], Awaitable[Any]], **kw: Any
) -> Any:
    async def go() -> Any:
        transport = httpx.MockTransport(router.handler)
        async with FhirClient(BASE, transport=transport, **kw) as client:
            return await call(client)

    return asyncio.run(go())


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(read_patient, id="read"),
        pytest.param(lambda c: matches(c, "Observation", {"patient": "p1"}), id="search"),
        pytest.param(lambda c: c.transaction({"resourceType": "Bundle"}), id="transaction"),
    ],
)
def test_a_url_the_guard_refuses_is_never_requested(
    call: Callable[[FhirClient], Awaitable[Any]],
) -> None:
    router = respx.MockRouter()
    anything = router.route().respond(200, json=searchset())

    with pytest.raises(FhirServerError) as caught:
        run_with(router, call, url_guard=only_under(f"{BASE}/Group"), token="secret")
    assert (caught.value.fault, caught.value.code, caught.value.status) == (
        Fault.OFF_SERVER,
        "forbidden",
        502,
    )
    assert anything.call_count == 0
    assert_safe(caught.value)


def test_the_guard_vets_next_links_on_the_same_host() -> None:
    """Same origin, other path: the origin rule lets it pass, the guard does not."""
    router = respx.MockRouter()
    first = router.get(f"{BASE}/Observation").respond(
        200, json=searchset("o1", next_url="https://ehr.example/admin/Observation?page=2")
    )
    admin = router.get(url__startswith="https://ehr.example/admin").respond(200, json=searchset())

    with pytest.raises(FhirServerError) as caught:
        run_with(router, lambda c: matches(c, "Observation", {}), url_guard=only_under(BASE))
    assert caught.value.fault is Fault.OFF_SERVER
    assert (first.call_count, admin.call_count) == (1, 0)


def test_pages_follows_a_relative_url_then_its_next_links() -> None:
    router = respx.MockRouter()
    router.get(f"{BASE}/Observation", params={"page": "2"}).respond(
        200, json=searchset("o2", next_url=f"{BASE}/Observation?page=3")
    )
    router.get(f"{BASE}/Observation", params={"page": "3"}).respond(200, json=searchset("o3"))

    pages = run_with(router, lambda c: c.pages("Observation?page=2", "Observation", read))
    assert [r["id"] for p in pages for r in resources(p)] == ["o2", "o3"]


def test_pages_refuses_a_start_url_on_another_server() -> None:
    router = respx.MockRouter()
    elsewhere = router.route().respond(200, json=searchset())

    with pytest.raises(FhirServerError, match="another server") as caught:
        run_with(router, lambda c: c.pages("https://elsewhere.example/fhir/X", "Observation", read))
    assert caught.value.fault is Fault.OFF_SERVER
    assert elsewhere.call_count == 0


@pytest.mark.parametrize(
    ("max_pages", "requests"),
    [
        pytest.param(0, 0, id="none-left-reads-nothing"),
        pytest.param(1, 1, id="one-page"),
        pytest.param(2, 2, id="two-pages"),
    ],
)
def test_a_per_call_page_cap_overrides_the_limits(max_pages: int, requests: int) -> None:
    router = respx.MockRouter()
    counter = iter(range(100))
    route = router.get(f"{BASE}/Observation").mock(
        side_effect=lambda request: httpx.Response(
            200, json=searchset("o", next_url=f"{BASE}/Observation?page={next(counter)}")
        )
    )

    with pytest.raises(FhirServerError, match=f"more than {max_pages} pages") as caught:
        run_with(router, lambda c: c.pages("Observation", "Observation", read, max_pages=max_pages))
    assert (caught.value.fault, caught.value.code) == (Fault.TOO_COSTLY, "too-costly")
    assert route.call_count == requests


@pytest.mark.parametrize(
    ("answer", "fault", "upstream_status"),
    [
        pytest.param(httpx.Response(401), Fault.STATUS, 401, id="401"),
        pytest.param(httpx.Response(403), Fault.STATUS, 403, id="403"),
        pytest.param(httpx.Response(302), Fault.STATUS, 302, id="302-not-followed"),
        pytest.param(httpx.Response(429), Fault.STATUS, 429, id="429"),
        pytest.param(httpx.Response(500), Fault.STATUS, 500, id="500"),
        pytest.param(httpx.ConnectError("refused"), Fault.UNREACHABLE, None, id="refused"),
        pytest.param(httpx.Response(200, text="<html>"), Fault.INVALID, None, id="not-json"),
        pytest.param(
            httpx.Response(
                200,
                content=b'{"resourceType": "Bundle", "type": "searchset", "entry": [{"resource":'
                b' {"resourceType": "Observation", "id": "o1", "note": [{"text": "\xff"}]}}]}',
            ),
            Fault.INVALID,
            None,
            id="invalid-utf8-where-nothing-reads-it",
        ),
        pytest.param(
            httpx.Response(200, json={"resourceType": "OperationOutcome"}),
            Fault.INVALID,
            None,
            id="not-a-bundle",
        ),
        pytest.param(
            httpx.Response(
                200, stream=httpx.ByteStream(b"not gzip"), headers={"Content-Encoding": "gzip"}
            ),
            Fault.INVALID,
            None,
            id="undecodable-gzip",
        ),
    ],
)
def test_every_upstream_error_says_its_fault(
    answer: Any, fault: Fault, upstream_status: int | None
) -> None:
    router = respx.MockRouter()
    if isinstance(answer, Exception):
        route = router.get(f"{BASE}/Observation").mock(side_effect=answer)
    else:
        route = router.get(f"{BASE}/Observation").mock(return_value=answer)

    with pytest.raises(FhirServerError) as caught:
        run(
            router,
            lambda c: matches(c, "Observation", {}),
            limits=FhirClientLimits(max_retries=0),
        )
    assert (caught.value.fault, caught.value.upstream_status) == (fault, upstream_status)
    assert caught.value.status == 502
    assert route.call_count == 1
    assert_safe(caught.value)


def test_a_loop_and_too_many_bytes_say_their_fault() -> None:
    router = respx.MockRouter()
    router.get(f"{BASE}/Observation").respond(
        200, json=searchset("o1", next_url=f"{BASE}/Observation")
    )
    with pytest.raises(FhirServerError) as loop:
        run(router, lambda c: matches(c, "Observation", {}))
    with pytest.raises(FhirServerError) as big:
        run(
            router,
            lambda c: matches(c, "Observation", {}),
            limits=FhirClientLimits(max_bytes=10),
        )
    assert (loop.value.fault, big.value.fault) == (Fault.LOOP, Fault.TOO_COSTLY)


def test_not_strict_sends_no_prefer_header() -> None:
    router = respx.MockRouter()
    route = router.get(f"{BASE}/Observation").respond(200, json=searchset())

    run_with(router, lambda c: matches(c, "Observation", {}), strict=False)
    assert "prefer" not in route.calls.last.request.headers


@pytest.mark.parametrize(
    ("trust_env", "proxied"),
    [
        pytest.param(True, 1, id="trusted-env-goes-through-the-proxy"),
        pytest.param(False, 0, id="untrusted-env-ignores-the-proxy"),
    ],
)
def test_trust_env_decides_whether_a_proxy_variable_is_used(
    monkeypatch: pytest.MonkeyPatch, trust_env: bool, proxied: int
) -> None:
    """A local stand-in proxy counts what reaches it; the server itself refuses (port 1)."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        body = orjson.dumps(patient())
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    async def go() -> Any:
        server = await asyncio.start_server(proxy, "127.0.0.1", 0)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
        limits = FhirClientLimits(max_retries=0)
        async with (
            server,
            FhirClient("http://127.0.0.1:1/fhir", limits=limits, trust_env=trust_env) as client,
        ):
            try:
                return await read_patient(client)
            except FhirServerError as exc:
                return exc.fault

    outcome = asyncio.run(go())
    assert len(seen) == proxied
    assert outcome == (patient() if proxied else Fault.UNREACHABLE)


def test_search_pages_are_read_off_the_event_loop() -> None:
    """A page of 1,000 resources takes milliseconds to read: `/healthz` must not wait for it
    (bench [12]), so every page is read in a worker thread, never the loop's."""
    import threading

    threads: list[str] = []

    def spy(body: bytes, n: int) -> PrefetchValue:
        threads.append(threading.current_thread().name)
        return read(body, n)

    router = respx.MockRouter()
    router.get(f"{BASE}/Observation", params={"patient": "p1"}).respond(
        200, json=searchset("o1", next_url=f"{BASE}?_getpages=abc")
    )
    router.get(f"{BASE}", params={"_getpages": "abc"}).respond(200, json=searchset("o2"))
    loop_thread = threading.current_thread().name  # `run` drives the loop in this thread

    pages = run(router, lambda c: c.search_pages("Observation", {"patient": "p1"}, spy))
    assert [r["id"] for page in pages for r in resources(page)] == ["o1", "o2"]
    assert len(threads) == 2
    assert loop_thread not in threads
