"""Store what a CDS client says it did with the cards (CDS Hooks 2.0 "Feedback").

An identical item from one client is stored once, so a client may send the same
feedback again after a 503 without doubling it.
"""

from __future__ import annotations

import logging

from service.cds.discovery import SERVICE_ID
from service.cds.errors import FeedbackNotStored
from service.cds.feedback import parse_feedback
from service.metrics import STORAGE_ERRORS
from service.storage import Storage, StorageUnavailable, feedback_rows

log = logging.getLogger("oms_cds.cds")


async def record_feedback(body: bytes, iss: str, storage: Storage) -> None:
    """Store the feedback in `body` from the client `iss`.

    BadHookRequest (400) for a body that is no feedback; FeedbackNotStored (503) when
    the database cannot be written, so the client sends it again later.
    """
    items = parse_feedback(body)
    try:
        await storage.add_feedback(feedback_rows(iss, SERVICE_ID, items))
    except StorageUnavailable:
        STORAGE_ERRORS.labels("feedback").inc()
        log.error("feedback not stored")  # noqa: TRY400 (no traceback in logs)
        raise FeedbackNotStored("The feedback could not be stored; send it again later") from None
