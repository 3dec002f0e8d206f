"""Admission control at the HTTP edge: `service.admission`'s limits as ASGI middleware.

A request is admitted before its route runs, with room for its declared body
(`Content-Length`); a chunked body takes room as it streams in. No room within
`OMS_ADMISSION_WAIT_SECONDS`: 503 with `Retry-After` and an OperationOutcome (the error
shape of every route, `/cds-services` included: CDS Hooks 3.0 suggests one), answered
before the body is read. The probes and the metrics are never held back: a busy
replica must still say it is alive, and be seen busy.

A body larger than `OMS_MAX_BODY_BYTES` takes no room: its route refuses it (413) from
the declared size, or as soon as the running total passes the limit.
"""

from __future__ import annotations

import math

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.admission import Limits, Ticket
from service.api.errors import oms_error_response
from service.errors import Overloaded
from service.metrics import ADMISSION_REFUSALS

#: Never held back: liveness, readiness, Prometheus.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class AdmissionMiddleware:
    """Pure ASGI, so the body stream is metered without buffering it."""

    def __init__(self, app: ASGIApp, *, limits: Limits, wait: float, max_body_bytes: int) -> None:
        self.app = app
        self.limits = limits
        self.wait = wait
        self.max_body_bytes = max_body_bytes
        #: Whole seconds a refused caller is told to wait: about one admission wait.
        self.retry_after = max(1, math.ceil(wait))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        room = declared if declared is not None and declared <= self.max_body_bytes else 0
        ticket = await self.limits.admit(room, self.wait)
        if ticket is None:
            ADMISSION_REFUSALS.labels("wait").inc()
            response = oms_error_response(Overloaded(self.retry_after))
            await response(scope, receive, send)
            return
        metered = receive if declared is not None else self._metered(receive, ticket)
        try:
            await self.app(scope, metered, send)
        finally:
            ticket.release()

    def _metered(self, receive: Receive, ticket: Ticket) -> Receive:
        """`receive` for a body of unknown size: room is taken for each chunk as it comes;
        none left in time raises Overloaded, which the route answers like any OmsError."""
        total = 0

        async def metered_receive() -> Message:
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if total <= self.max_body_bytes and not await ticket.grow(total, self.wait):
                    ADMISSION_REFUSALS.labels("body").inc()
                    raise Overloaded(self.retry_after)
            return message

        return metered_receive


def _content_length(scope: Scope) -> int | None:
    """The declared body size; None for a chunked body (the server checks the header's form)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None
