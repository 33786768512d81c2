"""The schema around a load this package does not do itself (AWS DMS): pre-data before, post-data after.

Why: DMS creates tables minimally (no defaults, no sequences, no secondary indexes or constraints),
so the schema comes from ``pg_dump --schema-only`` of the source, restored in two halves from the
same dump: ``pre-data`` (types, tables with their defaults, sequences, functions, views) before the
load, ``post-data`` (indexes, constraints, triggers) after it, when building them costs one pass
instead of one per row. The steps have their own checkpoint (:class:`SchemaCheckpoint`), so a re-run
skips what is done and never restarts a load into tables that already carry their constraints.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from runbook_lib.errors import MigrationError
from runbook_lib.migrate.postgres.checkpoint import SchemaCheckpoint, SchemaStep
from runbook_lib.migrate.postgres.dump import dump_intact, dump_schema
from runbook_lib.migrate.postgres.libpq import passfile_env
from runbook_lib.migrate.postgres.move import PgMove
from runbook_lib.migrate.postgres.restore import (
    end_leftover_sessions,
    finish_target,
    prepare_target,
    restore_section,
)
from runbook_lib.migrate.postgres.sequences import sync_sequences

log = logging.getLogger(__name__)


def schema_checkpoint(move: PgMove) -> SchemaCheckpoint:
    """The schema steps' checkpoint for this source/target pair (a fresh one if there is none).

    Raises:
        MigrationError: the checkpoint file belongs to another source/target pair.
    """
    src_desc, tgt_desc = move.source.describe(move.database), move.target.describe(move.target_database)
    checkpoint = SchemaCheckpoint.load(move.schema_checkpoint_path)
    if checkpoint is None:
        return SchemaCheckpoint(source=src_desc, target=tgt_desc)
    if (checkpoint.source, checkpoint.target) != (src_desc, tgt_desc):
        raise MigrationError(
            f"checkpoint {move.schema_checkpoint_path} belongs to {checkpoint.source} -> {checkpoint.target}",
            hint="use another checkpoint_dir, or delete that file to start the schema steps over",
        )
    return checkpoint


def restore_pre_data(move: PgMove) -> SchemaStep:
    """Create the target database and restore the source's ``pre-data`` into it (once per checkpoint).

    The target database is prepared as for a native copy (created with the source's encoding; a
    foreign non-empty one is refused unless ``replace_target``; one whose pre-data this migrator
    left unfinished is recreated).
    """
    started = time.monotonic()
    checkpoint = schema_checkpoint(move)
    if checkpoint.pre_data == "done":
        return SchemaStep("pre-data", True, time.monotonic() - started, dump_dir=checkpoint.dump_dir)
    with passfile_env(move.source, move.target, application_name=move.app_name) as env:
        end_leftover_sessions(move)
        _ensure_dump(move, checkpoint, env)
        prepare_target(move, checkpoint)
        restore_section(move, checkpoint, "pre-data", env)
    log.info("pre-data of %s restored into %s", move.database, move.target.describe(move.target_database))
    return SchemaStep("pre-data", False, time.monotonic() - started, dump_dir=checkpoint.dump_dir)


def mark_loaded(move: PgMove) -> None:
    """Record that the external load finished: post-data may follow; a re-run must not reload."""
    checkpoint = schema_checkpoint(move)
    checkpoint.loaded = True
    move.save_checkpoint(checkpoint)


def restore_post_data(move: PgMove) -> SchemaStep:
    """After the external load: ``post-data`` (indexes, constraints, triggers), sequences, owners, ANALYZE.

    Sequence values are not data DMS moves; :func:`~runbook_lib.migrate.postgres.sequences.sync_sequences`
    sets them from the source. A post-data restore that was interrupted is restored again with
    ``--clean --if-exists`` (as the native copy does). Done once per load: the checkpoint skips it on a re-run.

    Raises:
        MigrationError: :func:`restore_pre_data` has not run for this pair.
    """
    started = time.monotonic()
    checkpoint = schema_checkpoint(move)
    if checkpoint.pre_data != "done":
        raise MigrationError(
            f"post-data of {move.database} requested before its pre-data",
            hint="restore_pre_data() first, then the load, then restore_post_data()",
        )
    if checkpoint.complete:
        return SchemaStep(
            "post-data",
            True,
            time.monotonic() - started,
            sequences_set=checkpoint.sequences_set,
            dump_dir=checkpoint.dump_dir,
        )
    with passfile_env(move.source, move.target, application_name=move.app_name) as env:
        if checkpoint.post_data != "done":
            _ensure_dump(move, checkpoint, env)
            restore_section(move, checkpoint, "post-data", env)
    checkpoint.sequences_set = sync_sequences(move)
    move.save_checkpoint(checkpoint)
    finished = finish_target(move, checkpoint)
    log.info("post-data of %s restored, %s sequences set", move.database, checkpoint.sequences_set)
    return SchemaStep(
        "post-data",
        False,
        time.monotonic() - started,
        sequences_set=checkpoint.sequences_set,
        owners_changed=finished.owners_changed or 0,
        dump_dir=checkpoint.dump_dir,
    )


def _ensure_dump(move: PgMove, checkpoint: SchemaCheckpoint, env: Mapping[str, str]) -> None:
    """Dump the schema again unless the recorded dump is still there, byte for byte."""
    if not (checkpoint.dump_done and dump_intact(checkpoint)):
        dump_schema(move, checkpoint, env)
