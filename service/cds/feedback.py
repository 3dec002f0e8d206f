"""The body of `POST /cds-services/oms-screening/feedback`, checked (CDS Hooks 2.0 §Feedback).

Rules: an object whose `feedback` is a non-empty array; each item has `card` (a card
uuid), `outcome` `accepted` or `overridden` (cds-fb-1), `acceptedSuggestions` (each
`{"id"}`) when accepted (cds-fb-2), an optional `overrideReason` holding `reason`
(a Coding: `code` required, `system` and `display` optional, since the public
sandbox sends neither) or `userComment` (cds-fb-3), and `outcomeTimestamp`, an
RFC 3339 date-time with a UTC offset (stored as given and as UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from service.cds.errors import BadHookRequest
from service.cds.request import json_object
from service.fhir_json import Json
from service.storage import FeedbackItem

OUTCOMES: Final = frozenset({"accepted", "overridden"})
MAX_ITEMS: Final = 1000
_MAX_TEXT: Final = 4096


def parse_feedback(body: bytes) -> list[FeedbackItem]:
    """The items, or BadHookRequest (400) naming the first element at fault."""
    items = json_object(body).get("feedback")
    if not isinstance(items, list) or not items:
        raise BadHookRequest(
            "feedback must be a non-empty array", code="required", expression=["feedback"]
        )
    if len(items) > MAX_ITEMS:
        raise BadHookRequest(
            f"feedback holds more than {MAX_ITEMS} items",
            code="too-costly",
            expression=["feedback"],
        )
    return [_item(item, f"feedback[{n}]") for n, item in enumerate(items)]


def _item(item: object, where: str) -> FeedbackItem:
    if not isinstance(item, dict):
        raise BadHookRequest("A feedback item must be an object", expression=[where])
    card = _text(item, "card", where)
    outcome = _text(item, "outcome", where)
    if outcome not in OUTCOMES:
        raise BadHookRequest(
            "outcome must be accepted or overridden",
            code="code-invalid",
            expression=[f"{where}.outcome"],
        )
    stamp = _text(item, "outcomeTimestamp", where)
    utc = _utc(stamp, f"{where}.outcomeTimestamp")
    accepted = _accepted(item.get("acceptedSuggestions"), outcome, where)
    system = code = display = comment = None
    reason = item.get("overrideReason")
    if reason is not None:
        path = f"{where}.overrideReason"
        if not isinstance(reason, dict):
            raise BadHookRequest("overrideReason must be an object", expression=[path])
        coding = reason.get("reason")
        if coding is not None:
            if not isinstance(coding, dict):
                raise BadHookRequest(
                    "overrideReason.reason must be a Coding", expression=[f"{path}.reason"]
                )
            code = _text(coding, "code", f"{path}.reason")
            system = _optional_text(coding, "system", f"{path}.reason")
            display = _optional_text(coding, "display", f"{path}.reason")
        comment = _optional_text(reason, "userComment", path)
        if code is None and comment is None:
            raise BadHookRequest(
                "overrideReason needs a reason or a userComment",
                code="required",
                expression=[path],
            )
    return FeedbackItem(card, outcome, stamp, utc, accepted, system, code, display, comment)


def _accepted(value: object, outcome: str, where: str) -> tuple[str, ...]:
    path = f"{where}.acceptedSuggestions"
    if value is None:
        if outcome == "accepted":
            raise BadHookRequest(
                "acceptedSuggestions is required when outcome is accepted",
                code="required",
                expression=[path],
            )
        return ()
    if not isinstance(value, list) or not value:
        raise BadHookRequest("acceptedSuggestions must be a non-empty array", expression=[path])
    ids = []
    for n, suggestion in enumerate(value):
        if not isinstance(suggestion, dict):
            raise BadHookRequest(
                "An accepted suggestion must be an object", expression=[f"{path}[{n}]"]
            )
        ids.append(_text(suggestion, "id", f"{path}[{n}]"))
    return tuple(ids)


def _utc(stamp: str, where: str) -> str:
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        raise BadHookRequest(
            "outcomeTimestamp must be an RFC 3339 date-time", expression=[where]
        ) from None
    if "T" not in stamp.upper() or moment.tzinfo is None:
        raise BadHookRequest(
            "outcomeTimestamp must be a date-time with a UTC offset", expression=[where]
        )
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _text(parent: Json, key: str, where: str) -> str:
    value = parent.get(key)
    if value is None:
        raise BadHookRequest(f"{key} is required", code="required", expression=[f"{where}.{key}"])
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT:
        raise BadHookRequest(f"{key} must be a non-empty string", expression=[f"{where}.{key}"])
    return value


def _optional_text(parent: Json, key: str, where: str) -> str | None:
    return None if parent.get(key) is None else _text(parent, key, where)
