"""One rooted exception hierarchy: what went wrong, whose fault, and where.

`api/` turns each `OmsError` into an OperationOutcome (or a CDS Hooks error) from
`status`, `code`, `message` and `expression` alone. `message` must therefore be safe
to show to any caller: it names elements and rules, never a value taken from the
input (no patient data, no echoed JSON).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Issue:
    """One more problem found in the same request (OperationOutcome.issue)."""

    message: str
    code: str
    expression: list[str] = field(default_factory=list)


class OmsError(Exception):
    """Base of every error the service raises on purpose.

    `code` is an OperationOutcome `issue.code` (`invalid`, `structure`, `required`,
    `value`, `not-supported`, `too-costly`, `processing`, `not-found`, `exception`,
    `timeout`); `expression` lists FHIRPath locations such as
    `Bundle.entry[3].resource.subject`.
    """

    status: int = 500
    default_code: str = "exception"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        expression: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.expression: list[str] = list(expression)
        #: Further problems found in the same request, reported after this one.
        self.more: list[Issue] = []

    def issues(self) -> list[Issue]:
        """This error's own issue first, then the others found with it."""
        return [Issue(self.message, self.code, self.expression), *self.more]

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, code={self.code!r}, "
            f"message={self.message!r}, expression={self.expression!r})"
        )


class UnreadableInput(OmsError):
    """The body is not JSON (or not UTF-8): the caller's fault, 400."""

    status = 400
    default_code = "structure"


class PayloadTooLarge(OmsError):
    status = 413
    default_code = "too-costly"


class UnsupportedMediaType(OmsError):
    status = 415
    default_code = "not-supported"


class UnprocessablePayload(OmsError):
    """Readable JSON that is not a usable FHIR payload for this operation, 422."""

    status = 422
    default_code = "processing"


class NotFound(OmsError):
    status = 404
    default_code = "not-found"


class UpstreamError(OmsError):
    """The configured FHIR server failed or answered something unusable, 502."""

    status = 502
    default_code = "exception"


class UpstreamTimeout(UpstreamError):
    """The FHIR server did not answer in time: an upstream error (as httpx's
    TimeoutException is a TransportError), answered 504."""

    status = 504
    default_code = "timeout"


class TerminologyError(OmsError):
    """The terminology in `profiles/` is missing or inconsistent: the service must not start.

    Raised at start-up only; its message names files and canonical URLs, never input.
    """

    status = 500
    default_code = "exception"
