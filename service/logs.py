"""Structured JSON logs that carry no patient data.

Each line is one JSON object: time, level, logger, event, and whatever safe fields the
caller passes in `extra` (request id, route template, status, latency, counts). Message
arguments are never formatted in, and exception text and tracebacks are never written:
both can hold input values.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import Any

import orjson

#: `extra` fields a log line may carry; anything else is dropped, so a careless
#: `extra={"body": ...}` cannot leak.
SAFE_FIELDS = frozenset(
    {
        "request_id",
        "method",
        "route",
        "status",
        "latency_ms",
        "bytes_in",
        "bytes_out",
        "entries",
        "kept",
        "correlation_id",
        "error_type",
        "error_code",
        "upstream_status",
        "cards",
        "reason",
        "hook_instance",
    }
)
#: hookInstance is a client-chosen UUID (CDS Hooks 2.0); anything else is not written.
_UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
_REASON = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": _event(record),
        }
        for field in SAFE_FIELDS:
            if field in record.__dict__:
                line[field] = _safe(field, record.__dict__[field])
        if record.exc_info and record.exc_info[0] is not None:
            line["error_type"] = record.exc_info[0].__name__
        return orjson.dumps(line).decode()


def _safe(field: str, value: Any) -> Any:
    """Free-text fields are written only in the shape they must have."""
    if field == "hook_instance":
        return value if isinstance(value, str) and _UUID.match(value) else "(not a UUID)"
    if field == "reason":
        return value if isinstance(value, str) and _REASON.match(value) else "(unnamed)"
    return value


def _event(record: logging.LogRecord) -> str:
    """The message. Arguments are formatted in only for uvicorn's own server messages
    (pid, host, port), whose arguments never come from a request."""
    if record.name == "uvicorn.error" and record.args and not record.exc_info:
        return record.getMessage()
    return record.msg if isinstance(record.msg, str) else type(record.msg).__name__


def configure_logging(level: str = "INFO") -> None:
    """Send the service's logs (and uvicorn's error log) to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("oms_cds", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    # httpx and httpcore log each request URL at INFO/DEBUG, and FHIR search URLs name
    # the patient: keep them to warnings, which carry no URL.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
