"""Cards from engine results: what each risk level gets and how input text is shown."""

from __future__ import annotations

import json

import pytest

from service.cds.cards import SMART_LINK_LABEL, SMART_LINK_RISKS, _escape, cards_for
from service.engine import AssessmentResult, assess_payload
from service.terminology import Terminology
from tests.cds.builders import example
from tests.cds.conformance import response_problems


def result_for(name: str, terminology: Terminology) -> AssessmentResult:
    return assess_payload(json.dumps(example(name)).encode(), terminology)


@pytest.mark.parametrize(
    ("name", "count"), [("high", 1), ("moderate", 1), ("low", 0)], ids=["high", "moderate", "low"]
)
def test_one_card_for_high_and_moderate_none_for_low(
    terminology: Terminology, name: str, count: int
) -> None:
    cards = cards_for(result_for(name, terminology), terminology)
    assert len(cards) == count
    assert response_problems({"cards": cards}) == []


def test_uuids_are_fresh_for_every_card(terminology: Terminology) -> None:
    result = result_for("high", terminology)
    first, second = cards_for(result, terminology), cards_for(result, terminology)
    assert first[0]["uuid"] != second[0]["uuid"]
    ids = [a["resource"]["id"] for a in first[0]["suggestions"][0]["actions"]]
    assert len(set(ids)) == 2


def test_the_engine_result_is_not_changed_by_making_cards(terminology: Terminology) -> None:
    result = result_for("high", terminology)
    before = json.dumps(result.bundle, sort_keys=True)
    cards_for(result, terminology)
    assert json.dumps(result.bundle, sort_keys=True) == before


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("Condition/nb-1", "Condition/nb-1", id="plain-reference"),
        pytest.param("a|b", "a\\|b", id="table-pipe"),
        pytest.param("<script>x</script>", "\\<script\\>x\\</script\\>", id="html"),
        pytest.param("[link](http://x)", "\\[link\\](http://x)", id="markdown-link"),
        pytest.param("two\nlines", "two lines", id="newline"),
    ],
)
def test_input_text_cannot_inject_markdown_or_html(text: str, shown: str) -> None:
    assert _escape(text) == shown


@pytest.mark.parametrize("name", ["high", "moderate"])
def test_high_and_moderate_cards_link_to_the_smart_app(terminology: Terminology, name: str) -> None:
    url = "https://cds.example.org/app/launch.html"
    (card,) = cards_for(result_for(name, terminology), terminology, app_launch_url=url)
    assert card["links"] == [{"label": SMART_LINK_LABEL, "url": url, "type": "smart"}]
    assert response_problems({"cards": [card]}) == []


def test_no_link_without_a_launch_url_and_certain_is_linked_by_value(
    terminology: Terminology,
) -> None:
    (card,) = cards_for(result_for("high", terminology), terminology)
    assert "links" not in card
    # `certain` (a recorded diagnosis) is named as a value, so no domain change is needed.
    assert {"high", "moderate", "certain"} == SMART_LINK_RISKS


def test_a_recorded_diagnosis_gets_an_informational_checklist_card(
    terminology: Terminology,
) -> None:
    document = example("low")
    oms = {
        "resourceType": "Condition",
        "id": "oms",
        "code": {"coding": [{"system": "https://www.orpha.net", "code": "1183"}]},
        "subject": next(
            e["resource"]["subject"]
            for e in document["entry"]
            if e["resource"]["resourceType"] == "Condition"
        ),
    }
    document["entry"].append({"resource": oms})
    result = assess_payload(json.dumps(document).encode(), terminology)
    cards = cards_for(result, terminology)

    assert [(c["indicator"], c["summary"]) for c in cards] == [
        ("info", "OMS diagnosis recorded: therapy checklist available")
    ]
    actions = cards[0]["suggestions"][0]["actions"]
    assert actions[0]["resource"]["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == (
        "certain"
    )
    assert len(actions[1]["resource"]["activity"]) == 15
    assert "no neuroblastoma found so far" in cards[0]["detail"]
    assert response_problems({"cards": cards}) == []
    url = "https://cds.example.org/app/launch.html"
    (linked,) = cards_for(result, terminology, app_launch_url=url)
    assert linked["links"] == [{"label": SMART_LINK_LABEL, "url": url, "type": "smart"}]
