"""The course-of-treatment data loaded from profiles/ (service/treatment_terminology.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from service.defaults import PROFILES_DIR
from service.domain.course import TrackingRule
from service.errors import TerminologyError
from service.terminology import Terminology, load_terminology

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
SCT = "http://snomed.info/sct"
VS = "http://oms-cds.org/fhir/ValueSet/"
STEROID, ACTH, IVIG, DMD = (
    VS + n
    for n in (
        "oms-agent-corticosteroid",
        "oms-agent-acth",
        "oms-agent-ivig",
        "oms-agent-disease-modifying",
    )
)


@pytest.mark.parametrize(
    ("codings", "classes"),
    [
        pytest.param([(RXNORM, "8638")], {STEROID}, id="rxnorm-ingredient"),
        pytest.param([(ATC, "H01AA01")], {ACTH}, id="atc-only-coding"),
        pytest.param(
            [(RXNORM, " 1657865 ")], {DMD}, id="product-level-rituximab-through-the-conceptmap"
        ),
        pytest.param(
            [(RXNORM, "1743703")], {STEROID}, id="product-level-methylprednisolone-injection"
        ),
        pytest.param(
            [(SCT, "5154007")], {VS + "oms-rehabilitation-therapy"}, id="speech-therapy-procedure"
        ),
        pytest.param(
            [(RXNORM, "999999999"), (SCT, "404684003")], set(), id="unknown-drug-matches-nothing"
        ),
        pytest.param(
            [(RXNORM, "245993")], set(), id="aspirin-methylprednisolone-combination-not-mapped"
        ),
    ],
)
def test_classify(
    terminology: Terminology, codings: list[tuple[str, str]], classes: set[str]
) -> None:
    assert terminology.treatment.classify(codings) == classes


def test_product_ingredient_and_displays(terminology: Terminology) -> None:
    course = terminology.treatment
    assert course.ingredient_of(RXNORM, "1657865") == (RXNORM, "121191")
    assert course.ingredient_of(RXNORM, "121191") is None
    assert course.display(RXNORM, "1657865") == "rituximab 10 MG/ML Injection"
    assert course.display(RXNORM, "121191") == "rituximab"
    assert course.display(RXNORM, "999999999") is None


def test_tracked_items_in_checklist_order(terminology: Terminology) -> None:
    tracked = [(i.code, i.rule, len(i.classes)) for i in terminology.treatment.tracked]
    assert tracked == [
        ("mitigate-trigger", TrackingRule.ANY, 1),
        ("treat-neuroinflammation", TrackingRule.ANY, 4),
        ("escalate-steroids-acth", TrackingRule.ANY, 2),
        ("retest-neuroinflammation", TrackingRule.ANY, 1),
        ("review-drug-responses", TrackingRule.EARLIER_EPISODES, 4),
        ("change-disease-modifying-drugs", TrackingRule.ANY, 1),
        ("give-ivig", TrackingRule.ANY, 1),
        ("multimodal-immunotherapy", TrackingRule.COMBINATION, 4),
        ("intensify-rehabilitation", TrackingRule.ANY, 1),
    ]
    (multi,) = [i for i in terminology.treatment.tracked if i.rule is TrackingRule.COMBINATION]
    assert dict(zip(multi.classes, multi.groups, strict=True)) == {
        STEROID: "steroid-or-acth",
        ACTH: "steroid-or-acth",
        IVIG: "ivig",
        DMD: "disease-modifying",
    }


def _broken(tmp_path: Path, name: str, edit: object) -> Path:
    folder = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, folder)
    path = folder / name
    data = json.loads(path.read_text())
    edit(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))
    return folder


def _orphan_target(data: dict) -> None:  # type: ignore[type-arg]
    data["group"][0]["element"][0]["target"][0]["code"] = "0000"


def _missing_value_set(data: dict) -> None:  # type: ignore[type-arg]
    data["action"][0]["documentation"][0]["resource"] = VS + "no-such-value-set"


def _unlabelled_combination(data: dict) -> None:  # type: ignore[type-arg]
    for link in data["action"][13]["documentation"]:
        link.pop("label", None)


def _unknown_rule(data: dict) -> None:  # type: ignore[type-arg]
    data["action"][1]["extension"][0]["valueCode"] = "sometimes"


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        pytest.param(
            "ConceptMap-oms-rxnorm-product-ingredient.json",
            _orphan_target,
            "no agent ValueSet lists",
            id="product-mapped-to-unlisted-ingredient",
        ),
        pytest.param(
            "PlanDefinition-oms-therapy-checklist.json",
            _missing_value_set,
            "lacks",
            id="tracked-action-names-missing-valueset",
        ),
        pytest.param(
            "PlanDefinition-oms-therapy-checklist.json",
            _unlabelled_combination,
            "labelled groups",
            id="combination-without-groups",
        ),
        pytest.param(
            "PlanDefinition-oms-therapy-checklist.json",
            _unknown_rule,
            "tracking rule",
            id="unknown-tracking-rule",
        ),
    ],
)
def test_inconsistent_profiles_refuse_the_start(
    tmp_path: Path, name: str, edit: object, message: str
) -> None:
    with pytest.raises(TerminologyError, match=message):
        load_terminology(_broken(tmp_path, name, edit))
