"""The shared backend: a PostgreSQL server that every replica uses (psycopg 3 and its pool).

Connections come from one `AsyncConnectionPool` per process, in autocommit mode, so
each statement is its own transaction unless a `transaction()` block groups several.
Insert-if-absent is one `INSERT ... ON CONFLICT` statement, which PostgreSQL makes
atomic between concurrent sessions: of two replicas given one token at once, exactly
one records it. A connection that cannot be had within `timeout` seconds, or a query
that fails, is a StorageUnavailable (503): nothing unchecked is accepted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from service.errors import SchemaTooNew, StorageUnavailable
from service.storage.base import (
    FEEDBACK_COLUMNS,
    FeedbackRow,
    Storage,
    feedback_dict,
    redacted,
)
from service.storage.migrations import ADVISORY_LOCK, TABLE_POSTGRES, pending

T = TypeVar("T")

log = logging.getLogger("oms_cds.storage")

#: Seconds between two prunings of expired replay records (per replica).
PRUNE_EVERY = 60.0

_FIRST_USE = """
INSERT INTO jwt_replay (key, expires_at) VALUES (%s, %s)
ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at
WHERE jwt_replay.expires_at < %s
"""
_USED = "SELECT 1 FROM jwt_replay WHERE key = %s AND expires_at >= %s"
_INSERT_FEEDBACK = f"""
INSERT INTO feedback ({", ".join(FEEDBACK_COLUMNS)}, item_key)
VALUES ({", ".join(["%s"] * (len(FEEDBACK_COLUMNS) + 1))})
ON CONFLICT (item_key) DO NOTHING
"""


class PostgresStorage(Storage):
    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.where = redacted(url)
        self._url = url
        self._pool_size = pool_size
        self._timeout = timeout
        self._clock = clock
        self._pool: AsyncConnectionPool | None = None
        self._opening = asyncio.Lock()
        self._pruned_at = 0.0

    async def open(self) -> None:
        """Migrate on a connection of its own, then open the pool (idempotent)."""
        async with self._opening:
            if self._pool is None:
                await self._open()

    async def _open(self) -> None:
        try:
            await self._migrate()
            pool = AsyncConnectionPool(
                self._url,
                min_size=min(2, self._pool_size),
                max_size=self._pool_size,
                timeout=self._timeout,
                kwargs={"autocommit": True, "connect_timeout": max(1, round(self._timeout))},
                open=False,
                name="oms-cds",
            )
            await pool.open(wait=True, timeout=self._timeout * 2)
        except (psycopg.Error, PoolTimeout, OSError, SchemaTooNew) as exc:
            raise StorageUnavailable(_reason(exc)) from None
        self._pool = pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def ping(self) -> None:
        async def work(connection: psycopg.AsyncConnection[Any]) -> None:
            await connection.execute("SELECT 1")

        await self._query(work)

    async def first_use(self, key: bytes, until: float) -> bool:
        now = self._clock()

        async def work(connection: psycopg.AsyncConnection[Any]) -> bool:
            cursor = await connection.execute(_FIRST_USE, (key, until, now))
            first = cursor.rowcount == 1
            if now - self._pruned_at >= PRUNE_EVERY:
                # After the insert committed: a failed pruning must not fail the call.
                self._pruned_at = now
                try:
                    await connection.execute("DELETE FROM jwt_replay WHERE expires_at < %s", (now,))
                except psycopg.Error as exc:
                    log.warning("replay pruning failed", extra={"error_type": type(exc).__name__})
            return first

        return await self._query(work)

    async def used(self, key: bytes) -> bool:
        async def work(connection: psycopg.AsyncConnection[Any]) -> bool:
            cursor = await connection.execute(_USED, (key, self._clock()))
            return await cursor.fetchone() is not None

        return await self._query(work)

    async def add_feedback(self, rows: Sequence[FeedbackRow]) -> int:
        async def work(connection: psycopg.AsyncConnection[Any]) -> int:
            added = 0
            async with connection.transaction(), connection.cursor() as cursor:
                for row in rows:
                    await cursor.execute(_INSERT_FEEDBACK, row)
                    added += cursor.rowcount
            return added

        return await self._query(work)

    async def feedback(self) -> list[dict[str, Any]]:
        async def work(connection: psycopg.AsyncConnection[Any]) -> list[dict[str, Any]]:
            cursor = await connection.execute(
                f"SELECT {', '.join(FEEDBACK_COLUMNS)} FROM feedback ORDER BY id"
            )
            return [feedback_dict(row) for row in await cursor.fetchall()]

        return await self._query(work)

    async def _query(self, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]) -> T:
        if self._pool is None:
            await self.open()
        assert self._pool is not None
        try:
            async with self._pool.connection() as connection:
                return await work(connection)
        except (psycopg.Error, PoolTimeout, OSError) as exc:
            raise StorageUnavailable(_reason(exc)) from None

    async def _migrate(self) -> None:
        async with (
            await psycopg.AsyncConnection.connect(
                self._url, connect_timeout=max(1, round(self._timeout))
            ) as connection,
            connection.transaction(),
        ):
            await connection.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK,))
            await connection.execute(TABLE_POSTGRES)
            cursor = await connection.execute("SELECT version FROM oms_schema_migrations")
            applied = {int(row[0]) for row in await cursor.fetchall()}
            for migration in pending(applied):
                for statement in migration.postgres.split(";"):
                    await connection.execute(statement)
                await connection.execute(
                    "INSERT INTO oms_schema_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SchemaTooNew):
        return "The database schema is newer than this service; it cannot be used"
    return "The database cannot be reached now; try again later"
