"""A FHIR server's search page read as the service reads it (`intake.prefetch.read_page`:
a msgspec skeleton, each resource kept as the page's bytes with its head) answers as the
same page parsed whole with orjson, the way pages were read until 2026-12-08: the same
records, and the same ingest answer or error.

The one difference kept on purpose is the number rule (`intake.guards`): a number too large
for a double where nothing reads it is skipped; where a resource holding one is read, the
answer is the 400 the service turns into a 502 (`Patient/{id}`) or a 412 (a hook).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.errors import OmsError
from service.intake import IngestResult, read_records, server_records
from service.intake.prefetch import PrefetchValue, read_page, read_value
from service.json_reader import refusal
from service.terminology import Terminology
from tests.fuzz.oracles import DIFFERENTIAL, agrees_with_in_range_twin
from tests.fuzz.strategies import generated_bodies

BASE = "https://ehr.example.org/fhir/"
WHERE = "Observation.search.page[0]"

Outcome = IngestResult | tuple[object, ...]


def whole(page: bytes) -> PrefetchValue:
    """The page as it was read before: parsed whole, its entries as dicts."""
    try:
        document = orjson.loads(page)
    except orjson.JSONDecodeError as exc:
        raise refusal(exc) from None
    return read_value(document, WHERE)


def as_bytes(page: bytes) -> PrefetchValue:
    return read_page(page, WHERE)


def outcome(read: Callable[[bytes], PrefetchValue], page: bytes, terminology: Terminology) -> Any:
    """What `Patient/{id}/$oms-assess` makes of a page: a page refused as it is read (the
    client's 502), or the records ingested (`gather.search_records`, `server_records`)."""
    try:
        value = read(page)
    except OmsError as error:
        return "page refused", type(error).__name__, error.status, error.code
    if value.resource_type != "Bundle":
        return ("no Bundle",)
    if value.entries is None:
        return ("malformed entries",)
    try:
        result: IngestResult = read_records(server_records(BASE, value.entries), terminology)
    except OmsError as error:
        return type(error).__name__, error.status, error.code, error.message, error.expression
    return result


def too_large(answer: Outcome) -> bool:
    """The 400 for a number too large for the service to read: raised as a resource is read,
    or as the page is, where the page must be parsed whole (an entry that is no object)."""
    return isinstance(answer, tuple) and (
        answer[1:3] == (400, "not-supported") or answer[2:] == (400, "not-supported")
    )


def searchset(*resources: bytes, links: bytes = b"", more: bytes = b"") -> bytes:
    """A searchset of the resources' JSON texts, verbatim, then `more` entries' texts."""
    entries = [
        b'{"fullUrl":"' + BASE.encode() + b'Observation/x","resource":' + r
        + b',"search":{"mode":"match"}}'
        for r in resources
    ]  # fmt: skip
    if more:
        entries.append(more)
    return (
        b'{"resourceType":"Bundle","type":"searchset",'
        + links
        + b'"entry":['
        + b",".join(entries)
        + b"]}"
    )


PATIENT = b'{"resourceType":"Patient","id":"p1","birthDate":"2020-01-01"}'
OPSOCLONUS = (
    b'{"resourceType":"Observation","id":"o1","status":"final","subject":{"reference":'
    b'"Patient/p1"},"code":{"coding":[{"system":"http://purl.obolibrary.org/obo/hp.owl",'
    b'"code":"HP:0010543"}]}}'
)

#: Pages a server could send: (id, page).
CASES: list[tuple[str, bytes]] = [
    ("a patient and a finding", searchset(PATIENT, OPSOCLONUS)),
    ("an empty searchset", searchset()),
    ("a next link", searchset(OPSOCLONUS, links=b'"link":[{"relation":"next","url":"x"}],')),
    (
        "an outcome entry",
        searchset(
            PATIENT,
            OPSOCLONUS,
            more=b'{"resource":{"resourceType":"OperationOutcome","issue":[]},'
            b'"search":{"mode":"outcome"}}',
        ),
    ),
    ("an entry that is no object", searchset(PATIENT, OPSOCLONUS, more=b'"x"')),
    ("entry not an array", b'{"resourceType":"Bundle","type":"searchset","entry":{}}'),
    ("no Bundle", PATIENT),
    ("an array", b"[1, 2]"),
    ("null", b"null"),
    ("not JSON", b'{"resourceType":"Bundle",'),
    ("a byte-order mark", b"\xef\xbb\xbf" + searchset(PATIENT)),
    ("leading whitespace", b" \n" + searchset(PATIENT, OPSOCLONUS)),
    (
        "invalid UTF-8 where nothing reads it",
        searchset(PATIENT.replace(b'"p1"', b'"p1","x":"\xff"')),
    ),
    ("a resource without resourceType", searchset(PATIENT, b'{"id":"o2"}')),
    ("a resource that is a string", searchset(PATIENT, b'"Observation"')),
    ("two patients", searchset(PATIENT, PATIENT.replace(b"p1", b"p2"))),
]


@pytest.mark.parametrize("page", [pytest.param(p, id=n) for n, p in CASES])
def test_a_page_read_as_bytes_answers_as_the_page_parsed_whole(
    page: bytes, terminology: Terminology
) -> None:
    assert outcome(as_bytes, page, terminology) == outcome(whole, page, terminology)


def test_the_cases_cover_answers_and_refusals(terminology: Terminology) -> None:
    """So the comparison above compares answers, not only one kind of failure."""
    kinds = {
        "result" if isinstance(o, IngestResult) else str(o[0])
        for o in (outcome(whole, p, terminology) for _, p in CASES)
    }
    assert kinds >= {
        "result",
        "page refused",
        "no Bundle",
        "malformed entries",
        "UnprocessablePayload",
    }


def test_an_outcome_entry_is_read_and_then_skipped(terminology: Terminology) -> None:
    """The reader keeps `search.mode`; the walk skips `outcome` entries, as before."""
    page = dict(CASES)["an outcome entry"]
    modes = [r.search_mode for r in as_bytes(page).entries or ()]
    assert modes == ["match", "match", "outcome"]
    assert isinstance(outcome(as_bytes, page, terminology), IngestResult)


@DIFFERENTIAL
@given(data=st.data())
def test_generated_pages_get_the_same_answer_both_ways(
    data: st.DataObject, terminology: Terminology
) -> None:
    """The fuzzers' bodies as pages, read both ways (`oracles.agrees_with_in_range_twin`)."""
    page = data.draw(generated_bodies(terminology), label="page")
    agrees_with_in_range_twin(
        page,
        lambda p: outcome(whole, p, terminology),
        lambda p: outcome(as_bytes, p, terminology),
        too_large,
    )
