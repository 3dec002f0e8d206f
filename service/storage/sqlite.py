"""The embedded backend: one SQLite file, for a single process (`make serve`, tests).

Calls run in worker threads on one connection kept open and used under a lock (SQLite
allows one writer at a time anyway; opening a connection per call measured ~1.4 ms
more, mostly the WAL checkpoint when the last connection closes). WAL journal with
`synchronous=FULL`: an item or a replay record is on disk before the answer is sent.
Writers take the lock with `BEGIN IMMEDIATE`, so insert-if-absent is atomic between
threads and between processes sharing the file. After an error the connection is
dropped, and the next call opens a new one.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

from anyio import to_thread

from service.errors import SchemaTooNew, StorageUnavailable
from service.storage.base import (
    FEEDBACK_COLUMNS,
    FeedbackRow,
    Storage,
    feedback_dict,
    sqlite_url,
)
from service.storage.migrations import TABLE_SQLITE, pending

T = TypeVar("T")

#: Seconds between two prunings of expired replay records.
PRUNE_EVERY = 60.0

_FIRST_USE = """
INSERT INTO jwt_replay (key, expires_at) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
WHERE jwt_replay.expires_at < ?
"""
_USED = "SELECT 1 FROM jwt_replay WHERE key = ? AND expires_at >= ?"
_INSERT_FEEDBACK = f"""
INSERT OR IGNORE INTO feedback ({", ".join(FEEDBACK_COLUMNS)}, item_key)
VALUES ({", ".join("?" * (len(FEEDBACK_COLUMNS) + 1))})
"""

_SELECT_FEEDBACK = f"SELECT {', '.join(FEEDBACK_COLUMNS)} FROM feedback ORDER BY id"


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
        self._connection: sqlite3.Connection | None = None
        self._pruned_at = 0.0

    async def open(self) -> None:
        await self._run(lambda connection: None)

    async def close(self) -> None:
        with self._lock:
            self._drop()

    async def ping(self) -> None:
        await self._run(lambda connection: connection.execute("SELECT 1").fetchall())

    async def first_use(self, key: bytes, until: float) -> bool:
        return await self._run(lambda connection: self._first_use(connection, key, until))

    async def used(self, key: bytes) -> bool:
        def read(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(_USED, (key, self._clock()))
            return cursor.fetchone() is not None

        return await self._run(read)

    async def add_feedback(self, rows: Sequence[FeedbackRow]) -> int:
        return await self._run(lambda connection: self._add_feedback(connection, rows))

    async def feedback(self) -> list[dict[str, Any]]:
        return await self._run(self._feedback)

    def migrate(self) -> None:
        """Apply pending migrations, once per instance (called under the instance's lock)."""
        if self._migrated:
            return
        with closing(self._connect()) as connection, _transaction(connection):
            connection.execute(TABLE_SQLITE)
            rows = connection.execute("SELECT version FROM oms_schema_migrations")
            for migration in pending({int(row[0]) for row in rows}):
                for statement in migration.sqlite.split(";"):
                    connection.execute(statement)
                connection.execute(
                    "INSERT INTO oms_schema_migrations VALUES (?, ?, datetime('now'))",
                    (migration.version, migration.name),
                )
        self._migrated = True

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            with self._lock:
                try:
                    self.migrate()
                    if self._connection is None:
                        self._connection = self._connect()
                    return work(self._connection)
                except BaseException:
                    self._drop()
                    raise

        try:
            return await to_thread.run_sync(call)
        except (sqlite3.Error, OSError, SchemaTooNew) as exc:
            raise StorageUnavailable(_reason(exc)) from None

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; each write says BEGIN IMMEDIATE.
        connection = sqlite3.connect(
            self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        self._wal(connection)
        connection.execute("PRAGMA synchronous=FULL")
        return connection

    def _wal(self, connection: sqlite3.Connection) -> None:
        """Switch to WAL. Several replicas creating the file at once can each get
        SQLITE_BUSY here without SQLite's busy handler being asked (changing the journal
        mode wants the lock at once): wait and try again, within the same timeout."""
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                connection.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError:
                if time.monotonic() >= deadline:
                    connection.close()
                    raise
                time.sleep(0.02)
            else:
                return

    def _first_use(self, connection: sqlite3.Connection, key: bytes, until: float) -> bool:
        now = self._clock()
        with _transaction(connection):
            first = connection.execute(_FIRST_USE, (key, until, now)).rowcount == 1
            if now - self._pruned_at >= PRUNE_EVERY:
                connection.execute("DELETE FROM jwt_replay WHERE expires_at < ?", (now,))
                self._pruned_at = now
        return first

    def _add_feedback(self, connection: sqlite3.Connection, rows: Sequence[FeedbackRow]) -> int:
        with _transaction(connection):
            before = connection.total_changes
            connection.executemany(_INSERT_FEEDBACK, rows)
            return connection.total_changes - before

    @staticmethod
    def _feedback(connection: sqlite3.Connection) -> list[dict[str, Any]]:
        cursor = connection.execute(_SELECT_FEEDBACK)
        return [feedback_dict(row) for row in cursor.fetchall()]


@contextlib.contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that holds the database lock from its start (insert-if-absent)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _reason(exc: BaseException) -> str:
    """Safe words for a storage failure (the exception text may name paths or values)."""
    if isinstance(exc, SchemaTooNew):
        return "The database schema is newer than this service; it cannot be used"
    return "The database cannot be reached or written now; try again later"
