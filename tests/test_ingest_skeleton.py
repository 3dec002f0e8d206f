"""The skeleton path of ingest (msgspec, resources kept as bytes) answers exactly as the
whole-body orjson path: same result, or the same status, code, message and FHIRPath.

Each case also says which path `ingest` must take, so a case meant for the skeleton
cannot pass by falling back, and a case orjson refuses cannot slip through msgspec.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import service.intake.body as skeleton_path
import service.intake.guards as guards
import service.intake.walk as walk
from service.errors import OmsError
from service.intake import IngestResult
from service.intake import read_body as ingest
from service.intake.heads import Resource
from service.terminology import Terminology
from tests.builders import (
    HPO,
    LOINC,
    SCT,
    body,
    bundle,
    concept,
    condition,
    observation,
    patient,
    whole_parse,
)
from tests.fuzz.oracles import DIFFERENTIAL, agrees_with_in_range_twin
from tests.fuzz.strategies import generated_bodies

NB = (SCT, "432328008")
OPSOCLONUS = (HPO, "HP:0010543")
HEIGHT = (LOINC, "8302-2")

Outcome = IngestResult | tuple[str, int, str, str, list[str]]


def outcome(run: Any, payload: bytes, terminology: Terminology, max_entries: int) -> Outcome:
    try:
        result: IngestResult = run(payload, terminology, max_entries)
    except OmsError as error:
        return type(error).__name__, error.status, error.code, error.message, error.expression
    return result


def too_large(answer: Outcome) -> bool:
    """Whether the answer is the 400 for a number too large for the service to read."""
    return isinstance(answer, tuple) and answer[1:3] == (400, "not-supported")


def run_ingest(payload: bytes, terminology: Terminology, max_entries: int) -> IngestResult:
    return ingest(payload, terminology, max_entries=max_entries)


def height(id: str = "h1", subject: str | None = "Patient/p1") -> dict[str, Any]:
    return observation(HEIGHT, id=id, subject=subject, valueQuantity={"value": 1.2})


def raw_bundle(*resources: bytes) -> bytes:
    """A collection Bundle whose entries' resources are the given JSON texts, verbatim."""
    entries = b",".join(b'{"resource":' + r + b"}" for r in resources)
    return b'{"resourceType":"Bundle","type":"collection","entry":[' + entries + b"]}"


PATIENT = body(patient())


NESTED_1000 = b'{"resourceType":"Basic","x":' + b"[" * 998 + b"]" * 998 + b"}"
NESTED_1025 = b'{"resourceType":"Basic","x":' + b"[" * 1024 + b"]" * 1024 + b"}"

