"""The dump phase: ``pg_dump -Fd -j`` of the source under an exported snapshot, recorded with its sha256.

Why a snapshot exported by our own connection: the dump and the source side of verify then read the
same moment of the source even while it is live (see :class:`~runbook_lib.migrate.postgres.verify.SnapshotSums`).
Why a sha256 of the whole folder: a dump is reused on resume only if not a byte of it changed.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runbook_lib.migrate.postgres.checkpoint import DataEntry, PgCheckpoint, dump_checksum
from runbook_lib.migrate.postgres.move import PgMove
from runbook_lib.migrate.postgres.toc import parse_toc
from runbook_lib.util import utc_now

log = logging.getLogger(__name__)


def discard_dumps(move: PgMove) -> None:
    """Remove the data dumps of this pair and its checkpoint (a fresh start)."""
    _discard(move, "dump")
    move.checkpoint_path.unlink(missing_ok=True)


def discard_schema_dumps(move: PgMove) -> None:
    """Remove the schema-only dumps of this pair (its checkpoint is the caller's to keep or drop)."""
    _discard(move, "schema")


def dump_intact(checkpoint: PgCheckpoint) -> bool:
    """Whether the recorded dump is still there, byte for byte (else it is taken again)."""
    folder = Path(checkpoint.dump_dir)
    if not (folder / "toc.dat").exists():
        log.warning("the dump %s is gone; dumping again", folder)
        return False
    actual = dump_checksum(folder)
    if actual != checkpoint.dump_sha256:
        log.warning(
            "the dump %s changed since it was taken (sha256 %s != %s); dumping again",
            folder,
            actual[:12],
            checkpoint.dump_sha256[:12],
        )
        return False
    return True


def export_snapshot(move: PgMove) -> tuple[Any, str]:
    """Open a repeatable-read transaction on the source and export its snapshot; the caller closes it."""
    conn = move.source_conn(application_name=f"{move.app_name}:snapshot")
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    snapshot_id = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
    return conn, snapshot_id


def dump_data(
    move: PgMove, checkpoint: PgCheckpoint, env: Mapping[str, str], snapshot_conn: Any, snapshot_id: str
) -> None:
    """Dump the source under ``snapshot_id`` and record its data entries (one per table) in the checkpoint.

    A new dump makes any earlier restore progress stale, so that is forgotten (the target database is
    then recreated).
    """
    if checkpoint.dump_done or checkpoint.pre_data:
        log.warning("a new dump makes the earlier restore progress stale: the target database will be recreated")
    checkpoint.reset_restore()
    discard_dumps(move)
    folder = _new_folder(move, "dump")
    checkpoint.dump_dir, checkpoint.dump_done, checkpoint.dump_sha256 = str(folder), False, ""
    move.save_checkpoint(checkpoint)
    folder.parent.mkdir(parents=True, exist_ok=True)
    log.info(
        "pg_dump %s -> %s (jobs=%s, snapshot %s)",
        move.source.describe(move.database),
        folder,
        move.jobs,
        snapshot_id,
    )
    move.run_tool(
        [
            move.tools.pg_dump,
            "--format=directory",
            f"--jobs={move.jobs}",
            f"--compress={move.compress}",
            f"--snapshot={snapshot_id}",
            f"--file={folder}",
            f"--dbname={move.source.conninfo(move.database)}",
        ],
        env,
    )
    toc = move.run_tool([move.tools.pg_restore, "--list", "--section=data", str(folder)], env).stdout
    names = {
        int(oid): (schema, name)
        for oid, schema, name in snapshot_conn.execute(
            "SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        )
    }
    tables: list[DataEntry] = []
    other: list[int] = []
    for entry in parse_toc(toc):
        if entry.desc == "TABLE DATA":
            schema, name = names.get(entry.oid, ("", entry.label))
            data_file = folder / f"{entry.dump_id}.dat"
            size = data_file.stat().st_size if data_file.exists() else 0
            if not data_file.exists():
                size = sum(p.stat().st_size for p in folder.glob(f"{entry.dump_id}.dat*"))
            tables.append(DataEntry(entry.dump_id, entry.desc, schema, name, size))
        else:
            other.append(entry.dump_id)
    checkpoint.tables, checkpoint.other_data = tables, other
    _record(move, checkpoint, folder)


def dump_schema(move: PgMove, checkpoint: PgCheckpoint, env: Mapping[str, str]) -> None:
    """``pg_dump --schema-only`` (directory format) of the source, recorded with its sha256."""
    discard_schema_dumps(move)
    folder = _new_folder(move, "schema")
    folder.parent.mkdir(parents=True, exist_ok=True)
    log.info("pg_dump --schema-only %s -> %s", move.source.describe(move.database), folder)
    move.run_tool(
        [
            move.tools.pg_dump,
            "--format=directory",
            "--schema-only",
            f"--file={folder}",
            f"--dbname={move.source.conninfo(move.database)}",
        ],
        env,
    )
    _record(move, checkpoint, folder)


def _new_folder(move: PgMove, prefix: str) -> Path:
    return move.dump_root / f"{prefix}-{move.database}-to-{move.target_database}-{uuid.uuid4().hex[:8]}"


def _discard(move: PgMove, prefix: str) -> None:
    for old in move.dump_root.glob(f"{prefix}-{move.database}-to-{move.target_database}-*"):
        shutil.rmtree(old, ignore_errors=True)


def _record(move: PgMove, checkpoint: PgCheckpoint, folder: Path) -> None:
    """Mark the dump in ``folder`` done, with its sha256 and time, and save the checkpoint."""
    checkpoint.dump_dir, checkpoint.dump_sha256 = str(folder), dump_checksum(folder)
    checkpoint.dumped_at = utc_now()
    checkpoint.dump_done = True
    move.save_checkpoint(checkpoint)


def settle_dumps(move: PgMove, report: Any) -> None:
    """After verify: delete this pair's dumps if ``report.ok`` (they are the source's data), else keep them.

    A failed verification keeps them for the retry. Either way a log line and a note of ``report``
    (the verification notes in the evidence) say which.
    """
    from runbook_lib.migrate.postgres.checkpoint import SchemaCheckpoint

    for path, loader in ((move.checkpoint_path, PgCheckpoint), (move.schema_checkpoint_path, SchemaCheckpoint)):
        checkpoint = loader.load(path)
        if checkpoint is None or not checkpoint.dump_dir or not Path(checkpoint.dump_dir).exists():
            continue
        folder = Path(checkpoint.dump_dir)
        if report.ok:
            shutil.rmtree(folder, ignore_errors=True)
            checkpoint.dump_deleted_at = utc_now()
            move.save_checkpoint(checkpoint)
            message = f"dump {folder} deleted: verify of {move.target_database} passed"
            log.info(message)
        else:
            message = f"dump {folder} kept for the retry: verify of {move.target_database} failed"
            log.warning(message)
        report.notes.append(message)
