"""Table checksums: the row hash (in SQL and in Python), reading it from either side, and the comparisons.

Why a hash computed *in* each database: a table's rows are summarised where they live (sum of the
first 64 bits of ``md5(row::text)``) and only two numbers travel; the sum is order-independent, needs
no primary key, and a removed duplicate row changes it. :data:`TEXT_FORM_SETTINGS` make ``row::text``
identical on both servers whatever their defaults are. :class:`SnapshotSums` reads the source side
under the dump's snapshot while the restore runs, so verify compares against exactly what was copied.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from runbook_lib.migrate.postgres.identifiers import TableRef
from runbook_lib.migrate.postgres.move import PgMove

log = logging.getLogger(__name__)

#: Session settings that make ``row::text`` identical on both sides whatever the servers' defaults are.
TEXT_FORM_SETTINGS: tuple[tuple[str, str], ...] = (
    ("TimeZone", "UTC"),
    ("DateStyle", "ISO, MDY"),
    ("IntervalStyle", "postgres"),
    ("extra_float_digits", "1"),
    ("bytea_output", "hex"),
    ("lc_monetary", "C"),
    ("search_path", ""),
    ("statement_timeout", "0"),
)

#: One row's 64-bit hash, as SQL: the first 16 hex digits of md5 of the row's text form, as a signed bigint.
ROW_HASH_SQL = "('x' || substr(md5({row}::text), 1, 16))::bit(64)::bigint"


#: Tables, partitioned parents, materialized views and foreign tables outside the server's schemas.
LIST_TABLES = """
    SELECT n.nspname, c.relname, c.relkind,
           EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),
           pg_table_size(c.oid),
           EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                   AND d.deptype = 'e'),
           c.relispopulated
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
    ORDER BY 1, 2"""


@dataclass(frozen=True)
class TableInfo:
    """A table as verification sees it."""

    table: TableRef
    kind: str  # pg_class.relkind
    has_pk: bool
    bytes: int
    extension_member: bool
    populated: bool = True  # False for a materialized view created WITH NO DATA


@dataclass
class TableSums:
    """A table's row count and the sum of its row hashes, as one side computed them."""

    count: int
    total: int


def prepare_session(conn: Any) -> None:
    """Apply :data:`TEXT_FORM_SETTINGS` to a connection before it hashes rows."""
    for name, value in TEXT_FORM_SETTINGS:
        conn.execute(f"SET {name} = '{value}'")


def row_hash64(row_text: str) -> int:
    """The Python twin of :data:`ROW_HASH_SQL` for one row's text form (used by tests and drill-downs)."""
    return int.from_bytes(hashlib.md5(row_text.encode("utf-8")).digest()[:8], "big", signed=True)  # noqa: S324


def combine_row_hashes(hashes: Iterable[int]) -> tuple[int, int]:
    """``(count, sum)`` of row hashes: order-independent, and a removed duplicate changes both."""
    count = total = 0
    for value in hashes:
        count += 1
        total += value
    return count, total


def table_checksum_sql(table: TableRef) -> str:
    """``SELECT count(*), sum(hash)`` over one table, computed in the database (two numbers travel)."""
    row_hash = ROW_HASH_SQL.format(row="t")
    return f"SELECT count(*), coalesce(sum({row_hash}), 0)::text FROM {table.qualified} AS t"


def compare_keyed(source: Mapping[str, str], target: Mapping[str, str]) -> tuple[list[str], list[str], list[str]]:
    """Keys missing on the target, present on both with different content, and extra on the target."""
    missing = [k for k in source if k not in target]
    mismatched = [k for k in source if k in target and source[k] != target[k]]
    extra = [k for k in target if k not in source]
    return missing, mismatched, extra


def compare_multisets(source: Counter[str], target: Counter[str]) -> tuple[int, int]:
    """Rows (by content hash, duplicates counted) missing on / extra on the target: tables without a key."""
    return sum((source - target).values()), sum((target - source).values())


def list_tables(conn: Any) -> list[TableInfo]:
    """The tables of the database ``conn`` is connected to (see :data:`LIST_TABLES`)."""
    return [
        TableInfo(TableRef(schema, name), kind, bool(has_pk), int(size or 0), bool(ext), bool(populated))
        for schema, name, kind, has_pk, size, ext, populated in conn.execute(LIST_TABLES).fetchall()
    ]


def fetch(move: PgMove, side: str, query: str) -> list[tuple[Any, ...]]:
    """All rows of ``query`` on ``side`` ("source"/"target"), in the text form both sides share."""
    conn = move.source_conn() if side == "source" else move.target_conn()
    with conn:
        prepare_session(conn)
        return list(conn.execute(query).fetchall())


def table_sums(move: PgMove, side: str, table: TableRef) -> TableSums | None:
    """Count and checksum of one table on ``side`` ("source"/"target"); None if the table is not there."""
    import psycopg  # heavy (loads libpq); only a run that reaches a server needs it

    conn = move.source_conn(application_name=f"{move.app_name}:verify") if side == "source" else move.target_conn()
    with conn:
        prepare_session(conn)
        try:
            count, total = conn.execute(table_checksum_sql(table)).fetchone()
        except psycopg.errors.UndefinedTable:
            return None
    return TableSums(int(count), int(total))


def snapshot_table_sums(move: PgMove, table: TableRef, snapshot_id: str) -> TableSums:
    """Count and checksum of one source table as of the exported snapshot ``snapshot_id``."""
    from psycopg import sql

    with move.source_conn(application_name=f"{move.app_name}:verify") as conn:
        prepare_session(conn)
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot_id)))
        count, total = conn.execute(table_checksum_sql(table)).fetchone()
        conn.execute("COMMIT")
    return TableSums(int(count), int(total))


class SnapshotSums:
    """The source side of verify, computed under the dump's snapshot while the target restores.

    Why: the comparison is then against exactly what was copied even if the source is live, and
    the source is read while it would otherwise be idle. The exporting transaction must stay open
    until :meth:`collect` returns (``SET TRANSACTION SNAPSHOT`` needs it).
    """

    def __init__(self, move: PgMove, pool: ThreadPoolExecutor) -> None:
        self.move = move
        self.pool = pool
        self.futures: dict[TableRef, Future[TableSums]] = {}

    def start(self, snapshot_conn: Any, snapshot_id: str) -> None:
        """Queue a checksum of every table verify will compare, as ``snapshot_conn`` sees the source."""
        for info in list_tables(snapshot_conn):
            if info.kind in ("r", "m") and info.populated and not info.extension_member:
                self.futures[info.table] = self.pool.submit(snapshot_table_sums, self.move, info.table, snapshot_id)

    def collect(self, *, cancel: bool) -> dict[TableRef, TableSums]:
        """The sums that finished (``cancel``: drop those not started, as when the copy failed).

        A failed sum is left out: verify recomputes what is missing from the live source.
        """
        if cancel:
            for future in self.futures.values():
                future.cancel()
        sums: dict[TableRef, TableSums] = {}
        for table, future in self.futures.items():
            if future.cancelled():
                continue
            try:
                sums[table] = future.result()
            except Exception as error:  # noqa: BLE001 - verify() recomputes what is missing
                log.warning("snapshot checksum of %s failed: %s", table.display, error)
        return sums
