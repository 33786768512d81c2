"""Verify: every table, sequence and large object of the source compared with the target.

Per table, a row count plus an order-independent checksum computed in each database
(:mod:`runbook_lib.migrate.postgres.checksums`); a table that differs is drilled down to the keys (or
row hashes) that differ. What is deliberately not compared is recorded in the report's notes, with why.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from runbook_lib.migrate.base import VerifyReport, VerifyRow
from runbook_lib.migrate.postgres.checksums import (
    TableInfo,
    TableSums,
    compare_keyed,
    compare_multisets,
    fetch,
    list_tables,
    table_sums,
)
from runbook_lib.migrate.postgres.identifiers import TableRef, quote_ident
from runbook_lib.migrate.postgres.move import PgMove
from runbook_lib.migrate.postgres.sequences import verify_sequences

log = logging.getLogger(__name__)

#: Count and checksum of all large objects (the same 64-bit hash as rows, over each object's bytes).
LARGE_OBJECTS_SQL = (
    "SELECT count(*), coalesce(sum(('x' || substr(md5(lo_get(oid)), 1, 16))::bit(64)::bigint), 0)::text "
    "FROM pg_largeobject_metadata"
)


def verify_move(move: PgMove, snapshot: dict[TableRef, TableSums], snapshot_note: str) -> VerifyReport:
    """Per table: count and checksum on both sides (in parallel), drilled down where they differ.

    The source side comes from ``snapshot`` where it has the table (the sums
    :class:`~runbook_lib.migrate.postgres.checksums.SnapshotSums` took while the migrator copied,
    described by ``snapshot_note``), else from the live source. Also compares sequences (and that each
    serial/identity sequence continues past the largest value in its column) and large objects.
    """
    report = VerifyReport(kind=move.kind)
    notes: list[str] = []
    with move.source_conn() as conn:
        source_tables = list_tables(conn)
    try:
        with move.target_conn() as conn:
            target_tables = {t.table: t for t in list_tables(conn)}
    except Exception as error:  # noqa: BLE001 - a missing target database is a verification failure
        report.problems.append(f"target database {move.target_database} unreachable: {type(error).__name__}")
        return report
    checked: list[TableInfo] = []
    for info in source_tables:
        if info.extension_member:
            notes.append(f"{info.table.display}: belongs to an extension (its rows are the extension's); not compared")
        elif info.kind == "p":
            notes.append(f"{info.table.display}: partitioned parent; its rows are compared through its partitions")
        elif info.kind == "f":
            notes.append(f"{info.table.display}: foreign table; its rows live on the remote server; not compared")
        elif not info.populated:
            notes.append(f"{info.table.display}: materialized view WITH NO DATA on the source; not compared")
        else:
            checked.append(info)
    if snapshot:
        notes.append(snapshot_note)
    results: dict[TableRef, tuple[TableSums | None, TableSums | None]] = {}
    bar = move.progress(total=len(checked), desc=f"verify {move.target_database}", unit="table")
    try:
        with ThreadPoolExecutor(max_workers=max(1, move.workers), thread_name_prefix="pg-verify") as pool:
            jobs: dict[TableRef, tuple[Future[Any] | None, Future[Any]]] = {}
            for info in sorted(checked, key=lambda i: -i.bytes):
                source_job = None if info.table in snapshot else pool.submit(table_sums, move, "source", info.table)
                jobs[info.table] = (source_job, pool.submit(table_sums, move, "target", info.table))
            for table, (source_job, target_job) in jobs.items():
                source_sums = snapshot[table] if source_job is None else source_job.result()
                results[table] = (source_sums, target_job.result())
                bar.update(1)
    finally:
        bar.close()
    for info in sorted(checked, key=lambda i: i.table):
        source_sums, target_sums = results[info.table]
        report.rows.append(_compare_table(move, info, source_sums, target_sums, report.problems))
    for table in sorted(set(target_tables) - {i.table for i in source_tables}):
        extra_info = target_tables[table]
        if extra_info.kind not in ("r", "m") or extra_info.extension_member:
            continue
        sums = table_sums(move, "target", table)
        count = sums.count if sums else 0
        report.rows.append(VerifyRow(table.display, 0, count, 0, 0, 0, count, "", str(sums.total) if sums else ""))
        report.problems.append(f"{table.display}: exists only on the target")
    verify_sequences(move, report)
    _verify_large_objects(move, report)
    report.notes.extend(notes)
    for note in notes:
        log.info("verify note: %s", note)
    return report


def _compare_table(
    move: PgMove, info: TableInfo, source: TableSums | None, target: TableSums | None, problems: list[str]
) -> VerifyRow:
    """One table's row; where the sums differ, the drill-down says how many rows and which."""
    unit = info.table.display
    if source is None:
        problems.append(f"{unit}: disappeared from the source during verification")
        return VerifyRow(unit, 0, target.count if target else 0, 0, 0, 0, 0)
    if target is None:
        problems.append(f"{unit}: missing on the target")
        return VerifyRow(unit, source.count, 0, 0, source.count, 0, 0, str(source.total), "", info.bytes)
    row = VerifyRow(
        unit,
        source.count,
        target.count,
        source.count,
        0,
        0,
        0,
        str(source.total),
        str(target.total),
        info.bytes,
    )
    if source.count == target.count and source.total == target.total:
        return row
    missing, mismatched, extra, samples = _drill_down(move, info, source, target)
    row.missing, row.mismatched, row.extra = missing, mismatched, extra
    row.matched = max(0, source.count - missing - mismatched)
    problems.append(
        f"{unit}: {missing} missing, {mismatched} changed, {extra} extra on the target"
        + (f" (e.g. {', '.join(samples[:5])})" if samples else "")
    )
    return row


