"""The embedded backend: one SQLite file, for a single process (`make serve`, tests).

Every call opens its own connection in a worker thread (opening one is ~0.1 ms, and a
per-call connection is safe from any thread). WAL journal with `synchronous=FULL`: an
item or a replay record is on disk before the answer is sent. Writers take the lock
with `BEGIN IMMEDIATE`, so insert-if-absent is atomic between threads and processes.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

from anyio import to_thread

from service.storage.base import (
    FEEDBACK_COLUMNS,
    FeedbackRow,
    Storage,
    StorageUnavailable,
    feedback_dict,
    sqlite_url,
)
from service.storage.migrations import TABLE_SQLITE, SchemaTooNew, pending

T = TypeVar("T")

#: Seconds between two prunings of expired replay records.
PRUNE_EVERY = 60.0

_FIRST_USE = """
INSERT INTO jwt_replay (key, expires_at) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
WHERE jwt_replay.expires_at < ?
"""
_INSERT_FEEDBACK = f"""
INSERT OR IGNORE INTO feedback ({", ".join(FEEDBACK_COLUMNS)}, item_key)
VALUES ({", ".join("?" * (len(FEEDBACK_COLUMNS) + 1))})
"""


class SqliteStorage(Storage):
    def __init__(
        self, path: Path, *, timeout: float = 10.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = path
        self.where = sqlite_url(path)
        self._timeout = timeout
        self._clock = clock
        self._migrated = False
        self._lock = threading.Lock()
        self._pruned_at = 0.0

    async def open(self) -> None:
        await self._run(lambda: None)

    async def close(self) -> None:
        return None

    async def ping(self) -> None:
        await self._run(lambda: None)

    async def first_use(self, key: bytes, until: float) -> bool:
        return await self._run(lambda: self._first_use(key, until))

    async def add_feedback(self, rows: Sequence[FeedbackRow]) -> int:
        return await self._run(lambda: self._add_feedback(rows))

    async def feedback(self) -> list[dict[str, Any]]:
        return await self._run(self._feedback)

    def migrate(self) -> None:
        """Apply pending migrations (once per instance; later calls return at once)."""
        with self._lock:
            if self._migrated:
                return
            with closing(self._connect()) as connection:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    connection.execute(TABLE_SQLITE)
                    applied = {
                        int(row[0])
                        for row in connection.execute("SELECT version FROM oms_schema_migrations")
                    }
                    for migration in pending(applied):
                        for statement in migration.sqlite.split(";"):
                            connection.execute(statement)
                        connection.execute(
                            "INSERT INTO oms_schema_migrations VALUES (?, ?, datetime('now'))",
                            (migration.version, migration.name),
                        )
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
            self._migrated = True

    async def _run(self, work: Callable[[], T]) -> T:
        def call() -> T:
            self.migrate()
            return work()

        try:
            return await to_thread.run_sync(call)
        except (sqlite3.Error, OSError, SchemaTooNew) as exc:
            raise StorageUnavailable(_reason(exc)) from None

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; each write says BEGIN IMMEDIATE.
        connection = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        return connection

    def _first_use(self, key: bytes, until: float) -> bool:
        now = self._clock()
        with closing(self._connect()) as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                first = connection.execute(_FIRST_USE, (key, until, now)).rowcount == 1
                if now - self._pruned_at >= PRUNE_EVERY:
                    connection.execute("DELETE FROM jwt_replay WHERE expires_at < ?", (now,))
                    self._pruned_at = now
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        return first

    def _add_feedback(self, rows: Sequence[FeedbackRow]) -> int:
        with closing(self._connect()) as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                before = connection.total_changes
                connection.executemany(_INSERT_FEEDBACK, rows)
                added = connection.total_changes - before
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        return added

    def _feedback(self) -> list[dict[str, Any]]:
        with closing(self._connect()) as connection:
            cursor = connection.execute(
                f"SELECT {', '.join(FEEDBACK_COLUMNS)} FROM feedback ORDER BY id"
            )
            return [feedback_dict(row) for row in cursor.fetchall()]


def _reason(exc: BaseException) -> str:
    """Safe words for a storage failure (the exception text may name paths or values)."""
    if isinstance(exc, SchemaTooNew):
        return "The database schema is newer than this service; it cannot be used"
    return "The database cannot be reached or written now; try again later"
