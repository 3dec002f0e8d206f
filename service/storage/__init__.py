"""Shared state: the JWT replay cache and the CDS feedback, in one database.

`OMS_DATABASE_URL` picks the backend: unset (or `sqlite:///PATH`), an embedded SQLite
file that needs no server, for one process; `postgresql://...`, a PostgreSQL server
that every replica of the service shares, so a token used on one replica is refused
on all of them and feedback lands in one place. Both backends apply the same
versioned migrations (`service.storage.migrations`) when they open.
"""

from __future__ import annotations

from service.errors import StorageUnavailable
from service.storage.base import (
    FeedbackRow,
    Storage,
    feedback_rows,
    open_storage,
    redacted,
)
from service.storage.records import FeedbackItem

__all__ = [
    "FeedbackItem",
    "FeedbackRow",
    "Storage",
    "StorageUnavailable",
    "feedback_rows",
    "open_storage",
    "redacted",
]
