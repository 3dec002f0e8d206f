"""The hook body's msgspec path (prefetch resources kept as bytes) answers exactly as the
whole-body orjson path: the same assessment, or the same status, code, message and paths.

Each case also says which path must be taken, so a case meant for the fast path cannot
pass by falling back.
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import msgspec
import pytest

import service.cds.request as request_module
from service.cds.discovery import prefetch_keys
from service.cds.prefetch import FetchLimits, gather_prefetch
from service.cds.request import HookRequest, parse_hook_request
from service.cds.screen import assess_hook
from service.errors import OmsError
from service.intake.prefetch import KnownPrefetch
from service.security.clients import TrustedClient
from service.terminology import Terminology
from tests.cds.builders import CORPUS, hook_request, risk_example, searchset

CLIENT = TrustedClient(iss="https://ehr.example.org", fhir_servers=())
Json = dict[str, Any]


def _high() -> tuple[str, Json]:
    return risk_example("high")


def _with(change: Any) -> bytes:
    patient_id, prefetch = _high()
    body = hook_request(prefetch, patient_id=patient_id)
    change(body)
    return json.dumps(body).encode()


def _legacy(body: Json) -> None:
    body["prefetch"]["conditions"] = {
        "response": {"status": "200 OK"},
        "resource": body["prefetch"]["conditions"],
    }


def _contained_not_array(body: Json) -> None:
    body["prefetch"]["conditions"]["entry"][0]["resource"]["contained"] = 5


def _entries_not_objects(body: Json) -> None:
    body["prefetch"]["observations"]["entry"] = [1, 2]


def _entry_not_array(body: Json) -> None:
    body["prefetch"]["observations"]["entry"] = {"resource": {}}


def _odd_entry_resources(body: Json) -> None:
    entries = body["prefetch"]["observations"]["entry"]
    entries += [{"resource": None}, {"resource": "text"}, {"fullUrl": "x"}, {"resource": []}]


def _failed_search(body: Json) -> None:
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error"}]}
    body["prefetch"]["conditions"]["entry"].append({"resource": outcome})


def _repeated_across_searches(body: Json) -> None:
    body["prefetch"]["observationsByValue"] = copy.deepcopy(body["prefetch"]["observations"])


def _patient_of_another(body: Json) -> None:
    entry = body["prefetch"]["conditions"]["entry"][0]["resource"]
    entry["subject"] = {"reference": "Patient/someone-else"}


def _no_resource_type(body: Json) -> None:
    del body["prefetch"]["conditions"]["entry"][0]["resource"]["resourceType"]


def _null_values(body: Json) -> None:
    body["prefetch"].update(conditions=None, observationsByValue=None)


def _patient_null(body: Json) -> None:
    body["prefetch"]["patient"] = None


def _patient_as_bundle(body: Json) -> None:
    body["prefetch"]["patient"] = searchset([body["prefetch"]["patient"]])


def _invalid_condition(body: Json) -> None:
    body["prefetch"]["conditions"]["entry"][0]["resource"]["onsetDateTime"] = "yesterday"


def _prefetch_array(body: Json) -> None:
    body["prefetch"] = []


def _value_not_an_object(body: Json) -> None:
    body["prefetch"]["observations"] = 5


def _wrong_hook(body: Json) -> None:
    body["hook"] = "order-select"


def _empty_searches(body: Json) -> None:
    for key in ("conditions", "observations", "observationsByValue"):
        body["prefetch"][key] = searchset([])


#: (id, body, fast path taken)
CASES: list[tuple[str, bytes, bool]] = [
    ("high example", _with(lambda b: None), True),
    ("legacy wrapper", _with(_legacy), True),
    ("contained not an array", _with(_contained_not_array), True),
    ("entries not objects", _with(_entries_not_objects), True),
    ("entry not an array", _with(_entry_not_array), True),
    ("odd entry resources", _with(_odd_entry_resources), True),
    ("failed search", _with(_failed_search), True),
    ("repeated across searches", _with(_repeated_across_searches), True),
    ("condition about another patient", _with(_patient_of_another), True),
    ("entry without resourceType", _with(_no_resource_type), True),
    ("null values", _with(_null_values), True),
    ("patient null", _with(_patient_null), True),
    ("patient as a searchset", _with(_patient_as_bundle), True),
    ("invalid condition", _with(_invalid_condition), True),
    ("prefetch an array", _with(_prefetch_array), False),
    ("a value not an object", _with(_value_not_an_object), True),
    ("wrong hook", _with(_wrong_hook), True),
    ("empty searches", _with(_empty_searches), True),
    ("byte-order mark", b"\xef\xbb\xbf" + _with(lambda b: None), True),
    ("body an array", b"[1, 2]", False),
    ("not JSON", b'{"hook": "patient-view",', False),
    (
        "invalid UTF-8 in a string",
        _with(lambda b: b.update(x="\u00e9")).replace(b'"\\u00e9"', b'"\xff"'),
        False,
    ),
]
CASES += [
    (f"corpus {path.parent.name}/{path.name}", path.read_bytes(), True)
    for path in sorted(CORPUS.rglob("*.json"))
]


def _moderate() -> bytes:
    patient_id, prefetch = risk_example("moderate")
    return json.dumps(hook_request(prefetch, patient_id=patient_id)).encode()


CASES.insert(1, ("moderate example", _moderate(), True))


def answer(body: bytes, terminology: Terminology) -> Any:
    """What the hook answers: the assessment, or the error in all its parts."""
    try:
        request = parse_hook_request(body)
        found = asyncio.run(
            gather_prefetch(request, prefetch_keys(terminology), CLIENT, FetchLimits())
        )
        result = assess_hook(request, found, terminology)
    except OmsError as error:
        issues = [(i.code, i.message, i.expression) for i in error.more]
        return (
            type(error).__name__,
            error.status,
            error.code,
            error.message,
            error.expression,
            issues,
        )
    return result.patient, result.assessment, result.evidence, result.kept_count


def _fast(request: HookRequest) -> bool:
    values = (request.prefetch or {}).values()
    return any(isinstance(v.resource, msgspec.Raw) for v in values)


@pytest.mark.parametrize(("body", "fast"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_both_paths_answer_alike(
    body: bytes, fast: bool, terminology: Terminology, monkeypatch: pytest.MonkeyPatch
) -> None:
    took_fast = False

    class Watched:
        def __init__(self, decoder: Any) -> None:
            self.decoder = decoder

        def decode(self, data: bytes) -> Any:
            nonlocal took_fast
            members = self.decoder.decode(data)
            took_fast = members.prefetch is not None
            return members

    for name in ("_HOOK_BODY", "_ANY_PREFETCH_HOOK_BODY"):
        monkeypatch.setattr(request_module, name, Watched(getattr(request_module, name)))
    fast_answer = answer(body, terminology)
    has_prefetch = b'"prefetch"' in body
    assert took_fast is (fast and has_prefetch)

    monkeypatch.setattr(request_module, "skeleton_safe", lambda data: False)
    took_fast = False
    slow_answer = answer(body, terminology)
    assert took_fast is False
    assert fast_answer == slow_answer


def test_the_fast_path_keeps_prefetch_resources_as_bytes() -> None:
    request = parse_hook_request(_with(lambda b: None))
    assert _fast(request)
    assert request.prefetch is not None
    conditions = request.prefetch["conditions"].entries
    assert conditions is not None and conditions[0].head is not None


def test_a_legacy_wrapped_value_is_read_through_its_wrapper() -> None:
    body = _with(_legacy)
    request = parse_hook_request(body)
    assert request.prefetch is not None
    value = request.prefetch["conditions"]
    assert value.resource_type == "Bundle"
    assert [e.ident for e in value.entries or ()] == ["nb-1", "myoclonus-1"]


def test_the_typed_prefetch_has_exactly_the_keys_the_service_asks_for(
    terminology: Terminology,
) -> None:
    """One decode reads the four keys typed; a key added to discovery must be added there."""
    assert KnownPrefetch.__struct_fields__ == tuple(k.name for k in prefetch_keys(terminology))


def test_a_request_with_the_usual_prefetch_is_read_in_one_decode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Refused:
        def decode(self, data: bytes) -> None:
            raise AssertionError("the per-key reading was used")

    monkeypatch.setattr(request_module, "_ANY_PREFETCH_HOOK_BODY", Refused())
    request = parse_hook_request(_with(lambda b: None))
    assert _fast(request)


def _screened(request: HookRequest, found: Any, terminology: Terminology) -> Any:
    try:
        result = assess_hook(request, found, terminology)
    except OmsError as error:
        return type(error).__name__, error.status, error.expression
    return result.patient, result.assessment, result.evidence, result.kept_count


#: The cases whose request and prefetch are read without error (the screen is what differs).
SCREENED = {
    "high example", "moderate example", "legacy wrapper", "contained not an array",
    "odd entry resources", "repeated across searches", "condition about another patient",
    "entry without resourceType", "null values", "patient as a searchset", "invalid condition",
    "empty searches", "byte-order mark",
}  # fmt: skip


@pytest.mark.parametrize("payload", [pytest.param(p, id=n) for n, p, _ in CASES if n in SCREENED])
def test_records_screened_twice_give_the_same_answer(
    payload: bytes, terminology: Terminology
) -> None:
    """A high-risk hook is screened again once the treatment record the prefetch lacked is
    read: the walk must leave the prefetch's records (and the heads read with them) as it
    found them, or the second screen loses the evidence."""
    request = parse_hook_request(payload)
    found = asyncio.run(gather_prefetch(request, prefetch_keys(terminology), CLIENT, FetchLimits()))
    first = _screened(request, found, terminology)
    assert _screened(request, found, terminology) == first


def test_the_high_example_screened_twice_keeps_its_evidence(terminology: Terminology) -> None:
    payload = json.dumps(hook_request(_high()[1], patient_id=_high()[0])).encode()
    request = parse_hook_request(payload)
    found = asyncio.run(gather_prefetch(request, prefetch_keys(terminology), CLIENT, FetchLimits()))
    assess_hook(request, found, terminology)
    again = assess_hook(request, found, terminology)
    assert str(again.assessment.risk) == "high"
    assert again.kept_count > 0


def _height(body: Json, value: object) -> None:
    """A height Observation (no candidate: its head is read, its value is not)."""
    subject = {"reference": f"Patient/{body['context']['patientId']}"}
    height = {
        "resourceType": "Observation",
        "id": "height-1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2"}]},
        "subject": subject,
        "valueQuantity": {"value": value, "unit": "cm"},
    }
    body["prefetch"]["observations"]["entry"].append({"resource": height})


#: Numbers too large for a double (valid FHIR) where the service reads nothing:
#: (id, change writing "BIG" where the number goes, the same change with an in-range one).
UNREAD_NUMBERS = [
    ("a member of the request", lambda b: b.update(x="BIG"), lambda b: b.update(x=1)),
    (
        "the value of an Observation that is no candidate",
        lambda b: _height(b, "BIG"),
        lambda b: _height(b, 1),
    ),
]


@pytest.mark.parametrize(
    ("change", "twin"), [pytest.param(c, t, id=name) for name, c, t in UNREAD_NUMBERS]
)
def test_a_number_too_large_for_a_double_where_nothing_reads_it_is_skipped(
    change: Any, twin: Any, terminology: Terminology
) -> None:
    payload = _with(change).replace(b'"BIG"', b"1e400")
    assert _fast(parse_hook_request(payload))
    assert answer(payload, terminology) == answer(_with(twin), terminology)


def _in_a_candidate(body: Json) -> None:
    body["prefetch"]["conditions"]["entry"][0]["resource"]["note"] = [{"x": "BIG"}]


def _in_the_context(body: Json) -> None:
    body["context"]["x"] = "BIG"


@pytest.mark.parametrize(
    ("change", "expression"),
    [
        pytest.param(_in_a_candidate, ["prefetch.conditions.entry[0].resource"], id="a-candidate"),
        pytest.param(_in_the_context, [], id="the-context-read-whole"),
    ],
)
def test_a_number_too_large_for_a_double_where_the_service_reads_it_is_a_400(
    change: Any, expression: list[str], terminology: Terminology
) -> None:
    refused = answer(_with(change).replace(b'"BIG"', b"1e400"), terminology)
    assert refused[1:3] == (400, "not-supported"), refused
    assert "too large for this service to read" in refused[3]
    assert refused[4] == expression
