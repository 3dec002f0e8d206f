"""Versioned schema migrations, applied in order when a backend opens.

Why not Alembic: it would bring SQLAlchemy for two tables, and it does not by itself
stop two replicas that start together from upgrading at once. This scheme is small
and safe on both counts:

* each migration has a number and, per backend, the SQL that takes the schema from
  the previous number to its own; applied numbers are recorded in
  `oms_schema_migrations`, so each runs once, in order;
* all pending migrations run in ONE transaction holding a database-wide lock
  (PostgreSQL: `pg_advisory_xact_lock`; SQLite: `BEGIN IMMEDIATE`). Both databases
  have transactional DDL, so a failed upgrade leaves the schema as it was, and a
  second replica waits, then finds nothing left to do;
* a database whose recorded version is newer than this code knows is refused at
  start-up (as Alembic refuses an unknown revision) rather than used blindly.

Migrations are append-only: a released one is never edited. For rolling upgrades,
keep each one additive (new tables, new nullable columns), so the replicas still
running the previous version keep working against the upgraded schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from service.errors import SchemaTooNew


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sqlite: str
    postgres: str


#: The migrations table itself (created, if absent, inside the locked transaction).
TABLE_SQLITE: Final = """
CREATE TABLE IF NOT EXISTS oms_schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""
TABLE_POSTGRES: Final = """
CREATE TABLE IF NOT EXISTS oms_schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""
#: Any fixed 64-bit number, the same in every replica: the migration lock's id.
ADVISORY_LOCK: Final = 0x6F6D735F63647300

MIGRATIONS: Final = (
    Migration(
        1,
        "feedback",
        # The table the SQLite feedback store created before migrations existed, with
        # IF NOT EXISTS, so a file written by an older version is adopted as it is.
        sqlite="""
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
        """,
        postgres="""
        CREATE TABLE feedback (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
        """,
    ),
    Migration(
        2,
        "jwt replay cache",
        # key: sha256 of (iss, jti); expires_at: epoch seconds (the token's exp + leeway).
        sqlite="""
        CREATE TABLE jwt_replay (key BLOB PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID;
        CREATE INDEX jwt_replay_expires_at ON jwt_replay (expires_at)
        """,
        postgres="""
        CREATE TABLE jwt_replay (key BYTEA PRIMARY KEY, expires_at DOUBLE PRECISION NOT NULL);
        CREATE INDEX jwt_replay_expires_at ON jwt_replay (expires_at)
        """,
    ),
)

LATEST: Final = MIGRATIONS[-1].version


def pending(applied: set[int]) -> list[Migration]:
    """The migrations not yet applied, in order; SchemaTooNew for an unknown version."""
    if applied and max(applied) > LATEST:
        raise SchemaTooNew(
            f"the database schema is at version {max(applied)}, newer than this "
            f"oms-cds knows ({LATEST}); run a newer oms-cds"
        )
    return [m for m in MIGRATIONS if m.version not in applied]
