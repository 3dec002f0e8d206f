"""The checker the card and discovery tests rely on, tried on the spec's own examples."""

from __future__ import annotations

import pytest

from tests.cds.builders import fixture
from tests.cds.conformance import discovery_problems, response_problems


@pytest.mark.parametrize(
    "name", ["spec-2.0-discovery-response.json", "spec-2.0-discovery-with-extension.json"]
)
def test_the_spec_discovery_examples_pass(name: str) -> None:
    assert discovery_problems(fixture(name)) == []


def test_the_spec_card_example_passes() -> None:
    assert response_problems(fixture("spec-2.0-cards-response.json")) == []


def test_the_spec_autolaunchable_example_lacks_the_required_indicator() -> None:
    assert response_problems(fixture("spec-2.0-autolaunchable-response.json")) == [
        "cards[0].indicator not info/warning/critical"
    ]


def test_the_spec_system_action_example_lacks_the_required_description() -> None:
    assert response_problems(fixture("spec-2.0-system-actions-response.json")) == [
        "systemActions[0].description missing"
    ]


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        pytest.param(
            {"cards": [{"summary": "x" * 140, "indicator": "info", "source": {"label": "s"}}]},
            "cards[0].summary missing or 140+ characters",
            id="summary-140",
        ),
        pytest.param(
            {
                "cards": [
                    {"summary": "s", "indicator": "info", "source": {"label": "s", "url": None}}
                ]
            },
            "empty value at $.cards[0].source.url",
            id="null-url",
        ),
        pytest.param(
            {
                "cards": [
                    {
                        "summary": "s",
                        "indicator": "info",
                        "source": {"label": "s"},
                        "suggestions": [{"label": "l"}],
                    }
                ]
            },
            "cards[0].selectionBehavior missing with suggestions",
            id="no-selection",
        ),
    ],
)
def test_the_checker_flags_broken_cards(document: dict[str, object], problem: str) -> None:
    assert problem in response_problems(document)
