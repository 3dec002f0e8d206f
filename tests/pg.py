"""The real PostgreSQL server of the tests (bench.cluster.PostgresServer, shared with the bench)."""

from __future__ import annotations

from bench.cluster import PostgresServer, free_port, running_postgres

__all__ = ["PostgresServer", "free_port", "running_postgres"]
