"""Feedback bodies: the spec's examples pass; each broken rule is a 400 naming its element."""

from __future__ import annotations

import json
from typing import Any

import pytest

from service.cds.errors import BadHookRequest
from service.cds.feedback import FeedbackItem, parse_feedback
from tests.cds.builders import fixture

STAMP = "2020-12-11T00:00:00Z"


def parse(document: Any) -> list[FeedbackItem]:
    return parse_feedback(json.dumps(document).encode())


def item(**fields: Any) -> dict[str, Any]:
    return {"card": "card-1", "outcome": "overridden", "outcomeTimestamp": STAMP, **fields}


@pytest.mark.parametrize(
    "name",
    [
        "spec-2.0-feedback-accepted.json",
        "spec-2.0-feedback-overridden.json",
        "spec-2.0-feedback-override-reason.json",
    ],
)
def test_the_spec_examples_are_accepted(name: str) -> None:
    assert len(parse(fixture(name))) == 1


def test_a_sandbox_style_reason_without_system_or_display_is_accepted() -> None:
    [parsed] = parse({"feedback": [item(overrideReason={"reason": {"code": "x"}})]})
    assert (parsed.reason_code, parsed.reason_system, parsed.reason_display) == ("x", None, None)


def test_timestamps_with_an_offset_are_stored_as_utc_too() -> None:
    [parsed] = parse({"feedback": [item(outcomeTimestamp="1985-04-12T23:20:50.52+02:00")]})
    assert parsed.outcome_timestamp_utc == "1985-04-12T21:20:50.520000Z"


@pytest.mark.parametrize(
    ("document", "expression"),
    [
        pytest.param({}, "feedback", id="no-feedback"),
        pytest.param({"feedback": []}, "feedback", id="empty-array"),
        pytest.param({"feedback": [1]}, "feedback[0]", id="item-not-object"),
        pytest.param({"feedback": [item(card=None)]}, "feedback[0].card", id="no-card"),
        pytest.param(
            {"feedback": [item(outcome="ignored")]}, "feedback[0].outcome", id="cds-fb-1-outcome"
        ),
        pytest.param(
            {"feedback": [item(outcome="accepted")]},
            "feedback[0].acceptedSuggestions",
            id="cds-fb-2-accepted-without-suggestions",
        ),
        pytest.param(
            {"feedback": [item(outcome="accepted", acceptedSuggestions=[{}])]},
            "feedback[0].acceptedSuggestions[0].id",
            id="suggestion-without-id",
        ),
        pytest.param(
            {"feedback": [item(overrideReason={})]},
            "feedback[0].overrideReason",
            id="cds-fb-3-empty-reason",
        ),
        pytest.param(
            {"feedback": [item(overrideReason={"reason": {"system": "s"}})]},
            "feedback[0].overrideReason.reason.code",
            id="reason-without-code",
        ),
        pytest.param(
            {"feedback": [item(outcomeTimestamp=None)]},
            "feedback[0].outcomeTimestamp",
            id="no-timestamp",
        ),
        pytest.param(
            {"feedback": [item(outcomeTimestamp="2020-12-11")]},
            "feedback[0].outcomeTimestamp",
            id="date-only",
        ),
        pytest.param(
            {"feedback": [item(outcomeTimestamp="2020-12-11T00:00:00")]},
            "feedback[0].outcomeTimestamp",
            id="no-offset",
        ),
        pytest.param(
            {"feedback": [item(outcomeTimestamp="yesterday")]},
            "feedback[0].outcomeTimestamp",
            id="not-a-date",
        ),
    ],
)
def test_broken_feedback_is_refused(document: Any, expression: str) -> None:
    with pytest.raises(BadHookRequest) as caught:
        parse(document)
    assert caught.value.status == 400
    assert caught.value.expression == [expression]
