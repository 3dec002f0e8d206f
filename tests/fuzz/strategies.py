"""Hypothesis strategies for FHIR-ish payloads: mostly plausible, often subtly wrong.

Criterion codes come from the real ValueSets (the Terminology), so a good share of the
generated evidence reaches the rules; the rest is wrong types, missing fields, odd
references, bogus statuses, deep nesting, unicode and huge numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from hypothesis import strategies as st

from service.terminology import Terminology

Json = dict[str, Any]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_BYTES = {path.stem: path.read_bytes() for path in sorted(EXAMPLES.glob("*.json"))}

SCT = "http://snomed.info/sct"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

#: Stands for a number too big for Python's JSON encoders; `encoded` writes one in.
HUGE = "HUGE-NUMBER-SENTINEL"
HUGE_NUMBERS = [b"1e999", b"-1e999", b"123456789012345678901234567890", b"1e-400", b"-0"]

#: Any JSON value, including the awkward ones: unicode, huge numbers, nesting.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.just(HUGE),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["", " ", "\u0000", "\ud7ff\ue000", "🧠", "Patient/", "urn:uuid:", "#"]),
)
#: Truthy values of every JSON type: what type confusion looks like after `x or []`.
wrong_types = st.one_of(
    st.integers(min_value=1, max_value=2**63 - 1),
    st.floats(min_value=0.5, max_value=1e300),
    st.text(min_size=1, max_size=8),
    st.just(True),
    st.dictionaries(st.text(max_size=4), scalars, min_size=1, max_size=2),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


#: What a plausible payload puts where a hostile one puts junk: nothing at all.
NO_JUNK: st.SearchStrategy[object] = st.nothing()


def codings(terminology: Terminology, junk: st.SearchStrategy[object]) -> st.SearchStrategy[Json]:
    """Mostly criterion codes from the ValueSets (with system aliases and whitespace)."""
    criterion_pairs = sorted(
        {pair for pairs in terminology.criterion_codes.values() for pair in pairs}
    )
    aliases = sorted(terminology.system_aliases)
    real = st.sampled_from(criterion_pairs).flatmap(
        lambda pair: st.fixed_dictionaries(
            {
                "system": st.sampled_from([pair[0], *aliases, f" {pair[0]} "]),
                "code": st.sampled_from([pair[1], f" {pair[1]}", pair[1].lower()]),
            },
            optional={"display": st.text(max_size=20)},
        )
    )
    bogus = st.fixed_dictionaries(
        {"system": st.sampled_from(["http://example.org/local", SCT])},
        optional={"code": st.one_of(st.text(max_size=10), junk)},
    )
    return st.one_of(real, real, real, bogus)


def concepts(
    terminology: Terminology, junk: st.SearchStrategy[object]
) -> st.SearchStrategy[object]:
    concept = st.fixed_dictionaries(
        {"coding": st.lists(codings(terminology, junk), min_size=1, max_size=3)},
        optional={"text": st.text(max_size=20)},
    )
    return st.one_of(concept, concept, concept, junk)


def finding_values(
    terminology: Terminology, junk: st.SearchStrategy[object]
) -> st.SearchStrategy[object]:
    values = sorted(terminology.present_values | terminology.absent_values)
    coded = st.sampled_from(values).map(
        lambda pair: {"coding": [{"system": pair[0], "code": pair[1]}]}
    )
    return st.one_of(coded, coded, junk)


def status_concepts(
    system: str, codes: list[str], junk: st.SearchStrategy[object]
) -> st.SearchStrategy[object]:
    good = st.sampled_from(codes).map(lambda code: {"coding": [{"system": system, "code": code}]})
    return st.one_of(good, good, good, junk)


def references(
    patient_id: str, patient_full_url: str, junk: st.SearchStrategy[object]
) -> st.SearchStrategy[object]:
    """How a resource may point at its patient: relative, absolute, urn:uuid, contained,
    logical, to someone else, or nothing usable."""
    return st.one_of(
        st.sampled_from(
            [
                {"reference": f"Patient/{patient_id}"},
                {"reference": patient_full_url},
                {"reference": f"https://ehr.example.org/fhir/Patient/{patient_id}"},
                {"reference": "urn:uuid:00000000-0000-4000-8000-000000000000"},
                {"reference": "#p"},
                {"reference": "Patient/someone-else"},
                {"reference": "Group/g1"},
                {"identifier": {"system": "urn:oid:1.2.3", "value": "MRN-1"}},
                {"display": "no reference"},
                {"reference": ""},
                {},
            ]
        ),
        junk,
    )


def conditions(
    terminology: Terminology,
    patient_id: str,
    patient_full_url: str,
    junk: st.SearchStrategy[object] = NO_JUNK,
) -> st.SearchStrategy[Json]:
    return st.fixed_dictionaries(
        {"resourceType": st.just("Condition")},
        optional={
            "id": st.one_of(st.from_regex(r"[a-z0-9\-]{1,12}", fullmatch=True), junk),
            "code": concepts(terminology, junk),
            "subject": references(patient_id, patient_full_url, junk),
            "clinicalStatus": status_concepts(
                CLINICAL, ["active", "recurrence", "relapse", "inactive", "resolved", "bogus"], junk
            ),
            "verificationStatus": status_concepts(
                VERIFICATION,
                ["confirmed", "provisional", "differential", "refuted", "entered-in-error", "x"],
                junk,
            ),
            "onsetDateTime": st.one_of(
                st.sampled_from(["2026-11-01", "2026", "2026-11-01T08:00:00+01:00"]),
                junk.map(lambda _: "2026-13-45"),
            ),
            "contained": st.just([{"resourceType": "Patient", "id": "p"}]),
            "extension": st.lists(junk, min_size=1, max_size=2),
        },
    )


def observations(
    terminology: Terminology,
    patient_id: str,
    patient_full_url: str,
    junk: st.SearchStrategy[object] = NO_JUNK,
) -> st.SearchStrategy[Json]:
    return st.fixed_dictionaries(
        {"resourceType": st.just("Observation")},
        optional={
            "id": st.one_of(st.from_regex(r"[a-z0-9\-]{1,12}", fullmatch=True), junk),
            "status": st.one_of(
                st.sampled_from(
                    ["final", "preliminary", "amended", "cancelled", "entered-in-error", "bogus"]
                ),
                junk,
            ),
            "code": concepts(terminology, junk),
            "subject": references(patient_id, patient_full_url, junk),
            "valueCodeableConcept": finding_values(terminology, junk),
            "valueBoolean": st.one_of(st.booleans(), junk),
            "valueQuantity": st.fixed_dictionaries({"value": st.one_of(st.just(HUGE), scalars)}),
            "effectiveDateTime": st.one_of(
                st.just("2026-11-18"), junk.map(lambda _: "2026-11-18T25:00")
            ),
        },
    )


def patients(patient_id: str, junk: st.SearchStrategy[object] = NO_JUNK) -> st.SearchStrategy[Json]:
    return st.fixed_dictionaries(
        {"resourceType": st.just("Patient"), "id": st.one_of(st.just(patient_id), junk)},
        optional={
            "birthDate": st.one_of(st.just("2024-05-01"), junk.map(lambda _: "2024-02-30")),
            "name": st.one_of(st.just([{"family": "Ünïcødé-名前", "given": ["🧠"]}]), junk),
        },
    )


@st.composite
def findings(draw: st.DrawFn, terminology: Terminology, subject: str) -> list[Json]:
    """Per criterion, clean evidence that it is met, not met, or nothing (unknown), so that
    every risk level is reached and the oracle's level check has teeth."""
    found: list[Json] = []
    present = sorted(terminology.present_values)
    absent = sorted(terminology.absent_values)
    for n, criterion in enumerate(terminology.criteria):
        system, code = draw(st.sampled_from(sorted(terminology.criterion_codes[criterion])))
        concept = {"coding": [{"system": system, "code": code}]}
        state = draw(st.sampled_from(["met", "met", "not-met", "unknown"]))
        if state == "unknown":
            continue
        observation = draw(st.booleans())
        value = draw(st.sampled_from(present if state == "met" else absent))
        if observation:
            found.append(
                {
                    "resourceType": "Observation",
                    "id": f"finding-{n}",
                    "status": "final",
                    "code": concept,
                    "subject": {"reference": subject},
                    "valueCodeableConcept": {"coding": [{"system": value[0], "code": value[1]}]},
                }
            )
        else:
            found.append(
                {
                    "resourceType": "Condition",
                    "id": f"finding-{n}",
                    "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
                    "verificationStatus": {
                        "coding": [
                            {
                                "system": VERIFICATION,
                                "code": "confirmed" if state == "met" else "refuted",
                            }
                        ]
                    },
                    "code": concept,
                    "subject": {"reference": subject},
                }
            )
    return found


