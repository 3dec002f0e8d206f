"""What every backend offers and the choice of backend by URL (the error they raise,
`StorageUnavailable`, lives in `service.errors`)."""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from service.storage.records import FeedbackItem

#: Columns of a stored feedback item, in the order `FeedbackRow` holds them.
FEEDBACK_COLUMNS = (
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

#: One feedback item as stored: the FEEDBACK_COLUMNS values, then `item_key`.
FeedbackRow = tuple[str | None, ...]


class Storage(abc.ABC):
    """The replay cache and the feedback table of one database."""

    #: For logs and errors: the URL without credentials, query or path parameters.
    where: str

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and apply pending migrations; StorageUnavailable if that fails."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections (the data stay)."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """One round trip; StorageUnavailable if the database does not answer."""

    @abc.abstractmethod
    async def first_use(self, key: bytes, until: float) -> bool:
        """Record `key` until the epoch second `until`; False if it is recorded and alive.

        Atomic across every process sharing the database: of two concurrent calls with
        one key, exactly one gets True. An expired record counts as absent, and expired
        records are pruned now and then.
        """

    @abc.abstractmethod
    async def used(self, key: bytes) -> bool:
        """Whether `key` is recorded and alive (a read only; `first_use` decides)."""

    @abc.abstractmethod
    async def add_feedback(self, rows: Sequence[FeedbackRow]) -> int:
        """Commit the rows in one transaction; the number newly stored (repeats are not)."""

    @abc.abstractmethod
    async def feedback(self) -> list[dict[str, Any]]:
        """Every stored feedback item, oldest first (for audits and tests)."""


def replay_key(iss: str, jti: str) -> bytes:
    """A fixed-size key for `(iss, jti)`: no token material is stored, the index stays small."""
    return hashlib.sha256(orjson.dumps([iss, jti])).digest()


def feedback_rows(
    client_iss: str, service_id: str, items: Iterable[FeedbackItem]
) -> list[FeedbackRow]:
    """The rows for `items`; `item_key` makes an identical item from one client a repeat."""
    received = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    rows: list[FeedbackRow] = []
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
    return rows


def feedback_dict(row: Sequence[Any]) -> dict[str, Any]:
    item = dict(zip(FEEDBACK_COLUMNS, row, strict=True))
    item["accepted_suggestions"] = orjson.loads(item["accepted_suggestions"])
    return item


def open_storage(url: str, *, pool_size: int = 10, timeout: float = 2.0) -> Storage:
    """The backend for `url` (not yet opened): `sqlite:///PATH` or `postgresql://...`."""
    scheme = url.partition(":")[0].lower()
    if scheme == "sqlite":
        from service.storage.sqlite import SqliteStorage

        return SqliteStorage(sqlite_path(url), timeout=max(timeout, 5.0))
    if scheme in ("postgresql", "postgres"):
        from service.storage.postgres import PostgresStorage

        return PostgresStorage(url, pool_size=pool_size, timeout=timeout)
    raise ValueError("OMS_DATABASE_URL must start with sqlite:/// or postgresql://")


def sqlite_path(url: str) -> Path:
    """`sqlite:///relative/file` or `sqlite:////absolute/file` (SQLAlchemy's spelling)."""
    if not url.lower().startswith("sqlite:///") or len(url) <= len("sqlite:///"):
        raise ValueError("a SQLite OMS_DATABASE_URL is sqlite:///PATH")
    return Path(url[len("sqlite:///") :])


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def redacted(url: str) -> str:
    """`scheme://host:port/db` only: a URL may carry a password, which is never shown."""
    if url.lower().startswith("sqlite:"):
        return url
    parts = urlsplit(url)
    host = parts.hostname or "(socket)"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ":(invalid port)"
    return f"{parts.scheme}://{host}{port}{parts.path}"
