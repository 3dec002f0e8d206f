"""Every error class of the service, in one rooted hierarchy: what went wrong, whose fault, where.

`api/` turns each `OmsError` into an OperationOutcome (or a CDS Hooks error) from
`status`, `code`, `message` and `expression` alone. `message` must therefore be safe
to show to any caller: it names elements and rules, never a value taken from the
input (no patient data, no echoed JSON). Modules that raise these re-export the ones
their callers catch (`service.cds.errors`, `service.storage`, `service.clients.fhir`),
so a class has one definition and one place in the tree:

```
Exception
└── OmsError                      500 exception   base: status, code, message, expression
    ├── UnreadableInput           400 structure   not JSON, not UTF-8
    ├── BadHookRequest            400 invalid     not a CDS Hooks request this service answers
    ├── Unauthorized              401 login       no authenticated, trusted CDS client
    ├── NotFound                  404 not-found
    ├── PreconditionFailed        412 processing  a hook's data could not be had (CDS Hooks)
    ├── PayloadTooLarge           413 too-costly
    ├── UnsupportedMediaType      415 not-supported
    ├── UnprocessablePayload      422 processing  JSON that is no usable FHIR payload
    ├── FhirServerNotConfigured   501 not-supported
    ├── UpstreamError             502 exception   the FHIR server failed
    │   ├── FhirServerError       502             ... and says why (`fault`, `upstream_status`)
    │   └── UpstreamTimeout       504 timeout     ... in time (as httpx's timeout is a
    │                                             TransportError)
    ├── Overloaded                503 transient   admission control: busy, `retry_after` s
    ├── StorageUnavailable        503 transient   the database cannot be reached or written
    │   └── SchemaTooNew          503             ... its schema is newer than this code
    ├── FeedbackNotStored         503 transient   CDS feedback not written: send it again
    └── StartupError              500 exception   the service must not start (never answered)
        ├── InvalidSetting                        an OMS_ environment variable is wrong
        ├── TerminologyError                      profiles/ missing or inconsistent
        └── CdsConfigError                        OMS_CDS_CLIENTS_FILE missing or malformed
```

Private signals that never leave their module and are never answered stay beside the
code they steer: `clients.fhir._Retryable` (send again), `cds.prefetch._Unusable` (fetch
again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


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


class Unauthorized(OmsError):
    """The caller is not an authenticated, trusted CDS client: 401, no detail (why a
    token failed is logged as a reason, never told to whoever sent it)."""

    status = 401
    default_code = "login"

    def __init__(self, message: str = "Not an authenticated, trusted client") -> None:
        super().__init__(message)


class FhirServerNotConfigured(OmsError):
    """No `OMS_FHIR_BASE_URL`: this deployment reads no FHIR server, 501."""

    status = 501
    default_code = "not-supported"


class UpstreamError(OmsError):
    """The configured FHIR server failed or answered something unusable, 502."""

    status = 502
    default_code = "exception"


class UpstreamTimeout(UpstreamError):
    """The FHIR server did not answer in time: an upstream error (as httpx's
    TimeoutException is a TransportError), answered 504."""

    status = 504
    default_code = "timeout"


class FhirServerError(UpstreamError):
    """An UpstreamError (502) that also says why; `upstream_status` for `Fault.STATUS`."""

    def __init__(
        self,
        message: str,
        *,
        fault: Fault,
        upstream_status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.fault = fault
        self.upstream_status = upstream_status


class Fault(StrEnum):
    """Why a `FhirServerError` was raised."""

    #: No connection, or the exchange broke off (retried where allowed).
    UNREACHABLE = "unreachable"
    #: An HTTP status other than 2xx, 404 or 410; see `upstream_status`.
    STATUS = "status"
    #: Not JSON, not a resource, the wrong resource type, or an undecodable body.
    INVALID = "invalid"
    #: The `next` links lead back to a page already read.
    LOOP = "loop"
    #: More pages, entries or bytes than the limits allow.
    TOO_COSTLY = "too-costly"
    #: A URL on another origin, or one the caller's `url_guard` refused; never requested.
    OFF_SERVER = "off-server"


class BadHookRequest(OmsError):
    """The hook request is not a CDS Hooks request this service can answer: 400."""

    status = 400
    default_code = "invalid"


class PreconditionFailed(OmsError):
    """The data the screen needs could not be had from prefetch or the FHIR server: 412.

    CDS Hooks 2.0 names 412 for every such case, whatever went wrong upstream; `code`
    says what did (`timeout`, `security`, `not-found`, `transient`, `too-costly`, ...).
    """

    status = 412
    default_code = "processing"


class Overloaded(OmsError):
    """Admission control refused the request (too much work or body in flight): 503.

    `retry_after` (whole seconds) goes out as the `Retry-After` header; nothing of the
    request was worked on, so the caller may send it again unchanged.
    """

    status = 503
    default_code = "transient"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"The service is busy; retry after {retry_after} s.")
        self.retry_after = retry_after


class StorageUnavailable(OmsError):
    """The database cannot be reached or written now: 503, and nothing is accepted.

    A hook call whose token could not be checked against the replay cache is refused
    with this, never served: an unchecked token may be a replay.
    """

    status = 503
    default_code = "transient"


class SchemaTooNew(StorageUnavailable):
    """The database was migrated by a newer version of the service."""


class FeedbackNotStored(OmsError):
    """The feedback database could not be written: 503, so the client may send it again."""

    status = 503
    default_code = "transient"


class StartupError(OmsError):
    """Found while the process starts: it must not start. Never answered to a caller;
    the CLI prints `message` as one line on stderr and exits 2."""

    status = 500
    default_code = "exception"


class InvalidSetting(StartupError):
    """An `OMS_` environment variable is missing its type, range or form.

    The message names the variable and, unless it is a secret, the value given.
    """


class TerminologyError(StartupError):
    """The terminology in `profiles/` is missing or inconsistent: the service must not start.

    Raised at start-up only; its message names files and canonical URLs, never input.
    """


class CdsConfigError(StartupError):
    """The CDS clients file is missing or malformed: the service must not start."""
