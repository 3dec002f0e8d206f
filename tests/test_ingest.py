"""Ingest: bytes -> the one patient and the candidate evidence, or a 400/422 that says where."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.errors import OmsError, PayloadTooLarge, UnprocessablePayload, UnreadableInput
from service.intake import IngestResult, is_input_path
from service.intake import read_body as ingest
from service.terminology import Terminology
from tests.builders import (
    CLINICAL_FINDING,
    HPO,
    LOINC,
    SCT,
    VER_STATUS,
    body,
    bundle,
    concept,
    condition,
    observation,
    patient,
)
from tests.corpus import CORPUS

Json = dict[str, Any]
NB = (SCT, "432328008")
OPSOCLONUS = (HPO, "HP:0010543")
MYOCLONUS = (SCT, "17450006")
#: A value that must never come back in an error message.
SECRET = "Jane-Roe-1962"


def run(document: Any, terminology: Terminology) -> IngestResult:
    return ingest(body(document), terminology)


def fails(document: Any, terminology: Terminology) -> OmsError:
    with pytest.raises(OmsError) as caught:
        ingest(document if isinstance(document, bytes) else body(document), terminology)
    return caught.value


def refs(result: IngestResult) -> tuple[list[str], list[str]]:
    return [k.reference for k in result.conditions], [k.reference for k in result.observations]


# --- what is accepted --------------------------------------------------------------------


@pytest.mark.parametrize(
    "bundle_type",
    ["collection", "searchset", "transaction", "batch", "document", "message", "history"],
)
def test_any_bundle_type(terminology: Terminology, bundle_type: str) -> None:
    result = run(
        bundle(patient(), condition(NB), observation(OPSOCLONUS), type=bundle_type), terminology
    )
    assert result.patient == "Patient/p1"
    assert refs(result) == (["Condition/c1"], ["Observation/o1"])
    assert result.entry_count == 3


def test_searchset_skips_outcome_keeps_match_and_include(terminology: Terminology) -> None:
    document = bundle(type="searchset")
    document["entry"] = [
        {"resource": condition(NB, id="m"), "search": {"mode": "match"}},
        {"resource": condition(NB, id="o", subject="Patient/other"), "search": {"mode": "outcome"}},
        {"resource": patient(), "search": {"mode": "include"}},
    ]
    result = run(document, terminology)
    assert refs(result) == (["Condition/m"], [])
    assert result.entry_count == 3


def test_parameters_with_bundle_part(terminology: Terminology) -> None:
    document = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "persist", "valueBoolean": False},
            {"name": "bundle", "resource": bundle(patient(), condition(NB))},
        ],
    }
    result = run(document, terminology)
    assert result.patient == "Patient/p1"
    assert result.conditions[0].path == "Parameters.parameter[1].resource.entry[1].resource"


def test_only_criterion_coded_resources_are_kept(terminology: Terminology) -> None:
    result = run(
        bundle(
            patient(),
            condition((SCT, "422886007"), id="olfactory"),
            observation((LOINC, "2436-4"), id="hva", valueQuantity={"value": 12.0}),
            observation(CLINICAL_FINDING, id="b", valueCodeableConcept=concept(OPSOCLONUS)),
            condition(MYOCLONUS, id="a"),
            {"resourceType": "Encounter", "id": "e1", "status": "finished"},
        ),
        terminology,
    )
    assert refs(result) == (["Condition/a"], ["Observation/b"])
    assert [k.index for k in result.conditions + result.observations] == [4, 3]


def test_resources_not_kept_are_not_validated(terminology: Terminology) -> None:
    broken = condition((SCT, "422886007"), onsetDateTime="last spring", unknownElement=1)
    result = run(bundle(patient(), broken, {"resourceType": "Encounter", "bogus": 1}), terminology)
    assert result.conditions == ()


def test_entries_without_resource_are_skipped(terminology: Terminology) -> None:
    document = bundle(patient(), condition(NB), type="transaction")
    document["entry"].append({"request": {"method": "DELETE", "url": "Condition/old"}})
    assert run(document, terminology).entry_count == 3


def test_kept_resources_are_the_input_dicts_uncopied(terminology: Terminology) -> None:
    result = run(bundle(patient(), condition(NB, note=[{"text": "x"}])), terminology)
    assert result.conditions[0].resource["note"] == [{"text": "x"}]
    assert result.conditions[0].resource["resourceType"] == "Condition"


def test_whitespace_around_codes_is_not_a_validation_error(terminology: Terminology) -> None:
    resource = condition((HPO, " HP:0010543 "))
    resource["verificationStatus"] = {"coding": [{"system": VER_STATUS, "code": " refuted "}]}
    assert len(run(bundle(patient(), resource), terminology).conditions) == 1


# --- references and patient identity -----------------------------------------------------


def test_reference_prefers_id_then_full_url_then_path(terminology: Terminology) -> None:
    document = bundle(
        condition(NB, id="with-id"),
        condition(NB, id=None),
        condition(NB, id=None),
        type="transaction",
    )
    document["entry"][0]["fullUrl"] = "urn:uuid:0b0c7d1e-0000-4000-8000-000000000001"
    document["entry"][1]["fullUrl"] = "urn:uuid:0b0c7d1e-0000-4000-8000-000000000002"
    result = run(document, terminology)
    assert refs(result)[0] == [
        "Condition/with-id",
        "urn:uuid:0b0c7d1e-0000-4000-8000-000000000002",
        "Bundle.entry[2].resource",
    ]
    assert [is_input_path(k.reference) for k in result.conditions] == [False, False, True]


@pytest.mark.parametrize(
    ("patient_full_url", "patient_id", "subject", "expected"),
    [
        pytest.param(None, "p1", "Patient/p1", "Patient/p1", id="relative-reference"),
        pytest.param(
            "https://ehr.example.org/fhir/Patient/p1",
            "p1",
            "https://ehr.example.org/fhir/Patient/p1",
            "Patient/p1",
            id="absolute-reference",
        ),
        pytest.param(
            None,
            "p1",
            "https://ehr.example.org/fhir/Patient/p1/_history/3",
            "Patient/p1",
            id="versioned-absolute-reference",
        ),
        pytest.param(
            "urn:uuid:5e0f2b38-0000-4000-8000-00000000000a",
            None,
            "urn:uuid:5e0f2b38-0000-4000-8000-00000000000a",
            "urn:uuid:5e0f2b38-0000-4000-8000-00000000000a",
            id="transaction-urn-uuid-only",
        ),
        pytest.param(
            "urn:uuid:5e0f2b38-0000-4000-8000-00000000000a",
            "p1",
            "urn:uuid:5e0f2b38-0000-4000-8000-00000000000a",
            "Patient/p1",
            id="urn-uuid-resolves-to-patient-with-id",
        ),
        pytest.param(
            "https://ehr.example.org/fhir/Patient/p1",
            None,
            "Patient/p1",
            "Patient/p1",
            id="id-from-patient-full-url",
        ),
    ],
)
def test_patient_identity(
    terminology: Terminology,
    patient_full_url: str | None,
    patient_id: str | None,
    subject: str,
    expected: str,
) -> None:
    document = bundle(patient(patient_id), condition(NB, subject=subject))
    if patient_full_url:
        document["entry"][0]["fullUrl"] = patient_full_url
    assert run(document, terminology).patient == expected


def test_subject_alone_identifies_the_patient(terminology: Terminology) -> None:
    result = run(
        bundle(condition(NB, subject="Patient/p9"), observation(OPSOCLONUS, subject=None)),
        terminology,
    )
    assert result.patient == "Patient/p9"


def test_patient_resource_alone_identifies_the_patient(terminology: Terminology) -> None:
    result = run(bundle(patient("p7")), terminology)
    assert (result.patient, result.conditions, result.observations) == ("Patient/p7", (), ())


def test_observation_without_subject_is_the_bundle_patients(terminology: Terminology) -> None:
    result = run(bundle(patient(), observation(OPSOCLONUS, subject=None)), terminology)
    assert result.patient == "Patient/p1"
    assert len(result.observations) == 1


MRN = {"system": "urn:oid:1.2.3", "value": "42"}


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param({"identifier": MRN}, id="identifier-of-the-patient"),
        pytest.param({"reference": "#p"}, id="contained-patient-with-its-identifier"),
        pytest.param({"reference": "Patient?identifier=urn:oid:1.2.3|42"}, id="conditional"),
    ],
)
def test_subject_tied_to_the_patient_by_identifier(terminology: Terminology, subject: Json) -> None:
    resource = observation(OPSOCLONUS, subject=None) | {
        "subject": subject,
        "contained": [{"resourceType": "Patient", "id": "p", "identifier": [MRN]}],
    }
    result = run(bundle(patient() | {"identifier": [MRN]}, resource), terminology)
    assert result.patient == "Patient/p1"
    assert len(result.observations) == 1


def test_unrelated_resource_about_someone_else_is_422(terminology: Terminology) -> None:
    mother = observation((LOINC, "2436-4"), id="m", subject="Patient/mother")
    error = fails(bundle(patient(), condition(NB), mother), terminology)
    assert_error(
        error, UnprocessablePayload, 422, "processing", ["Bundle.entry[2].resource.subject"]
    )


# --- errors -------------------------------------------------------------------------------


def assert_error(
    error: OmsError, kind: type[OmsError], status: int, code: str, expression: list[str]
) -> None:
    assert isinstance(error, kind)
    assert (error.status, error.code, error.expression) == (status, code, expression)
    assert SECRET not in error.message


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        pytest.param(b"", "not valid JSON", id="empty-body"),
        pytest.param(b'{"resourceType": "Bundle", "x": "' + SECRET.encode(), "position", id="cut"),
        pytest.param(b"<Bundle>" + SECRET.encode(), "position 0", id="xml"),
        pytest.param(b'{"name": "' + b"\xff\xfe" + SECRET.encode() + b'"}', "UTF-8", id="latin1"),
    ],
)
def test_unreadable_body_is_400(terminology: Terminology, raw: bytes, fragment: str) -> None:
    error = fails(raw, terminology)
    assert_error(error, UnreadableInput, 400, "structure", [])
    assert fragment in error.message


@pytest.mark.parametrize(
    ("document", "code", "expression"),
    [
        pytest.param([bundle(patient())], "processing", [], id="json-array"),
        pytest.param({"entry": []}, "structure", ["resourceType"], id="no-resource-type"),
        pytest.param(patient(), "not-supported", ["Patient"], id="a-patient-not-a-bundle"),
        pytest.param(
            {"resourceType": "Parameters", "parameter": [{"name": "data", "resource": patient()}]},
            "required",
            ["Parameters.parameter"],
            id="parameters-without-bundle-part",
        ),
        pytest.param(
            {
                "resourceType": "Parameters",
                "parameter": [{"name": "bundle", "resource": patient()}],
            },
            "processing",
            ["Parameters.parameter[0].resource"],
            id="bundle-part-not-a-bundle",
        ),
        pytest.param(
            {
                "resourceType": "Parameters",
                "parameter": [
                    {"name": "bundle", "resource": bundle(patient())},
                    {"name": "bundle", "resource": bundle(patient("p2"))},
                ],
            },
            "processing",
            ["Parameters.parameter[1]"],
            id="two-bundle-parts",
        ),
        pytest.param(
            {"resourceType": "Bundle", "type": "collection", "entry": {"resource": patient()}},
            "processing",
            ["Bundle.entry"],
            id="entry-not-an-array",
        ),
        pytest.param(
            {"resourceType": "Bundle", "type": "collection", "entry": [None]},
            "structure",
            ["Bundle.entry[0]"],
            id="entry-not-an-object",
        ),
        pytest.param(
            {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": [SECRET]}]},
            "structure",
            ["Bundle.entry[0].resource"],
            id="resource-not-an-object",
        ),
    ],
)
def test_not_a_usable_payload_is_422(
    terminology: Terminology, document: Any, code: str, expression: list[str]
) -> None:
    assert_error(fails(document, terminology), UnprocessablePayload, 422, code, expression)


@pytest.mark.parametrize(
    ("resource", "code", "element", "message"),
    [
        pytest.param(
            condition(NB, onsetDateTime=SECRET),
            "structure",
            "onsetDateTime",
            "Invalid value for Condition.onsetDateTime",
            id="condition-bad-onset-date",
        ),
        pytest.param(
            condition(NB, subject=None),
            "required",
            "subject",
            "Missing required element Condition.subject",
            id="condition-without-subject",
        ),
        pytest.param(
            condition(NB, favouriteColour=SECRET),
            "structure",
            "favouriteColour",
            "Unknown element Condition.favouriteColour",
            id="condition-unknown-element",
        ),
        pytest.param(
            condition(
                NB,
                MYOCLONUS,
                **{
                    "code": {
                        "coding": [
                            {"system": SCT, "code": "432328008"},
                            {"system": SCT, "code": "1", "x": SECRET},
                        ]
                    }
                },
            ),
            "structure",
            "code.coding[1].x",
            "Unknown element Condition.code.coding[1].x",
            id="nested-unknown-element",
        ),
        pytest.param(
            observation(OPSOCLONUS, status=SECRET),
            "code-invalid",
            "status",
            "Observation.status is not an observation-status code",
            id="observation-bogus-status",
        ),
        pytest.param(
            observation(OPSOCLONUS, valueBoolean="yes"),
            "structure",
            "valueBoolean",
            "Observation.valueBoolean must be a JSON boolean",
            id="observation-boolean-as-string",
        ),
        pytest.param(
            condition(NB, verification="maybe"),
            "code-invalid",
            "verificationStatus.coding[0].code",
            "Condition.verificationStatus is not a condition-ver-status code",
            id="condition-bogus-verification-status",
        ),
        pytest.param(
            observation(CLINICAL_FINDING, valueCodeableConcept=concept(OPSOCLONUS), issued=SECRET),
            "structure",
            "issued",
            "Invalid value for Observation.issued",
            id="pattern-b-observation-bad-issued",
        ),
    ],
)
def test_invalid_kept_resource_is_422_with_its_path(
    terminology: Terminology, resource: Json, code: str, element: str, message: str
) -> None:
    error = fails(bundle(patient(), resource), terminology)
    assert_error(error, UnprocessablePayload, 422, code, [f"Bundle.entry[1].resource.{element}"])
    assert error.message == message


def test_invalid_patient_is_422(terminology: Terminology) -> None:
    bad = patient() | {"birthDate": SECRET}
    error = fails(bundle(condition(NB), bad), terminology)
    assert_error(
        error, UnprocessablePayload, 422, "structure", ["Bundle.entry[1].resource.birthDate"]
    )


@pytest.mark.parametrize(
    ("resources", "expression"),
    [
        pytest.param(
            [condition(NB, subject="Patient/a"), observation(OPSOCLONUS, subject="Patient/b")],
            "Bundle.entry[1].resource.subject",
            id="two-subjects",
        ),
        pytest.param(
            [patient("a"), condition(NB, subject="Patient/b")],
            "Bundle.entry[1].resource.subject",
            id="subject-is-not-the-patient-resource",
        ),
        pytest.param(
            [condition(NB, subject="Patient/a"), patient("b")],
            "Bundle.entry[0].resource.subject",
            id="patient-resource-after-subject",
        ),
        pytest.param(
            [patient("a"), patient("b"), condition(NB, subject="Patient/a")],
            "Bundle.entry[1].resource",
            id="two-patient-resources",
        ),
        pytest.param(
            [patient("a"), condition(NB, subject="urn:uuid:5e0f2b38-0000-4000-8000-00000000000b")],
            "Bundle.entry[1].resource.subject",
            id="unresolved-urn-subject-is-another-patient",
        ),
    ],
)
def test_two_patients_is_422(
    terminology: Terminology, resources: list[Json], expression: str
) -> None:
    error = fails(bundle(*resources), terminology)
    assert_error(error, UnprocessablePayload, 422, "processing", [expression])
    assert "more than one patient" in error.message


def test_same_patient_twice_is_fine(terminology: Terminology) -> None:
    document = bundle(patient("a"), condition(NB, subject="Patient/a"), patient("a"))
    assert run(document, terminology).patient == "Patient/a"


@pytest.mark.parametrize(
    ("subject", "expression"),
    [
        pytest.param("Group/g1", "Bundle.entry[1].resource.subject", id="group-subject"),
        pytest.param(
            "urn:uuid:5e0f2b38-0000-4000-8000-00000000000c",
            "Bundle.entry[1].resource.subject",
            id="subject-resolves-to-a-location",
        ),
        pytest.param(
            "not a reference", "Bundle.entry[1].resource.subject.reference", id="garbage-reference"
        ),
    ],
)
def test_subject_must_be_a_patient(terminology: Terminology, subject: str, expression: str) -> None:
    location = {"resourceType": "Location", "id": "l1"}
    document = bundle(location, condition(NB, subject=subject))
    document["entry"][0]["fullUrl"] = "urn:uuid:5e0f2b38-0000-4000-8000-00000000000c"
    error = fails(document, terminology)
    assert_error(error, UnprocessablePayload, 422, "invalid", [expression])


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(bundle(), id="empty-bundle"),
        pytest.param(bundle(observation(OPSOCLONUS, subject=None)), id="observation-no-subject"),
    ],
)
def test_no_identifiable_patient_is_422(terminology: Terminology, document: Json) -> None:
    error = fails(document, terminology)
    assert_error(error, UnprocessablePayload, 422, "required", ["Bundle"])


def test_a_patient_nothing_can_reference_is_422(terminology: Terminology) -> None:
    """Contract v3: a Patient without id or fullUrl cannot be the patient references name
    (v2 skipped it and answered 'no patient can be identified' for the whole Bundle)."""
    error = fails(bundle(patient(None)), terminology)
    assert_error(error, UnprocessablePayload, 422, "required", ["Bundle.entry[0].resource"])


BODY_WEIGHT = ("http://loinc.org", "29463-7")


def test_unrelated_results_about_one_patient_identify_that_patient(
    terminology: Terminology,
) -> None:
    document = bundle(
        observation(BODY_WEIGHT, id="w1", subject="Patient/p9"),
        observation(BODY_WEIGHT, id="w2", subject="Patient/p9"),
    )
    result = ingest(body(document), terminology)
    assert result.patient == "Patient/p9"
    assert result.conditions == ()
    assert result.observations == ()


def test_unrelated_results_about_two_patients_are_422(terminology: Terminology) -> None:
    document = bundle(
        observation(BODY_WEIGHT, id="w1", subject="Patient/p9"),
        observation(BODY_WEIGHT, id="w2", subject="Patient/p10"),
    )
    error = fails(document, terminology)
    assert_error(
        error, UnprocessablePayload, 422, "processing", ["Bundle.entry[1].resource.subject"]
    )


# --- real data ------------------------------------------------------------------------------


def test_profiles_examples_ingest(terminology: Terminology) -> None:
    examples = sorted(
        path
        for path in Path(__file__)
        .resolve()
        .parents[1]
        .glob("profiles/fsh-generated/resources/*-example-*.json")
        if path.name.split("-", 1)[0] in ("Patient", "Condition", "Observation")
    )
    document = bundle(*(body_of(path) for path in examples))
    result = run(document, terminology)
    assert result.patient == "Patient/example-child"
    assert result.conditions and result.observations


def body_of(path: Path) -> Json:
    data: Json = orjson.loads(path.read_bytes())
    return data


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (CORPUS / "synthea" / "fhir-data-pipes").glob("*_*.json"))
)
def test_synthea_patient_bundles_ingest(terminology: Terminology, name: str) -> None:
    """A real transaction Bundle, plus one criterion Condition pointing at its urn:uuid Patient."""
    document = orjson.loads((CORPUS / "synthea" / "fhir-data-pipes" / name).read_bytes())
    patient_entry = next(e for e in document["entry"] if e["resource"]["resourceType"] == "Patient")
    added = condition(NB, id="added", subject=patient_entry["fullUrl"])
    document["entry"].append(
        {"fullUrl": "urn:uuid:5e0f2b38-0000-4000-8000-0000000000ff", "resource": added}
    )
    result = ingest(body(document), terminology)
    assert result.patient == f"Patient/{patient_entry['resource']['id']}"
    assert refs(result)[0][-1] == "Condition/added"
    assert result.entry_count == len(document["entry"])


# --- limits ---------------------------------------------------------------------------------


def test_more_entries_than_the_limit_is_413(terminology: Terminology) -> None:
    document = bundle(*(observation(BODY_WEIGHT, id=f"w{i}") for i in range(11)))
    with pytest.raises(OmsError) as caught:
        ingest(body(document), terminology, max_entries=10)
    assert_error(caught.value, PayloadTooLarge, 413, "too-costly", ["Bundle.entry"])


def test_entries_up_to_the_limit_are_fine(terminology: Terminology) -> None:
    document = bundle(patient(), *(observation(BODY_WEIGHT, id=f"w{i}") for i in range(9)))
    assert ingest(body(document), terminology, max_entries=10).entry_count == 10


def test_json_nested_deeper_than_1024_levels_is_413(terminology: Terminology) -> None:
    deep = b'{"resourceType": "Bundle", "entry": ' + b"[" * 1100 + b"]" * 1100 + b"}"
    assert_error(fails(deep, terminology), PayloadTooLarge, 413, "too-costly", [])


def test_a_leading_byte_order_mark_is_ignored(terminology: Terminology) -> None:
    document = bundle(patient(), condition(NB))
    with_bom = ingest(b"\xef\xbb\xbf" + body(document), terminology)
    assert with_bom == ingest(body(document), terminology)


def test_a_byte_order_mark_elsewhere_is_still_invalid_json(terminology: Terminology) -> None:
    error = fails(b" \xef\xbb\xbf" + body(bundle(patient())), terminology)
    assert isinstance(error, UnreadableInput)


_URL_PARTS = ["http://", "https://", "a", "fhir", "/", "Patient", "Observation", "_history"]
_URL_PARTS += ["1", "x y", "é", "-", ".", "A", "aB", "", "\n", "Obs9", "urn:uuid:"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_URL_PARTS), max_size=12).map("".join))
def test_base_of_answers_as_the_whole_restful_pattern(full_url: str) -> None:
    """`identity.base_of` takes a remembered `<base>/<Type>` for most fullUrls: it must
    give what the whole RESTful pattern gives for any text."""
    from service.intake.identity import _RESTFUL, base_of

    is_http = full_url.startswith(("http://", "https://"))
    match = _RESTFUL.match(full_url) if is_http else None
    assert base_of(full_url) == (match[1] if match else None)