@st.composite
def bundles(draw: st.DrawFn, terminology: Terminology) -> Json:
    """A Bundle (sometimes wrapped in Parameters) of Patient/Condition/Observation entries.

    Half are plausible (well-typed; only codes, statuses and references vary), half
    hostile (junk may stand anywhere), so that both the rules and the refusals are hit.
    """
    hostile = draw(st.booleans(), label="hostile")
    junk = st.one_of(wrong_types, json_values) if hostile else NO_JUNK
    patient_id = draw(st.sampled_from(["p1", "pt-high-1", "x" * 64]))
    patient_full_url = draw(
        st.sampled_from(
            [
                f"https://ehr.example.org/fhir/Patient/{patient_id}",
                "urn:uuid:00000000-0000-4000-8000-000000000000",
                f"Patient/{patient_id}",
            ]
        )
    )
    condition = conditions(terminology, patient_id, patient_full_url, junk)
    observation = observations(terminology, patient_id, patient_full_url, junk)
    other = st.fixed_dictionaries(
        {"resourceType": st.sampled_from(["Encounter", "Bundle", "", "🧠"])}
    )
    resource = st.one_of(
        condition, condition, observation, observation, patients(patient_id, junk), other, junk
    )
    entry = st.fixed_dictionaries(
        {"resource": resource},
        optional={
            "fullUrl": st.one_of(
                st.sampled_from(
                    [patient_full_url, "urn:uuid:1", "https://ehr.example.org/fhir/Condition/c1"]
                ),
                junk,
            )
        },
    )
    entries: list[object] = draw(st.lists(st.one_of(entry, junk), max_size=8))
    if draw(st.sampled_from([True, True, False])):
        clean = draw(findings(terminology, f"Patient/{patient_id}"))
        entries.extend({"resource": resource} for resource in clean)
    if draw(st.sampled_from([True, True, True, False])):
        entries.insert(0, {"fullUrl": patient_full_url, "resource": draw(patients(patient_id))})
    if entries and draw(st.booleans()):
        entries.extend(entries[: draw(st.integers(1, 3))])  # duplicated entries
    kind = st.sampled_from(["collection", "searchset", "transaction", "batch", "document"])
    bundle: Json = {
        "resourceType": "Bundle",
        "type": draw(st.one_of(kind, junk.map(lambda _: "bogus"))),
        "entry": draw(st.one_of(st.just(entries), junk)),
    }
    if draw(st.sampled_from([False] * 5 + [True])):
        parts = [
            [{"name": "bundle", "resource": bundle}],
            [{"name": "bundle", "resource": bundle}, {"name": "bundle"}],
            [{"name": "other", "resource": bundle}],
            [{"name": "bundle", "valueString": "x"}],
            [],
        ]
        return {
            "resourceType": "Parameters",
            "parameter": draw(st.sampled_from(parts if hostile else parts[:1])),
        }
    return bundle


