"""CDS Hooks failures, re-exported from `service.errors` (where every error class lives).

All answer with an OperationOutcome, as CDS Hooks 3.0 suggests.
"""

from __future__ import annotations

from service.errors import BadHookRequest, FeedbackNotStored, PreconditionFailed

__all__ = ["BadHookRequest", "FeedbackNotStored", "PreconditionFailed"]