#: (id, body, max_entries, skeleton path taken)
CASES: list[tuple[str, bytes, int, bool]] = [
    (
        "patient, OMS condition and a height",
        body(bundle(patient(), condition(NB), height())),
        100,
        True,
    ),
    (
        "a Parameters wrapping the bundle",
        body(
            {
                "resourceType": "Parameters",
                "parameter": [
                    {"name": "other", "valueString": "x"},
                    {"name": "bundle", "resource": bundle(patient(), observation(OPSOCLONUS))},
                ],
            }
        ),
        100,
        True,
    ),
    (
        "a Parameters with two bundle parts",
        body(
            {
                "resourceType": "Parameters",
                "parameter": [{"name": "bundle", "resource": bundle()}] * 2,
            }
        ),
        100,
        True,
    ),
    (
        "a Parameters without a bundle part",
        body({"resourceType": "Parameters", "parameter": [{"name": "x"}]}),
        100,
        True,
    ),
    (
        "a bundle part holding a Patient",
        body(
            {"resourceType": "Parameters", "parameter": [{"name": "bundle", "resource": patient()}]}
        ),
        100,
        True,
    ),
    ("a Patient instead of a Bundle", PATIENT, 100, True),
    ("an object without resourceType", b'{"entry":[]}', 100, True),
    ("a resourceType that is a number", b'{"resourceType":7}', 100, True),
    ("an empty bundle", body(bundle()), 100, True),
    (
        "a non-candidate resource that is a string",
        raw_bundle(PATIENT, b'"text"', body(condition(NB))),
        100,
        True,
    ),
    (
        "null resources and a search outcome holding a string",
        b'{"resourceType":"Bundle","type":"searchset","entry":[{"resource":null},{},'
        b'{"search":{"mode":"outcome"},"resource":"x"},{"search":{"mode":"match"},"resource":'
        + PATIENT
        + b"}]}",
        100,
        True,
    ),
    (
        # The skeleton types `search`: one that is no object is read by the whole parse.
        "a search that is a string",
        b'{"resourceType":"Bundle","type":"searchset","entry":[{"resource":null},{},'
        b'{"search":{"mode":"outcome"},"resource":"x"},{"search":"match","resource":'
        + PATIENT
        + b"}]}",
        100,
        True,
    ),
    (
        "a searchset whose total is past 64 bits (an int to msgspec, a float to orjson)",
        body(bundle(patient()) | {"type": "searchset", "total": 0}).replace(
            b'"total":0', b'"total":123456789012345678901234567890'
        ),
        100,
        True,
    ),
    (
        "evidence about two patients",
        body(bundle(patient(), condition(NB, subject="Patient/p2"))),
        100,
        True,
    ),
    (
        "a second Patient",
        body(bundle(patient(), condition(NB), patient("p2"))),
        100,
        True,
    ),
    (
        "patient known only from non-candidate subjects",
        body(bundle(height("h1"), height("h2"), observation(OPSOCLONUS, subject=None))),
        100,
        True,
    ),
    (
        "non-candidate subjects naming two patients",
        body(bundle(height("h1"), height("h2", subject="Patient/p2"))),
        100,
        True,
    ),
    (
        "non-candidate subject pointing at an Encounter entry",
        body(
            {
                "resourceType": "Bundle",
                "entry": [
                    {"fullUrl": "urn:uuid:e1", "resource": {"resourceType": "Encounter"}},
                    {"resource": height(subject="urn:uuid:e1")},
                ],
            }
        ),
        100,
        True,
    ),
    ("no patient at all", body(bundle({"resourceType": "Basic"})), 100, True),
    (
        "an invalid candidate",
        body(bundle(patient(), condition(NB, onsetDateTime="yesterday"))),
        100,
        True,
    ),
    (
        "an invalid non-candidate is never read",
        body(bundle(patient(), observation(HEIGHT, status="nonsense", issued="x"))),
        100,
        True,
    ),
    ("more entries than allowed", body(bundle(patient(), height(), height())), 2, True),
    (
        "fullUrls: Patient found by urn, a number ignored",
        body(
            {
                "resourceType": "Bundle",
                "entry": [
                    {"fullUrl": " urn:uuid:p ", "resource": patient(None)},
                    {"fullUrl": 7, "resource": condition(NB, subject="urn:uuid:p")},
                ],
            }
        ),
        100,
        True,
    ),
    (
        "duplicate keys: the last resourceType wins",
        raw_bundle(
            PATIENT,
            b'{"resourceType":"Condition","resourceType":"Basic","code":'
            + body(concept(NB))
            + b"}",
        ),
        100,
        True,
    ),
    (
        "escaped keys name the same elements",
        raw_bundle(
            PATIENT,
            b'{"resour\\u0063eType":"Condition","\\u0063ode":'
            + body(concept(NB))
            + b',"subject":{"reference":"Patient/p1"}}',
        ),
        100,
        True,
    ),
    (
        "non-ASCII text in a non-candidate",
        body(bundle(patient(), height() | {"note": [{"text": "Größe — 身長"}]}, condition(NB))),
        100,
        True,
    ),
    ("nesting of 1000 levels in a non-candidate", raw_bundle(PATIENT, NESTED_1000), 100, False),
    ("nesting past 1024 levels in a non-candidate", raw_bundle(PATIENT, NESTED_1025), 100, False),
    (
        "digits after an escaped > in a narrative",
        raw_bundle(PATIENT, b'{"resourceType":"Basic","text":"\\u003ctd\\u003e135 "}'),
        100,
        True,
    ),
    (
        "a 3-digit negative exponent, before a tab (0 to both readers)",
        raw_bundle(PATIENT, b'{"resourceType":"Basic","x":-1e-400\t}'),
        100,
        True,
    ),
    ("a body cut after an exponent", raw_bundle(PATIENT, b'{"x":1e400}')[:-3], 100, False),
    (
        "UUIDs holding 0e000 and ending in e000",
        raw_bundle(
            PATIENT,
            b'{"resourceType":"Basic","id":"b0e00012-0e00-4e00-8e00-10e000a0e000",'
            b'"x":["20e000", "3e0000f"]}',
        ),
        100,
        True,
    ),
    (
        "a tiny decimal",
        raw_bundle(PATIENT, b'{"resourceType":"Basic","x":1.0e-245}'),
        100,
        True,
    ),
    (
        "invalid UTF-8 in a non-candidate",
        raw_bundle(PATIENT, b'{"resourceType":"Basic","x":"\xff"}'),
        100,
        False,
    ),
    (
        "an encoded surrogate in a non-candidate",
        raw_bundle(PATIENT, b'{"resourceType":"Basic","x":"\xed\xa0\x80"}'),
        100,
        False,
    ),
    (
        "a lone surrogate escape",
        raw_bundle(PATIENT, b'{"resourceType":"Basic","x":"\\ud800"}'),
        100,
        False,
    ),
    ("an entry that is not an object", b'{"resourceType":"Bundle","entry":[1]}', 100, False),
    ("entry that is not an array", b'{"resourceType":"Bundle","entry":{}}', 100, False),
    ("entry null", b'{"resourceType":"Bundle","entry":null}', 100, False),
    (
        "too many entries, one not an object",
        b'{"resourceType":"Bundle","entry":[1,{},{}]}',
        2,
        False,
    ),
    (
        "a parameter that is not an object",
        b'{"resourceType":"Parameters","parameter":[1,{"name":"bundle","resource":'
        + body(bundle(patient()))
        + b"}]}",
        100,
        False,
    ),
    ("a JSON array", b"[]", 100, False),
    ("truncated JSON", body(bundle(patient()))[:-3], 100, False),
    ("trailing content", body(bundle(patient())) + b" x", 100, False),
    ("an empty body", b"", 100, False),
    ("a byte order mark", b"\xef\xbb\xbf" + body(bundle(patient())), 100, False),
    ("a trailing comma", raw_bundle(PATIENT, b'{"x":[1,]}'), 100, False),
]


