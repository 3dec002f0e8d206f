"""CDS Hooks failures: both answer with an OperationOutcome (as CDS Hooks 3.0 suggests)."""

from __future__ import annotations

from service.errors import OmsError


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


class FeedbackNotStored(OmsError):
    """The feedback database could not be written: 503, so the client may send it again."""

    status = 503
    default_code = "transient"
