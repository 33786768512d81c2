"""Scratch PostgreSQL databases for integration tests: created with one table of rows, dropped afterwards."""

from __future__ import annotations

from typing import Any

from runbook_lib.migrate.postgres import quote_ident


def create_filled_database(endpoint: Any, name: str, ddl: str, fill: str) -> None:
    """``CREATE DATABASE name`` on ``endpoint`` (a ``PgEndpoint``), then ``ddl`` and ``fill`` inside it."""
    with endpoint.connect("postgres") as conn:
        conn.execute(f"CREATE DATABASE {quote_ident(name)}")
    with endpoint.connect(name) as conn:
        conn.execute(ddl)
        conn.execute(fill)


def drop_database(endpoint: Any, name: str, *, reset_read_only: bool = False) -> None:
    with endpoint.connect("postgres") as conn:
        if reset_read_only:
            conn.execute(f"ALTER DATABASE {quote_ident(name)} RESET default_transaction_read_only")
        conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