@pytest.mark.parametrize(
    ("payload", "max_entries", "skeleton"),
    [pytest.param(p, m, s, id=name) for name, p, m, s in CASES],
)
def test_skeleton_path_answers_as_the_whole_parse(
    payload: bytes, max_entries: int, skeleton: bool, terminology: Terminology
) -> None:
    assert (skeleton_path.decode_skeleton(payload) is not None) is skeleton
    expected = outcome(whole_parse, payload, terminology, max_entries)
    actual = outcome(lambda b, t, m: ingest(b, t, max_entries=m), payload, terminology, max_entries)
    assert actual == expected


@DIFFERENTIAL
@given(data=st.data())
def test_generated_bodies_get_the_same_answer_on_both_paths(
    data: st.DataObject, terminology: Terminology
) -> None:
    """The fuzzers' bodies through both readings (`oracles.agrees_with_in_range_twin`)."""
    payload = data.draw(generated_bodies(terminology), label="body")
    agrees_with_in_range_twin(
        payload,
        lambda b: outcome(whole_parse, b, terminology, 100),
        lambda b: outcome(run_ingest, b, terminology, 100),
        too_large,
    )


def test_the_cases_cover_results_and_each_error_status(terminology: Terminology) -> None:
    """So the differential above compares answers, not only one kind of failure."""
    kinds = {
        "result" if isinstance(o, IngestResult) else o[1]
        for o in (outcome(whole_parse, p, terminology, m) for _, p, m, _ in CASES)
    }
    assert kinds == {"result", 400, 413, 422}


