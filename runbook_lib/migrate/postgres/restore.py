"""The restore phases into the target: pre-data, the data one table at a time, post-data, then owners and ANALYZE.

Why one ``pg_restore`` per table, each after a ``TRUNCATE``: a table interrupted by a kill is loaded
again from empty, so a resumed run never holds a row twice. Why ``--clean --if-exists`` on a second
post-data: indexes and constraints a killed attempt created part-way are replaced, not duplicated.
Objects are restored ``--no-owner --no-acl`` (RDS has no superuser to restore them as anyone else);
``role_map`` then hands them to the mapped roles.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook_lib.errors import CopyFailedError, MigrationError
from runbook_lib.migrate.base import CopyReport
from runbook_lib.migrate.postgres.checkpoint import DataEntry, PgCheckpoint
from runbook_lib.migrate.postgres.identifiers import quote_ident
from runbook_lib.migrate.postgres.inventory import COUNT_USER_OBJECTS, SOURCE_QUERIES
from runbook_lib.migrate.postgres.move import PgMove

log = logging.getLogger(__name__)

#: Every object of the source's own schemas with its owner (what ``role_map`` may hand to another role).
OWNED_OBJECTS = """
    SELECT 'SCHEMA', format('%I', n.nspname), pg_get_userbyid(n.nspowner) FROM pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid
                      AND d.deptype = 'e')
    UNION ALL
    SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                          WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
           c.oid::regclass::text, pg_get_userbyid(c.relowner)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i'))))
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
           p.oid::regprocedure::text, pg_get_userbyid(p.proowner)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                      AND d.deptype = 'e')
    UNION ALL
    SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype::text,
           pg_get_userbyid(t.typowner)
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typtype IN ('e', 'd', 'r', 'c') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_%'
      AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                      AND d.deptype = 'e')"""


@dataclass(frozen=True)
class Finished:
    """What :func:`finish_target` did: owners changed (None: not run now) and ANALYZE's seconds (None: not run)."""

    owners_changed: int | None
    analyze_seconds: float | None


def restore_all(
    move: PgMove, checkpoint: PgCheckpoint, env: Mapping[str, str], report: CopyReport, phases: dict[str, float]
) -> None:
    """Every restore phase the checkpoint does not record as done, timing each into ``phases``.

    Raises:
        CopyFailedError: some tables failed to load (the others are loaded and checkpointed).
    """
    t0 = time.monotonic()
    if checkpoint.pre_data != "done":
        prepare_target(move, checkpoint)
        restore_section(move, checkpoint, "pre-data", env)
    phases["pre_data"] = time.monotonic() - t0

    t0 = time.monotonic()
    restore_data(move, checkpoint, env, report)
    phases["data"] = time.monotonic() - t0

    t0 = time.monotonic()
    if checkpoint.post_data != "done":
        restore_section(move, checkpoint, "post-data", env)
    phases["post_data"] = time.monotonic() - t0
    finished = finish_target(move, checkpoint)
    if finished.owners_changed is not None:
        report.details["owners_changed"] = finished.owners_changed
    if finished.analyze_seconds is not None:
        phases["analyze"] = finished.analyze_seconds
    report.details["dump_dir"] = checkpoint.dump_dir
    report.details["dump_sha256"] = checkpoint.dump_sha256


def restore_section_command(move: PgMove, section: str, dump_dir: str, *, again: bool = False) -> list[str]:
    """The ``pg_restore`` of one section into the target (``again``: replace what an attempt left)."""
    return [
        move.tools.pg_restore,
        f"--section={section}",
        *([f"--jobs={move.jobs}"] if section == "post-data" else []),
        *_common_flags(move),
        *(["--clean", "--if-exists"] if again else []),
        f"--dbname={move.target.conninfo(move.target_database)}",
        dump_dir,
    ]