def _drill_down(move: PgMove, info: TableInfo, source: TableSums, target: TableSums) -> tuple[int, int, int, list[str]]:
    """Find which rows differ: by primary key where there is one, else by multiset of row hashes.

    Reads the live source (the snapshot may be gone). Tables above ``drill_down_limit`` rows are
    not read row by row; the counts then come from the totals alone.
    """
    if max(source.count, target.count) > move.drill_down_limit:
        short = max(0, source.count - target.count)
        over = max(0, target.count - source.count)
        return short, (1 if short == over == 0 else 0), over, ["table too large to compare row by row"]
    row_hash = "md5(t::text)"
    if info.has_pk:
        key_sql = _pk_expression(move, info.table)
        query = f"SELECT ({key_sql})::text, {row_hash} FROM {info.table.qualified} AS t"
        source_rows = dict(fetch(move, "source", query))
        target_rows = dict(fetch(move, "target", query))
        missing_keys, changed_keys, extra_keys = compare_keyed(source_rows, target_rows)
        samples = (
            [f"key {k} changed" for k in changed_keys[:3]]
            + [f"key {k} missing" for k in missing_keys[:3]]
            + [f"key {k} extra" for k in extra_keys[:3]]
        )
        return len(missing_keys), len(changed_keys), len(extra_keys), samples
    query = f"SELECT {row_hash}, count(*) FROM {info.table.qualified} AS t GROUP BY 1"
    source_counts = Counter({h: int(n) for h, n in fetch(move, "source", query)})
    target_counts = Counter({h: int(n) for h, n in fetch(move, "target", query)})
    lost, added = compare_multisets(source_counts, target_counts)
    samples = [f"row md5 {h[:12]} x{n} missing" for h, n in list((source_counts - target_counts).items())[:3]]
    return lost, 0, added, samples


def _pk_expression(move: PgMove, table: TableRef) -> str:
    """``ROW(t.a, t.b)`` over the table's primary key columns, in key order (read from the source)."""
    with move.source_conn() as conn:
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT a.attname FROM pg_index i "
                "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                "WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY k.ord",
                (table.qualified,),
            ).fetchall()
        ]
    return "ROW(" + ", ".join(f"t.{quote_ident(c)}" for c in columns) + ")"


def _verify_large_objects(move: PgMove, report: VerifyReport) -> None:
    """One row for all large objects (only when either side has any): count and checksum."""
    source_count, source_sum = fetch(move, "source", LARGE_OBJECTS_SQL)[0]
    target_count, target_sum = fetch(move, "target", LARGE_OBJECTS_SQL)[0]
    if not source_count and not target_count:
        return
    same = source_count == target_count and source_sum == target_sum
    report.rows.append(
        VerifyRow(
            "large objects",
            int(source_count),
            int(target_count),
            int(source_count) if same else 0,
            max(0, source_count - target_count),
            0 if same or source_count != target_count else 1,
            max(0, target_count - source_count),
            source_sum,
            target_sum,
        )
    )
    if not same:
        report.problems.append(
            f"large objects: {target_count} (sum {target_sum}) on the target, "
            f"{source_count} (sum {source_sum}) on the source"
        )