def _basic(number: bytes) -> bytes:
    return raw_bundle(PATIENT, b'{"resourceType":"Basic","x":' + number + b"}")


#: Numbers too large for a double (valid FHIR: a decimal has no range) where the service
#: reads nothing: (id, body, the same body with an in-range number in their place).
UNREAD_NUMBERS: list[tuple[str, bytes, bytes]] = [
    ("an integer of 320 digits", _basic(b"9" * 320), _basic(b"9")),
    ("an exponent past a double's", _basic(b"[1, 99e307]"), _basic(b"[1, 99]")),
    ("a negative one after whitespace", _basic(b"\n -2.5E+400\n"), _basic(b"\n -2.5\n")),
    ("an exponent with leading zeros", _basic(b"1e00400"), _basic(b"1e004")),
    (
        "the last element of the body's last resource",
        b'{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Basic","x":1E400}}]}',
        b'{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Basic","x":1}}]}',
    ),
    (
        "a value of an Observation that is no candidate",
        body(bundle(patient(), condition(NB), height() | {"valueQuantity": {"value": 1}})).replace(
            b'"value":1}', b'"value":1e400}'
        ),
        body(bundle(patient(), condition(NB), height() | {"valueQuantity": {"value": 1}})),
    ),
]


@pytest.mark.parametrize(
    ("payload", "twin"), [pytest.param(p, t, id=name) for name, p, t in UNREAD_NUMBERS]
)
def test_a_number_too_large_for_a_double_where_nothing_reads_it_is_skipped(
    payload: bytes, twin: bytes, terminology: Terminology
) -> None:
    """The answer is the one for an in-range number there, where orjson's reading of the
    whole body refuses it (a 400 telling it apart from JSON that is not valid)."""
    assert skeleton_path.decode_skeleton(payload) is not None
    assert outcome(run_ingest, payload, terminology, 100) == outcome(
        whole_parse, twin, terminology, 100
    )
    refused = outcome(whole_parse, payload, terminology, 100)
    assert too_large(refused) and isinstance(refused, tuple)
    assert "(at position " in refused[3]


#: Where the service reads such a number: (id, body, the element the 400 names).
READ_NUMBERS: list[tuple[str, bytes, list[str]]] = [
    (
        "in a candidate (parsed whole)",
        body(bundle(patient(), condition(NB) | {"note": [{"x": "BIG"}]})),
        ["Bundle.entry[1].resource"],
    ),
    ("in the Patient", body(bundle(patient() | {"x": "BIG"})), ["Bundle.entry[0].resource"]),
    (
        "in an element a head reads (meta)",
        body(bundle(patient(), height() | {"meta": {"x": "BIG"}})),
        ["Bundle.entry[1].resource"],
    ),
    (
        "in the request of a DELETE entry",
        body(
            bundle(patient())
            | {"type": "history"}
            | {"entry": [{"resource": patient()}, {"request": {"method": "DELETE", "x": "BIG"}}]}
        ),
        ["Bundle.entry[1].request"],
    ),
    (
        "in a nested Bundle's own element",
        body(bundle(patient(), {"resourceType": "Bundle", "total": "BIG", "entry": [1]})),
        ["Bundle.entry[1].resource"],
    ),
    ("in the Bundle's total (the body read whole)", body(bundle(patient()) | {"total": "BIG"}), []),
]


@pytest.mark.parametrize(
    ("payload", "expression"),
    [pytest.param(p.replace(b'"BIG"', b"1e400"), e, id=name) for name, p, e in READ_NUMBERS],
)
def test_a_number_too_large_for_a_double_where_the_service_reads_it_is_a_400(
    payload: bytes, expression: list[str], terminology: Terminology
) -> None:
    refused = outcome(run_ingest, payload, terminology, 100)
    assert too_large(refused) and isinstance(refused, tuple), refused
    assert "too large for this service to read" in refused[3]
    assert refused[4] == expression


