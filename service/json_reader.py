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


def refusal(exc: orjson.JSONDecodeError) -> OmsError:
    """The error for what orjson refuses: 413 past its depth limit, else 400."""
    if "depth limit" in exc.msg.lower():
        return PayloadTooLarge("The JSON is nested deeper than the limit of 1024 levels")
    if "utf-8" in exc.msg.lower():
        return UnreadableInput("The request body is not valid UTF-8")
    return UnreadableInput(f"The request body is not valid JSON (at position {exc.pos})")
