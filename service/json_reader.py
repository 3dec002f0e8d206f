"""The one JSON reader of every request body: the same BOM, depth and error rules."""

from __future__ import annotations

from typing import Final

import orjson

from service.errors import OmsError, PayloadTooLarge, UnreadableInput

UTF8_BOM: Final = b"\xef\xbb\xbf"


def read_json(body: bytes) -> object:
    """The body parsed, or 400 (not JSON, not UTF-8) / 413 (nested deeper than 1024).

    A leading UTF-8 byte-order mark is ignored, as RFC 8259 allows: some Windows
    integration engines send one. Messages name positions, never content.
    """
    if body.startswith(UTF8_BOM):
        body = body[len(UTF8_BOM) :]
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise refusal(exc) from None


def number_too_large(exc: orjson.JSONDecodeError) -> bool:
    """Whether orjson refused a number it cannot hold as a double (valid JSON and FHIR)."""
    return "infinity" in exc.msg.lower()


def refusal(exc: orjson.JSONDecodeError, where: str | None = None) -> OmsError:
    """The error for what orjson refuses: 413 past its depth limit, else 400. `where`:
    the FHIRPath of a part read by itself (its position would mislead, so none is told).

    A number too large for a double is valid JSON and valid FHIR (a decimal has no
    range), so it is told apart from JSON that is not valid."""
    reason = exc.msg.lower()
    if "depth limit" in reason:
        return PayloadTooLarge("The JSON is nested deeper than the limit of 1024 levels")
    if "utf-8" in reason:
        return UnreadableInput("The request body is not valid UTF-8")
    at = f"at {where}" if where else f"at position {exc.pos}"
    if number_too_large(exc):
        return UnreadableInput(
            f"The request holds a number too large for this service to read ({at})",
            code="not-supported",
            expression=[where] if where else (),
        )
    return UnreadableInput(
        f"The request body is not valid JSON ({at})", expression=[where] if where else ()
    )
