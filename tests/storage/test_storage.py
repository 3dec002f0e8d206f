"""The replay cache and the feedback table, the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest

from service.cds.feedback import parse_feedback
from service.storage import (
    FeedbackItem,
    Storage,
    StorageUnavailable,
    feedback_rows,
    open_storage,
)
from service.storage.base import replay_key
from service.storage.migrations import LATEST, MIGRATIONS
from service.storage.postgres import PostgresStorage
from service.storage.sqlite import SqliteStorage
from tests.pg import PostgresServer, free_port

T = TypeVar("T")
STAMP = "2020-12-11T00:00:00Z"


def run(work: Callable[[Storage], Awaitable[T]], url: str, **options: Any) -> T:
    """Open the storage at `url`, do `work`, close it, all on one event loop."""

    async def go() -> T:
        storage = options.pop("storage", None) or open_storage(url, **options)
        await storage.open()
        try:
            return await work(storage)
        finally:
            await storage.close()

    return asyncio.run(go())


def items(*stamps: str) -> list[FeedbackItem]:
    return parse_feedback(
        (
            '{"feedback": ['
            + ",".join(
                f'{{"card": "card-1", "outcome": "overridden", "outcomeTimestamp": "{s}"}}'
                for s in stamps
            )
            + "]}"
        ).encode()
    )


def test_a_key_is_first_used_once_while_alive(database_url: str) -> None:
    async def work(storage: Storage) -> list[bool]:
        key = replay_key("iss", "jti-1")
        return [
            await storage.first_use(key, until=4e9),
            await storage.first_use(key, until=4e9),
            await storage.first_use(replay_key("iss", "jti-2"), until=4e9),
            await storage.first_use(replay_key("other-iss", "jti-1"), until=4e9),
        ]

    assert run(work, database_url) == [True, False, True, True]


def test_used_reads_without_recording(database_url: str) -> None:
    async def work(storage: Storage) -> list[bool]:
        key = replay_key("iss", "read-only")
        return [
            await storage.used(key),
            await storage.used(key),
            await storage.first_use(key, until=4e9),
            await storage.used(key),
            await storage.used(replay_key("iss", "never-used")),
        ]

    assert run(work, database_url) == [False, False, True, True, False]


def test_an_expired_record_counts_as_absent_and_is_pruned(database_url: str) -> None:
    now = [1000.0]
    if database_url.startswith("sqlite"):
        storage: Storage = SqliteStorage(Path(database_url[10:]), clock=lambda: now[0])
    else:
        storage = PostgresStorage(database_url, clock=lambda: now[0])

    async def work(storage: Storage) -> list[bool]:
        key = replay_key("iss", "j")
        answers = [await storage.first_use(key, until=1100.0)]
        answers.append(await storage.first_use(key, until=1100.0))
        now[0] = 1200.0  # past 1100, and a minute after the last pruning
        answers.append(await storage.first_use(replay_key("iss", "other"), until=1300.0))
        answers.append(await storage.first_use(key, until=1300.0))
        answers.append(await storage.first_use(key, until=1300.0))
        return answers

    assert run(work, database_url, storage=storage) == [True, False, True, True, False]
    assert _count(database_url, "SELECT count(*) FROM jwt_replay WHERE expires_at < 1200") == 0


def test_of_many_concurrent_uses_of_one_key_exactly_one_wins(database_url: str) -> None:
    async def work(storage: Storage) -> list[bool]:
        key = replay_key("iss", "contended")
        return list(await asyncio.gather(*(storage.first_use(key, 4e9) for _ in range(40))))

    assert sorted(run(work, database_url)) == [False] * 39 + [True]


def test_identical_feedback_is_stored_once_and_different_feedback_is_kept(
    database_url: str,
) -> None:
    async def work(storage: Storage) -> tuple[list[int], list[dict[str, Any]]]:
        same = items(STAMP, STAMP)
        added = [
            await storage.add_feedback(feedback_rows("iss", "oms-screening", same)),
            await storage.add_feedback(feedback_rows("iss", "oms-screening", same)),
            await storage.add_feedback(feedback_rows("other-iss", "oms-screening", same)),
            await storage.add_feedback(
                feedback_rows("iss", "oms-screening", items("2020-12-12T00:00:00Z"))
            ),
        ]
        return added, await storage.feedback()

    added, stored = run(work, database_url)
    assert added == [1, 0, 1, 1]
    assert [(row["client_iss"], row["outcome_timestamp"]) for row in stored] == [
        ("iss", STAMP),
        ("other-iss", STAMP),
        ("iss", "2020-12-12T00:00:00Z"),
    ]
    assert stored[0]["accepted_suggestions"] == []


def test_migrations_run_once_in_order_even_when_replicas_start_together(
    database_url: str,
) -> None:
    async def start_four() -> None:
        storages = [open_storage(database_url) for _ in range(4)]
        await asyncio.gather(*(s.open() for s in storages))
        for storage in storages:
            await storage.close()

    asyncio.run(start_four())
    run(lambda storage: storage.ping(), database_url)  # and once more, later
    versions = _rows(database_url, "SELECT version FROM oms_schema_migrations ORDER BY version")
    assert versions == [(m.version,) for m in MIGRATIONS]


def test_a_schema_newer_than_the_code_is_refused(database_url: str) -> None:
    run(lambda storage: storage.ping(), database_url)
    _execute(
        database_url,
        f"INSERT INTO oms_schema_migrations (version, name, applied_at) "
        f"VALUES ({LATEST + 1}, 'from the future', '2030-01-01')",
    )
    with pytest.raises(StorageUnavailable, match="newer than this service"):
        run(lambda storage: storage.ping(), database_url)


def test_a_sqlite_file_from_before_migrations_is_adopted_with_its_feedback(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute(MIGRATIONS[0].sqlite)  # the table as the old store created it
        old.execute(
            "INSERT INTO feedback VALUES (1, 'r', 'iss', 's', 'c', 'accepted', 't', 'u', '[]', "
            "NULL, NULL, NULL, NULL, 'k')"
        )
    stored = run(lambda storage: storage.feedback(), f"sqlite:///{path}")
    assert [row["card"] for row in stored] == ["c"]


def test_an_unusable_sqlite_path_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(StorageUnavailable):
        run(lambda storage: storage.ping(), f"sqlite:///{tmp_path}")  # a folder


def test_an_unreachable_postgresql_is_unavailable_quickly() -> None:
    url = f"postgresql://nobody:secret@127.0.0.1:{free_port()}/none"
    storage = open_storage(url, timeout=1.0)
    assert "secret" not in storage.where
    with pytest.raises(StorageUnavailable) as caught:
        asyncio.run(storage.open())
    assert "secret" not in str(caught.value) and "127.0.0.1" not in str(caught.value)


def test_postgresql_going_away_is_unavailable_then_recovers(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    name = url.rsplit("/", 1)[1]

    async def work(storage: Storage) -> list[str]:
        outcomes = [str(await storage.first_use(replay_key("iss", "a"), 4e9))]
        postgres.cut_off(name)
        for jti in ("b", "c"):
            try:
                outcomes.append(str(await storage.first_use(replay_key("iss", jti), 4e9)))
            except StorageUnavailable:
                outcomes.append("unavailable")
        postgres.restore(name)
        for _ in range(50):
            try:
                outcomes.append(str(await storage.first_use(replay_key("iss", "d"), 4e9)))
                break
            except StorageUnavailable:
                await asyncio.sleep(0.1)
        return outcomes

    assert run(work, url, timeout=0.5) == ["True", "unavailable", "unavailable", "True"]


def _execute(url: str, sql: str) -> None:
    if url.startswith("sqlite"):
        with sqlite3.connect(url[10:]) as connection:
            connection.execute(sql)
    else:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(sql.encode())


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url[10:]) as connection:
            return list(connection.execute(sql).fetchall())
    with psycopg.connect(url) as connection:
        return list(connection.execute(sql.encode()).fetchall())


def _count(url: str, sql: str) -> int:
    [(count,)] = _rows(url, sql)
    return int(count)
