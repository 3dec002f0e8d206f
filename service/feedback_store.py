"""CDS Hooks feedback, kept in SQLite: every item committed to disk before the 200.

One connection per write (writes are rare and small; a per-call connection is safe
from any thread), WAL journal with `synchronous=FULL`, so a committed item survives
a crash or restart. A client may send the same feedback again (CDS Hooks 2.0 says a
card may get feedback several times): an identical item is stored once.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from service.cds.feedback import FeedbackItem

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    client_iss TEXT NOT NULL,
    service_id TEXT NOT NULL,
    card TEXT NOT NULL,
    outcome TEXT NOT NULL,
    outcome_timestamp TEXT NOT NULL,
    outcome_timestamp_utc TEXT NOT NULL,
    accepted_suggestions TEXT NOT NULL,
    reason_system TEXT,
    reason_code TEXT,
    reason_display TEXT,
    user_comment TEXT,
    item_key TEXT NOT NULL UNIQUE
)
"""
_INSERT = """
INSERT OR IGNORE INTO feedback (
    received_at, client_iss, service_id, card, outcome, outcome_timestamp,
    outcome_timestamp_utc, accepted_suggestions, reason_system, reason_code,
    reason_display, user_comment, item_key
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_COLUMNS = (
    "received_at",
    "client_iss",
    "service_id",
    "card",
    "outcome",
    "outcome_timestamp",
    "outcome_timestamp_utc",
    "accepted_suggestions",
    "reason_system",
    "reason_code",
    "reason_display",
    "user_comment",
)


class FeedbackStore:
    """The feedback table in the SQLite file at `path` (created, with its folder, on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, client_iss: str, service_id: str, items: Iterable[FeedbackItem]) -> int:
        """Commit the items in one transaction; the number newly stored (repeats are not)."""
        received = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        rows = []
        for item in items:
            values = (
                client_iss,
                service_id,
                item.card,
                item.outcome,
                item.outcome_timestamp,
                item.outcome_timestamp_utc,
                orjson.dumps(list(item.accepted_suggestions)).decode(),
                item.reason_system,
                item.reason_code,
                item.reason_display,
                item.user_comment,
            )
            key = hashlib.sha256(orjson.dumps(values)).hexdigest()
            rows.append((received, *values, key))
        with closing(self._connect()) as connection, connection:
            before = connection.total_changes
            connection.executemany(_INSERT, rows)
            return connection.total_changes - before

    def all(self) -> list[dict[str, Any]]:
        """Every stored item, oldest first (for audits and tests)."""
        with closing(self._connect()) as connection:
            cursor = connection.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback ORDER BY id")
            rows: Sequence[tuple[Any, ...]] = cursor.fetchall()
        return [
            {
                **dict(zip(_COLUMNS, row, strict=True)),
                "accepted_suggestions": orjson.loads(row[_COLUMNS.index("accepted_suggestions")]),
            }
            for row in rows
        ]

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10.0)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute(_SCHEMA)
        return connection