@pytest.fixture
def parsed_resources(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The resourceType of every resource the skeleton path parses in full."""
    seen: list[str] = []
    whole = walk.whole

    def spy(raw: Resource, where: str) -> dict[str, Any]:
        resource = whole(raw, where)
        seen.append(resource["resourceType"])
        return resource

    monkeypatch.setattr(walk, "whole", spy)
    yield seen


def test_only_patients_and_candidates_are_parsed(
    parsed_resources: list[str], terminology: Terminology
) -> None:
    document = bundle(
        height("h1"), patient(), height("h2"), condition(NB), {"resourceType": "Encounter"}
    )
    result = ingest(body(document), terminology)
    assert parsed_resources == ["Patient", "Condition"]
    assert [k.resource["id"] for k in result.conditions] == ["c1"]


def _deep(levels: int) -> bytes:
    """A Bundle whose Patient carries an extension nested `levels` deep (written as text:
    orjson will not serialise so deep)."""
    nested = b'{"url": "x"' + b', "extension": [{"url": "x"' * levels + b"}]" * levels + b"}"
    return (
        b'{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": '
        b'{"resourceType": "Patient", "id": "p1", "extension": [' + nested + b"]}}]}"
    )


def test_a_raised_recursion_limit_checks_the_depth_itself(terminology: Terminology) -> None:
    """msgspec's depth bound is the recursion limit; past 1024 the body's own depth is
    checked: a FHIR-shaped body still takes the skeleton, a deep one the orjson path."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(5000)
    try:
        assert skeleton_path.decode_skeleton(body(bundle(patient()))) is not None
        assert skeleton_path.decode_skeleton(_deep(60)) is None
    finally:
        sys.setrecursionlimit(limit)
    if guards._DEPTH_BOUNDED_BY_RECURSION_LIMIT:  # CPython 3.11, default limit
        assert skeleton_path.decode_skeleton(_deep(60)) is not None


def test_pythons_whose_c_recursion_has_its_own_bound_check_the_depth(
    monkeypatch: pytest.MonkeyPatch, terminology: Terminology
) -> None:
    """CPython 3.12+: the skeleton serves bodies nested less than ~96 levels; deeper ones
    take the orjson path, so orjson's 413 past 1024 still holds."""
    monkeypatch.setattr(guards, "_DEPTH_BOUNDED_BY_RECURSION_LIMIT", False)
    assert skeleton_path.decode_skeleton(body(bundle(patient()))) is not None
    assert skeleton_path.decode_skeleton(_deep(60)) is None
    with pytest.raises(OmsError) as raised:
        ingest(_deep(1100), terminology)
    assert raised.value.status == 413


@pytest.mark.parametrize(
    ("brackets", "shallow"),
    [
        pytest.param(b"", True, id="none"),
        pytest.param(b'{"a": [{"b": []}, {}]}', True, id="fhir-like"),
        pytest.param(b"[" * 40 + b"]" * 40, True, id="40-levels"),
        pytest.param(b"[" * 60 + b"]" * 60, False, id="60-levels"),
        pytest.param(b'{"a": "]"}', False, id="unbalanced-string-says-no"),
        pytest.param(b"[[]", False, id="unbalanced"),
    ],
)
def test_the_depth_check(brackets: bytes, shallow: bool) -> None:
    assert guards._shallow(brackets) is shallow


def test_invalid_json_position_is_orjsons(terminology: Terminology) -> None:
    payload = body(bundle(patient()))[:-3]
    with pytest.raises(orjson.JSONDecodeError) as parsed:
        orjson.loads(payload)
    with pytest.raises(OmsError) as raised:
        ingest(payload, terminology)
    assert raised.value.message.endswith(f"(at position {parsed.value.pos})")