@st.composite
def encoded(draw: st.DrawFn, document: object) -> bytes:
    """The document as JSON with huge numbers written in, sometimes after a BOM."""
    body = orjson.dumps(document)
    sentinel = orjson.dumps(HUGE)
    while sentinel in body:
        body = body.replace(sentinel, draw(st.sampled_from(HUGE_NUMBERS)), 1)
    return draw(st.sampled_from([body] * 8 + [b"\xef\xbb\xbf" + body, b" \n" + body]))


def deeply_nested() -> st.SearchStrategy[bytes]:
    """Entries nested as arrays or as resources past any parser's recursion limit."""
    head = b'{"resourceType":"Bundle","type":"collection","entry":'
    arrays = st.sampled_from([64, 255, 256, 1024, 100_000]).map(
        lambda depth: head + b"[" * depth + b"1" + b"]" * depth + b"}"
    )
    resources = st.sampled_from([64, 500, 50_000]).map(
        lambda depth: (
            head
            + b'[{"resource":'
            + b'{"resourceType":"Condition","code":' * depth
            + b"{}"
            + b"}" * depth
            + b"}]}"
        )
    )
    return arrays | resources


@st.composite
def mutated_examples(draw: st.DrawFn) -> bytes:
    """examples/*.json with bytes cut, flipped, inserted or made invalid UTF-8."""
    body = bytearray(EXAMPLE_BYTES[draw(st.sampled_from(sorted(EXAMPLE_BYTES)))])
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, max(0, len(body) - 1)))
        action = draw(st.sampled_from(["truncate", "flip", "insert", "utf8", "delete"]))
        if action == "truncate":
            del body[where:]
        elif action == "flip" and body:
            body[where] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            body[where:where] = draw(
                st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"{", b"]", b",", b"\x00"])
            )
        elif action == "utf8":
            body[where:where] = b"\xc3\x28"
        elif body:
            del body[where : where + draw(st.integers(1, 40))]
    return bytes(body)