def restore_section(move: PgMove, checkpoint: PgCheckpoint, section: str, env: Mapping[str, str]) -> None:
    """Restore ``pre-data`` or ``post-data``, marked "started" then "done" in the checkpoint.

    A post-data found "started" (a killed attempt) is restored again with ``--clean --if-exists``.
    """
    post = section == "post-data"
    again = post and checkpoint.post_data == "started"
    _mark(checkpoint, post, "started")
    move.save_checkpoint(checkpoint)
    move.run_tool(restore_section_command(move, section, checkpoint.dump_dir, again=again), env)
    _mark(checkpoint, post, "done")
    move.save_checkpoint(checkpoint)


def restore_data(move: PgMove, checkpoint: PgCheckpoint, env: Mapping[str, str], report: CopyReport) -> None:
    """Load the tables not yet loaded (largest first, ``jobs`` at a time), then sequences and large objects.

    Raises:
        CopyFailedError: some tables failed (the rest are loaded and checkpointed, so a resume redoes only those).
    """
    folder = Path(checkpoint.dump_dir)
    done = set(checkpoint.tables_done)
    pending = sorted((e for e in checkpoint.tables if e.dump_id not in done), key=lambda e: -e.bytes)
    report.items_skipped = len(checkpoint.tables) - len(pending)
    units: dict[str, dict[str, Any]] = report.details.setdefault("units", {})
    for entry in checkpoint.tables:
        units[entry.table.display] = {
            "dump_bytes": entry.bytes,
            "status": "skipped (restored earlier)" if entry.dump_id in done else "pending",
        }
    failed: dict[str, str] = {}
    bar = move.progress(
        total=sum(e.bytes for e in pending), desc=f"restore {move.target_database}", unit="B", unit_scale=True
    )
    try:
        with ThreadPoolExecutor(max_workers=move.jobs, thread_name_prefix="pg-restore") as pool:
            futures = {pool.submit(_restore_table, move, entry, folder, env): entry for entry in pending}
            for future in as_completed(futures):  # checkpoint each table the moment it is loaded
                entry = futures[future]
                try:
                    future.result()
                except Exception as error:  # noqa: BLE001 - collected, the other tables go on
                    failed[entry.table.display] = str(getattr(error, "stderr", "") or error).strip()[-300:]
                    units[entry.table.display]["status"] = "failed"
                    continue
                units[entry.table.display]["status"] = "restored"
                with move.lock:
                    checkpoint.tables_done.append(entry.dump_id)
                move.save_checkpoint(checkpoint)
                report.items_copied += 1
                report.bytes_copied += entry.bytes
                bar.update(entry.bytes)
    finally:
        bar.close()
    if failed:
        raise CopyFailedError(move.kind, move.target_database, failed, report.items_copied)
    if not checkpoint.other_data_done and checkpoint.other_data:
        _restore_listed(move, folder, checkpoint.other_data, "other", env)
    checkpoint.other_data_done = True
    move.save_checkpoint(checkpoint)


def finish_target(move: PgMove, checkpoint: PgCheckpoint) -> Finished:
    """After post-data: hand objects to the mapped roles, ANALYZE (statistics are not dumped), mark complete."""
    owners: int | None = None
    if move.role_map and not checkpoint.owners_done:
        owners = apply_role_map(move)
        checkpoint.owners_done = True
        move.save_checkpoint(checkpoint)
    seconds: float | None = None
    if move.analyze and not checkpoint.analyzed:
        t0 = time.monotonic()
        with move.target_conn() as conn:
            conn.execute("ANALYZE")
        checkpoint.analyzed = True
        seconds = time.monotonic() - t0
    checkpoint.complete = True
    move.save_checkpoint(checkpoint)
    return Finished(owners, seconds)


def prepare_target(move: PgMove, checkpoint: PgCheckpoint) -> None:
    """Make the target database exist and be empty of anything but what this run restores.

    A database this migrator prepared and whose pre-data did not finish is dropped and created
    again (everything in it came from us). A foreign non-empty database is refused unless
    ``replace_target``.
    """
    with move.target_conn(move.maintenance_db) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (move.target_database,)).fetchone()
        recreate = bool(exists) and (checkpoint.target_prepared or move.replace_target)
        if exists and not recreate:
            with move.target_conn() as tconn:
                objects = int(tconn.execute(COUNT_USER_OBJECTS).fetchone()[0])
            if objects:
                raise MigrationError(
                    f"target database {move.target_database} already holds {objects} objects",
                    hint="pick an empty target database, resume the run that filled it, or pass replace_target=True",
                )
        if recreate:
            log.warning("dropping target database %s to restore it from scratch", move.target_database)
            conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(move.target_database)} WITH (FORCE)")
            exists = None
        if not exists:
            _create_target_database(move, conn)
    checkpoint.target_prepared = True
    move.save_checkpoint(checkpoint)


