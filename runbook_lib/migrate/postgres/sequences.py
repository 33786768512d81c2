"""Sequences: set on the target from the source, and verified to match and to continue past their column.

Why apart from the tables: a sequence's value is not a row. ``pg_dump`` carries it as ``SEQUENCE SET``;
a load that is not ours (DMS) does not, so :func:`sync_sequences` sets it, and :func:`verify_sequences`
checks both the value and that the next one cannot collide with the largest id already in its column.
"""

from __future__ import annotations

from runbook_lib.migrate.base import VerifyReport, VerifyRow
from runbook_lib.migrate.postgres.checksums import fetch
from runbook_lib.migrate.postgres.identifiers import quote_ident
from runbook_lib.migrate.postgres.move import PgMove

#: Every sequence with its value and, for a serial/identity one, the ``table|column`` it feeds.
LIST_SEQUENCES = """
    SELECT s.schemaname, s.sequencename, s.last_value, s.start_value, s.increment_by,
           (SELECT format('%I.%I', tn.nspname, tc.relname) || '|' || a.attname
            FROM pg_depend d JOIN pg_class tc ON tc.oid = d.refobjid
            JOIN pg_namespace tn ON tn.oid = tc.relnamespace
            JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE d.classid = 'pg_class'::regclass
              AND d.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass
              AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1)
    FROM pg_sequences s WHERE s.schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"""


def sync_sequences(move: PgMove) -> int:
    """Set every sequence of the target to the source's current value; returns how many were set.

    What ``pg_dump`` writes as ``SEQUENCE SET`` (``setval(seq, last_value, is_called)``), read from
    the live source with the query :func:`verify_sequences` compares sequences with. Under CDC the
    source keeps drawing values: call this again at the cut-over, after the writers stopped.
    """
    rows = fetch(move, "source", LIST_SEQUENCES)
    with move.target_conn() as conn, conn.transaction():
        for schema, name, last_value, start_value, _increment, _owned_by in rows:
            sequence = f"{quote_ident(schema)}.{quote_ident(name)}"
            if last_value is None:  # never called (or not readable): next nextval() returns start
                conn.execute("SELECT pg_catalog.setval(%s::regclass, %s, false)", (sequence, start_value))
            else:
                conn.execute("SELECT pg_catalog.setval(%s::regclass, %s, true)", (sequence, last_value))
    return len(rows)


def verify_sequences(move: PgMove, report: VerifyReport) -> None:
    """A row per source sequence: same ``last_value``, and its next value past the largest in its column."""
    source = {(r[0], r[1]): r for r in fetch(move, "source", LIST_SEQUENCES)}
    target = {(r[0], r[1]): r for r in fetch(move, "target", LIST_SEQUENCES)}
    for key in sorted(source):
        unit = f"sequence {key[0]}.{key[1]}"
        s_last = source[key][2]
        if key not in target:
            report.rows.append(VerifyRow(unit, 1, 0, 0, 1, 0, 0, f"last_value={s_last}", ""))
            report.problems.append(f"{unit}: missing on the target")
            continue
        _, _, t_last, t_start, t_increment, owned_by = target[key]
        row = VerifyRow(unit, 1, 1, 1, 0, 0, 0, f"last_value={s_last}", f"last_value={t_last}")
        if s_last != t_last:
            row.matched, row.mismatched = 0, 1
            report.problems.append(f"{unit}: last_value {t_last} on the target, {s_last} on the source")
        if owned_by:
            table_sql, column = owned_by.split("|", 1)
            maximum = fetch(move, "target", f"SELECT max({quote_ident(column)}) FROM {table_sql}")[0][0]
            next_value = t_start if t_last is None else t_last + t_increment
            row.target_checksum += f" next={next_value} max({column})={maximum}"
            ascending = t_increment > 0
            if maximum is not None and (
                (ascending and next_value <= maximum) or (not ascending and next_value >= maximum)
            ):
                row.matched, row.mismatched = 0, 1
                report.problems.append(f"{unit}: next value {next_value} would collide with {column}={maximum}")
        report.rows.append(row)
    for key in sorted(set(target) - set(source)):
        report.problems.append(f"sequence {key[0]}.{key[1]}: exists only on the target")