# CDS Hooks requests ---------------------------------------------------------------

PREFETCH_KEYS = ("patient", "conditions", "observations", "observationsByValue")
FAILED_OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "exception"}],
}


@st.composite
def mostly(
    draw: st.DrawFn, good: st.SearchStrategy[object], bad: st.SearchStrategy[object], odds: int = 4
) -> object:
    """`good`, and `bad` about once in `odds + 1` draws (`one_of` would not keep the odds)."""
    return draw(good if draw(st.sampled_from([True] * odds + [False])) else bad)


@st.composite
def prefetch(draw: st.DrawFn, terminology: Terminology, patient_id: str) -> object:
    """Each key absent, null, an OperationOutcome, a Bundle (clean findings, sometimes
    with junk or a `next` link) or, for `patient`, the Patient; sometimes all junk."""
    subject = f"Patient/{patient_id}"
    clean = draw(findings(terminology, subject))
    hostile = draw(st.sampled_from([False, False, True]))
    junk = st.one_of(wrong_types, json_values) if hostile else NO_JUNK
    values: dict[str, object] = {}
    for key in PREFETCH_KEYS:
        if key == "patient":
            good: st.SearchStrategy[object] = patients(patient_id, junk)
        else:
            kind = "Condition" if key == "conditions" else "Observation"
            extra = (
                st.lists(
                    st.one_of(
                        conditions(terminology, patient_id, subject, junk),
                        observations(terminology, patient_id, subject, junk),
                        st.just(FAILED_OUTCOME),
                    ),
                    max_size=2,
                )
                if hostile
                else st.just([])
            )
            good = st.builds(
                lambda more, paged, kind=kind: {
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "entry": [
                        {"resource": r}
                        for r in clean + more
                        if r.get("resourceType") in {kind, "OperationOutcome"}
                    ],
                    **(
                        {"link": [{"relation": "next", "url": "https://x.example/p2"}]}
                        if paged
                        else {}
                    ),
                },
                extra,
                st.sampled_from([False] * 9 + [True]),
            )
        choice = draw(st.sampled_from(["good"] * 12 + ["absent", "null", "outcome", "junk"]))
        if choice == "good":
            values[key] = draw(good)
        elif choice == "null":
            values[key] = None
        elif choice == "outcome":
            values[key] = FAILED_OUTCOME
        elif choice == "junk":
            values[key] = draw(json_values)
    return values


@st.composite
def hook_requests(draw: st.DrawFn, terminology: Terminology) -> object:
    """patient-view requests, no fhirServer, with every shape of prefetch; a few are junk."""
    patient_id = draw(st.sampled_from(["p1"] * 6 + ["Patient/p1", " p1 ", "", "bad id", "x" * 65]))
    request: Json = {
        "hook": draw(st.sampled_from(["patient-view"] * 9 + ["order-sign", ""])),
        "hookInstance": draw(mostly(st.uuids().map(str), json_values, odds=9)),
        "context": draw(
            mostly(
                st.fixed_dictionaries(
                    {"patientId": mostly(st.just(patient_id), json_values, odds=9)},
                    optional={"userId": st.just("Practitioner/1")},
                ),
                json_values,
                odds=9,
            )
        ),
    }
    shape = draw(st.sampled_from(["object"] * 8 + ["absent", "null", "junk"]))
    if shape == "object":
        request["prefetch"] = draw(
            prefetch(terminology, patient_id.strip().removeprefix("Patient/"))
        )
    elif shape == "null":
        request["prefetch"] = None
    elif shape == "junk":
        request["prefetch"] = draw(json_values)
    if draw(st.sampled_from([False] * 9 + [True])):
        request["fhirAuthorization"] = {"access_token": "t", "token_type": "Bearer"}
    if draw(st.sampled_from([False] * 19 + [True])):
        return draw(json_values)
    return request


def generated_bodies(terminology: Terminology) -> st.SearchStrategy[bytes]:
    """The fuzzers' bodies for the differential tests: plausible and hostile bundles (with
    numbers too large for a double and BOMs, or plain), deep nesting, and the examples with
    bytes cut, flipped or made invalid UTF-8."""
    return st.one_of(
        bundles(terminology).flatmap(encoded),
        bundles(terminology).map(orjson.dumps),
        deeply_nested(),
        mutated_examples(),
    )