def end_leftover_sessions(move: PgMove) -> None:
    """End target sessions a killed earlier attempt left behind (orphaned pg_restore children)."""
    try:
        with move.target_conn(move.maintenance_db) as conn:
            ended = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s AND datname = %s AND pid <> pg_backend_pid()",
                (move.app_name, move.target_database),
            ).fetchone()[0]
        if ended:
            log.warning("ended %s sessions a previous attempt left on %s", ended, move.target_database)
            time.sleep(0.5)
    except Exception as error:  # noqa: BLE001 - best effort; the restore phases are safe without it
        log.info("could not look for leftover sessions: %s", type(error).__name__)


def apply_role_map(move: PgMove) -> int:
    """Give every object a mapped source role owns to its target role; returns how many changed owner."""
    with move.source_conn() as conn:
        conn.execute("SET search_path = ''")
        owned = conn.execute(OWNED_OBJECTS).fetchall()
    statements = [
        f"ALTER {kind} {name} OWNER TO {quote_ident(move.role_map[owner])}"
        for kind, name, owner in owned
        if owner in move.role_map
    ]
    with move.target_conn() as conn, conn.transaction():
        conn.execute("SET LOCAL search_path = ''")
        for statement in statements:
            conn.execute(statement)
    log.info("changed the owner of %s objects per role_map", len(statements))
    return len(statements)


def _common_flags(move: PgMove) -> list[str]:
    return ["--no-owner", "--no-acl", "--exit-on-error"] + (["--no-tablespaces"] if move.no_tablespaces else [])


def _mark(checkpoint: PgCheckpoint, post: bool, state: str) -> None:
    if post:
        checkpoint.post_data = state
    else:
        checkpoint.pre_data = state


def _create_target_database(move: PgMove, conn: Any) -> None:
    """Create the target database with the source's encoding and, where the target has it, its locale."""
    with move.source_conn() as sconn:
        encoding, collate, ctype = sconn.execute(SOURCE_QUERIES["database"]).fetchone()
    name = quote_ident(move.target_database)
    try:
        conn.execute(
            f"CREATE DATABASE {name} TEMPLATE template0 ENCODING '{encoding}' "
            f"LC_COLLATE '{collate.replace(chr(39), '')}' LC_CTYPE '{ctype.replace(chr(39), '')}'"
        )
    except Exception as error:  # noqa: BLE001 - the locale may not exist on the target
        log.warning(
            "CREATE DATABASE with the source locale %s failed (%s); using the target's default",
            collate,
            type(error).__name__,
        )
        conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING '{encoding}'")


def _restore_table(move: PgMove, entry: DataEntry, folder: Path, env: Mapping[str, str]) -> None:
    """Empty one table on the target, then load its rows: a retried table can never hold rows twice."""
    with move.target_conn() as conn:
        conn.execute(f"TRUNCATE ONLY {entry.table.qualified}")
    _restore_listed(move, folder, [entry.dump_id], str(entry.dump_id), env)


def _restore_listed(move: PgMove, folder: Path, dump_ids: list[int], name: str, env: Mapping[str, str]) -> None:
    """``pg_restore --data-only`` of the listed dump entries, through a ``--use-list`` file beside the dump."""
    listing = folder.parent / f".{folder.name}.{name}.list"
    listing.write_text("".join(f"{dump_id};\n" for dump_id in dump_ids))
    try:
        move.run_tool(
            [
                move.tools.pg_restore,
                "--data-only",
                f"--use-list={listing}",
                *_common_flags(move),
                f"--dbname={move.target.conninfo(move.target_database)}",
                str(folder),
            ],
            env,
        )
    finally:
        listing.unlink(missing_ok=True)
