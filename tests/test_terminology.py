"""Loading profiles/: what is read, how codes are normalised, and every way it fails loudly."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from service.domain.dates import AgeSpan
from service.errors import TerminologyError
from service.settings import DEFAULT_PROFILES_DIR, Settings
from service.terminology import Terminology, load_terminology
from tests.conftest import FIXTURE_TERMINOLOGY

SCT = "http://snomed.info/sct"
HPO = "http://human-phenotype-ontology.org"
HPO_ALIAS = "http://purl.obolibrary.org/obo/hp.owl"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ORPHA = "https://www.orpha.net"
CRITERIA = ("neuroblastoma", "opsoclonus", "myoclonus-ataxia", "behavior-sleep")


@pytest.fixture(scope="module")
def fixture_terminology() -> Terminology:
    return load_terminology(FIXTURE_TERMINOLOGY)


def test_criteria_in_code_system_order(fixture_terminology: Terminology) -> None:
    assert fixture_terminology.criteria == CRITERIA
    assert fixture_terminology.criterion_displays["myoclonus-ataxia"] == "Myoclonus and/or ataxia"


@pytest.mark.parametrize(
    ("system", "code", "expected"),
    [
        pytest.param(SCT, "432328008", ("neuroblastoma",), id="snomed-neuroblastoma"),
        pytest.param(ICDO3, "9490/3", ("neuroblastoma",), id="icdo3-ganglioneuroblastoma"),
        pytest.param(HPO, "HP:0010543", ("opsoclonus",), id="hpo-opsoclonus"),
        pytest.param(HPO_ALIAS, "HP:0010543", ("opsoclonus",), id="hpo-obo-alias-opsoclonus"),
        pytest.param(HPO, "  HP:0010543\n", ("opsoclonus",), id="code-whitespace-stripped"),
        pytest.param(f" {HPO} ", "HP:0010543", ("opsoclonus",), id="system-whitespace-stripped"),
        pytest.param(HPO, "hp:0010543", (), id="codes-are-case-sensitive"),
        pytest.param(SCT, "HP:0010543", (), id="right-code-wrong-system"),
        pytest.param(SCT, "422886007", (), id="excluded-olfactory-neuroblastoma"),
        pytest.param(SCT, "52101004", (), id="finding-value-is-no-criterion"),
        pytest.param(ORPHA, "635", ("neuroblastoma",), id="orphanet-bare-code"),
        pytest.param(ORPHA, "ORPHA:635", ("neuroblastoma",), id="orphanet-prefixed-code"),
        pytest.param("http://www.orpha.net", "ORPHA:635", ("neuroblastoma",), id="orphanet-http"),
        pytest.param(
            "urn:oid:1.3.6.1.4.1.12559.11.10.1.3.1.44.5",
            "635",
            ("neuroblastoma",),
            id="orphanet-oid",
        ),
        pytest.param(
            "urn:oid:2.16.840.1.113883.6.339", "HP:0010543", ("opsoclonus",), id="hpo-urn-oid"
        ),
        pytest.param("2.16.840.1.113883.6.339", "HP:0010543", ("opsoclonus",), id="hpo-bare-oid"),
        pytest.param(ORPHA, "ORPHA635", (), id="orphanet-prefix-must-be-whole"),
        pytest.param(ICD10CM, "C74.10", (), id="site-code-is-not-in-the-main-valueset"),
    ],
)
def test_criteria_for(
    fixture_terminology: Terminology, system: str, code: str, expected: tuple[str, ...]
) -> None:
    assert fixture_terminology.criteria_for(system, code) == expected


def test_a_listed_exclusion_vetoes_the_concept(fixture_terminology: Terminology) -> None:
    # Olfactory neuroblastoma is excluded: a concept also coded 9500/3 still does not count.
    concept = {
        "coding": [{"system": ICDO3, "code": "9500/3"}, {"system": SCT, "code": "422886007"}]
    }
    assert fixture_terminology.criteria_in(concept) == ()
    assert fixture_terminology.criteria_in({"coding": concept["coding"][:1]}) == ("neuroblastoma",)


@pytest.mark.parametrize(
    ("code", "age", "expected"),
    [
        pytest.param("C74.10", AgeSpan(2, 2), ("neuroblastoma",), id="site-code-in-a-toddler"),
        pytest.param(
            "C7410", AgeSpan(17, 17), ("neuroblastoma",), id="site-code-without-dot-at-17"
        ),
        pytest.param(" C74.10 ", None, ("neuroblastoma",), id="site-code-age-unknown"),
        pytest.param("C74.10", AgeSpan(18, 18), (), id="site-code-in-an-adult"),
        pytest.param("C74.10", AgeSpan(56, 56), (), id="site-code-at-56"),
        # Contract v3: ages are intervals; one that reaches below 18 may be a child's.
        pytest.param("C74.10", AgeSpan(10, 20), ("neuroblastoma",), id="onset-range-10-20"),
        pytest.param("C74.10", AgeSpan(17, 18), ("neuroblastoma",), id="birth-year-only-17-18"),
        pytest.param("C74.10", AgeSpan(0, 40), ("neuroblastoma",), id="abated-by-40"),
        pytest.param("C74.10", AgeSpan(40, 50), (), id="onset-range-40-50"),
        pytest.param("C74.10", AgeSpan(18, None), (), id="at-least-18"),
    ],
)
def test_site_codes_count_only_in_children(
    fixture_terminology: Terminology, code: str, age: AgeSpan | None, expected: tuple[str, ...]
) -> None:
    concept = {"coding": [{"system": ICD10CM, "code": code}]}
    assert fixture_terminology.criteria_in(concept, age) == expected
    assert fixture_terminology.relevant(ICD10CM, code)


def test_questions_diagnosis_and_criterion_properties(fixture_terminology: Terminology) -> None:
    t = fixture_terminology
    assert t.is_finding_question({"coding": [{"system": "http://loinc.org", "code": "75325-1"}]})
    assert not t.is_finding_question(
        {"coding": [{"system": "http://loinc.org", "code": "10157-6"}]}
    )
    assert t.records_diagnosis(
        {"coding": [{"system": "http://www.orpha.net", "code": "ORPHA:1183"}]}
    )
    assert not t.records_diagnosis({"coding": [{"system": ORPHA, "code": "635"}]})
    assert t.neurological_signs == {"opsoclonus", "myoclonus-ataxia"}
    assert t.warrants_work_up_alone == {"opsoclonus"}
    assert t.tumour_criteria == {"neuroblastoma"}
    assert t.not_met_words == {"neuroblastoma": "no neuroblastoma found so far"}


def test_criteria_in_concept_spans_criteria_in_order(fixture_terminology: Terminology) -> None:
    concept = {
        "coding": [
            {"system": SCT, "code": "17450006"},
            {"system": HPO_ALIAS, "code": "HP:0010543"},
            {"system": SCT, "code": "17450006", "display": "Myoclonus"},
        ]
    }
    assert fixture_terminology.criteria_in(concept) == ("opsoclonus", "myoclonus-ataxia")


@pytest.mark.parametrize(
    "concept",
    [
        pytest.param(None, id="missing"),
        pytest.param("HP:0010543", id="string-not-concept"),
        pytest.param({"coding": {"system": HPO, "code": "HP:0010543"}}, id="coding-not-list"),
        pytest.param({"coding": [None, 3, {"system": HPO}]}, id="junk-codings"),
        pytest.param({"coding": [{"system": HPO, "code": 10543}]}, id="numeric-code"),
        pytest.param({"text": "opsoclonus"}, id="text-only"),
        pytest.param(
            {"coding": [{"system": "urn:x", "code": "1", "display": "Opsoclonus"}]},
            id="display-never-decides",
        ),
    ],
)
def test_criteria_in_tolerates_any_json(fixture_terminology: Terminology, concept: Any) -> None:
    assert fixture_terminology.criteria_in(concept) == ()


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        pytest.param([(SCT, "52101004")], True, id="present"),
        pytest.param([(SCT, "10828004")], True, id="positive"),
        pytest.param([(SCT, "2667000")], False, id="absent"),
        pytest.param([(SCT, " 260385009 ")], False, id="negative-with-whitespace"),
        pytest.param([(SCT, "17450006")], None, id="a-finding-not-a-value"),
        pytest.param([(SCT, "52101004"), (SCT, "2667000")], None, id="contradictory"),
    ],
)
def test_finding_value(
    fixture_terminology: Terminology, codes: list[tuple[str, str]], expected: bool | None
) -> None:
    concept = {"coding": [{"system": s, "code": c} for s, c in codes]}
    assert fixture_terminology.finding_value(concept) is expected


def test_definitions_by_canonical_url(fixture_terminology: Terminology) -> None:
    url = "http://oms-cds.org/fhir/ValueSet/oms-finding-present"
    assert fixture_terminology.definition(url)["id"] == "oms-finding-present"
    assert fixture_terminology.definition(f"{url}|0.1.0")["id"] == "oms-finding-present"
    with pytest.raises(TerminologyError, match="no definition"):
        fixture_terminology.definition("http://oms-cds.org/fhir/PlanDefinition/none")


def test_default_folder_is_profiles_and_env_overrides(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert DEFAULT_PROFILES_DIR.parts[-2:] == ("service", "profiles")
    assert DEFAULT_PROFILES_DIR.resolve().parts[-3:] == ("profiles", "fsh-generated", "resources")
    assert load_terminology().criteria == load_terminology(DEFAULT_PROFILES_DIR).criteria
    monkeypatch.setenv("OMS_PROFILES_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(TerminologyError, match="does not exist"):
        load_terminology(Settings().profiles_dir)
    # The environment is the app's and CLI's business, not the loader's.
    assert load_terminology().criteria == CRITERIA
    monkeypatch.setenv("OMS_PROFILES_DIR", str(FIXTURE_TERMINOLOGY))
    assert load_terminology(Settings().profiles_dir).criteria == CRITERIA


# --- fails loudly ------------------------------------------------------------------------

Json = dict[str, Any]


def _edit(folder: Path, name: str, change: Callable[[Json], object]) -> None:
    path = folder / name
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _add_criterion(cs: Json) -> None:
    cs["concept"].append({"code": "dancing-feet", "display": "Dancing feet"})


def _wrong_url(vs: Json) -> None:
    vs["url"] = "http://oms-cds.org/fhir/ValueSet/oms-criterion-neuroblastoma"


def _empty(vs: Json) -> None:
    vs["compose"] = {"include": []}


def _is_a_filter(vs: Json) -> None:
    vs["compose"]["include"].append({"system": SCT, "filter": [{"op": "is-a", "value": "1"}]})


def _included_value_set(vs: Json) -> None:
    vs["compose"]["include"].append({"valueSet": ["http://example.org/ValueSet/x"]})


def _whole_code_system(vs: Json) -> None:
    vs["compose"]["include"].append({"system": SCT})


def _site_without_age(vs: Json) -> None:
    vs["useContext"] = vs["useContext"][:1]


def _share_absent_code(vs: Json) -> None:
    vs["compose"]["include"][0]["concept"].append({"code": "2667000"})


def _value_is_a_finding(vs: Json) -> None:
    vs["compose"]["include"][0]["concept"].append({"code": "17450006"})


def _no_preferred(ns: Json) -> None:
    for unique_id in ns["uniqueId"]:
        unique_id["preferred"] = False


def _repeat_criterion(cs: Json) -> None:
    cs["concept"].append({"code": "opsoclonus"})


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        pytest.param(
            "CodeSystem-oms-criteria.json",
            _add_criterion,
            "ValueSet-oms-criterion-dancing-feet.json is missing",
            id="criterion-without-valueset",
        ),
        pytest.param(
            "CodeSystem-oms-criteria.json", _repeat_criterion, "repeated", id="repeated-criterion"
        ),
        pytest.param(
            "ValueSet-oms-criterion-opsoclonus.json",
            _wrong_url,
            "must have url",
            id="valueset-url-disagrees-with-criterion",
        ),
        pytest.param(
            "ValueSet-oms-criterion-opsoclonus.json",
            _empty,
            "lists no concepts",
            id="valueset-without-concepts",
        ),
        pytest.param(
            "ValueSet-oms-criterion-opsoclonus.json",
            _is_a_filter,
            "cannot be evaluated offline",
            id="is-a-filter-refuses-to-start",
        ),
        pytest.param(
            "ValueSet-oms-finding-question.json",
            _included_value_set,
            "cannot be evaluated offline",
            id="included-valueset-refuses-to-start",
        ),
        pytest.param(
            "ValueSet-oms-criterion-myoclonus-ataxia.json",
            _whole_code_system,
            "whole code system",
            id="whole-code-system-refuses-to-start",
        ),
        pytest.param(
            "ValueSet-oms-criterion-neuroblastoma-site.json",
            _site_without_age,
            "age range",
            id="site-valueset-without-age",
        ),
        pytest.param(
            "ValueSet-oms-finding-present.json",
            _share_absent_code,
            "share codes",
            id="value-both-present-and-absent",
        ),
        pytest.param(
            "ValueSet-oms-finding-absent.json",
            _value_is_a_finding,
            "shares codes with a criterion",
            id="value-is-also-a-finding",
        ),
        pytest.param(
            "NamingSystem-hpo.json", _no_preferred, "preferred", id="hpo-without-preferred-uri"
        ),
        pytest.param(
            "ValueSet-oms-finding-absent.json",
            lambda vs: vs.update(resourceType="CodeSystem"),
            "is not a ValueSet",
            id="wrong-resource-type",
        ),
    ],
)
def test_inconsistent_terminology_fails(
    tmp_path: Path, name: str, change: Callable[[Json], object], message: str
) -> None:
    folder = tmp_path / "resources"
    shutil.copytree(FIXTURE_TERMINOLOGY, folder)
    _edit(folder, name, change)
    with pytest.raises(TerminologyError, match=message):
        load_terminology(folder)


@pytest.mark.parametrize(
    "name",
    [
        "CodeSystem-oms-criteria.json",
        "ValueSet-oms-criterion-behavior-sleep.json",
        "ValueSet-oms-finding-present.json",
        "ValueSet-oms-finding-absent.json",
        "ValueSet-oms-finding-question.json",
        "ValueSet-oms-diagnosis.json",
    ],
)
def test_missing_file_fails(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "resources"
    shutil.copytree(FIXTURE_TERMINOLOGY, folder)
    (folder / name).unlink()
    with pytest.raises(TerminologyError, match=f"{name} is missing"):
        load_terminology(folder)


def test_unreadable_file_fails(tmp_path: Path) -> None:
    folder = tmp_path / "resources"
    shutil.copytree(FIXTURE_TERMINOLOGY, folder)
    (folder / "ValueSet-oms-criterion-opsoclonus.json").write_text("{not json")
    with pytest.raises(TerminologyError, match="is not JSON"):
        load_terminology(folder)


# --- the real profiles/ ------------------------------------------------------------------


def test_real_profiles_load(terminology: Terminology) -> None:
    assert terminology.criteria == CRITERIA
    assert terminology.system_aliases[HPO_ALIAS] == HPO
    assert terminology.system_aliases["urn:oid:2.16.840.1.113883.6.96"] == SCT
    assert terminology.system_aliases["http://www.orpha.net"] == ORPHA
    assert all(terminology.criterion_codes[c] for c in CRITERIA)
    assert terminology.criteria_in({"coding": [{"system": SCT, "code": "194177006"}]}) == (
        "opsoclonus",
    )
    assert terminology.criteria_in({"coding": [{"system": HPO, "code": "HP:0032104"}]}) == ()
