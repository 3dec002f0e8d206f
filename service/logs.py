"""Structured JSON logs that carry no patient data.

Each line is one JSON object: time, level, logger, event, and whatever safe fields the
caller passes in `extra` (request id, route template, status, latency, counts). Message
arguments are never formatted in, and exception text and tracebacks are never written:
both can hold input values. Where an unexpected error happened is written as code
locations only (`code_location`: file:line:function, no values).

`configure_logging` is called by the app factory (and the CLI), once or many times: it
installs one handler per logger, never a second.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Final

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
        "frames",
    }
)
#: The loggers this module configures; none of them propagates to the root logger, whose
#: handlers (a host's, a default formatter) could format arguments or tracebacks in.
SERVICE_LOGGERS: Final = ("oms_cds", "uvicorn.error")
#: Innermost frames kept by `code_location`: enough to see the route and the failing call.
MAX_FRAMES: Final = 12
#: hookInstance is a client-chosen UUID (CDS Hooks 2.0); anything else is not written.
_UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
_REASON = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
#: `path/to/file.py:123:function`, as `code_location` writes it.
_FRAME = re.compile(r"^[A-Za-z0-9_./<>-]{1,200}:[0-9]{1,7}:[A-Za-z0-9_.<>]{1,200}$")
#: Folders a frame's file is named relative to: the service's checkout, then sys.path.
_ROOTS: Final = (str(Path(__file__).resolve().parent.parent),)


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
    if field == "frames":
        frames = value if isinstance(value, list) else []
        return [f for f in frames if isinstance(f, str) and _FRAME.match(f)]
    return value


def _event(record: logging.LogRecord) -> str:
    """The message. Arguments are formatted in only for uvicorn's own server messages
    (pid, host, port), whose arguments never come from a request."""
    if record.name == "uvicorn.error" and record.args and not record.exc_info:
        return record.getMessage()
    return record.msg if isinstance(record.msg, str) else type(record.msg).__name__


def code_location(exc: BaseException) -> list[str]:
    """Where `exc` was raised, as `file:line:function` frames, innermost last.

    Only code locations: no exception message, no local values, no source lines (they
    can all hold input). Files are named relative to the checkout or to sys.path.
    """
    frames = [
        f"{_relative(frame.f_code.co_filename)}:{line}:{frame.f_code.co_name}"
        for frame, line in traceback.walk_tb(exc.__traceback__)
    ]
    return frames[-MAX_FRAMES:]


def _relative(filename: str) -> str:
    roots = sorted({*_ROOTS, *(p for p in sys.path if p)}, key=len, reverse=True)
    for root in roots:
        if filename.startswith(root.rstrip("/") + "/"):
            return filename[len(root.rstrip("/")) + 1 :]
    return Path(filename).name


class _StderrHandler(logging.Handler):
    """Writes to whatever `sys.stderr` is at the time (a test may have replaced it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):  # stderr closed: logging must not fail the request
            self.handleError(record)


_HANDLER: Final = _StderrHandler()
_HANDLER.setFormatter(JsonFormatter())


def configure_logging(level: str = "INFO") -> None:
    """Send the service's logs (and uvicorn's error log) to stderr as JSON lines.

    Idempotent: the first call gives each logger this module's one handler (instead of
    whatever it had) and the level; a later call with the same level changes nothing,
    with another level only sets it.
    """
    for name in SERVICE_LOGGERS:
        _own(logging.getLogger(name), level)
    # psycopg's pool warns when it cannot connect: as JSON too, its message unformatted
    # (the formatted one names the host and port; a password never appears in either).
    _own(logging.getLogger("psycopg"), "WARNING")
    # httpx and httpcore log each request URL at INFO/DEBUG, and FHIR search URLs name
    # the patient: keep them to warnings, which carry no URL. uvicorn's access log (on
    # when uvicorn is run by hand) writes paths and queries, which can name patients.
    for name in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


#: The level each logger was last configured with.
_configured: dict[str, str] = {}


def _own(logger: logging.Logger, level: str) -> None:
    if _HANDLER in logger.handlers and _configured.get(logger.name) == level:
        return
    if _HANDLER not in logger.handlers:
        logger.handlers[:] = [_HANDLER]
    logger.setLevel(level)
    logger.propagate = False
    _configured[logger.name] = level
