"""PostgreSQL -> Amazon RDS for PostgreSQL: check, ``pg_dump -Fd -j`` / ``pg_restore -j``, verify.

Why the peer tools rather than our own COPY loop: ``pg_dump``/``pg_restore`` know every object type
PostgreSQL has (and the next release adds), order DDL correctly, and are what RDS documents for a
homogeneous move. What we add around them is what they lack for a cut-over with evidence:

* **check** before anything moves: extensions RDS does not offer (a data file of RDS's list, or the
  live ``rds.extensions`` when the target is RDS), objects only a superuser can create (C-language
  and untrusted-language functions, event triggers, superuser-only settings, tablespaces), roles
  with SUPERUSER/REPLICATION, large objects, unlogged tables, version compatibility, and whether
  the target database is free. Blockers stop :meth:`Migrator.run` before anything is written.
* **resumable copy** in phases recorded in a checkpoint (tmp + ``os.replace``): the dump (directory
  format, parallel, taken from an exported snapshot; reused on resume only if its sha256 is intact),
  then ``pre-data``, then the data one table per ``pg_restore`` (each table TRUNCATEd first, so a
  table interrupted by a kill is loaded again from empty: never duplicated), then sequences and
  large objects, then ``post-data`` (indexes, constraints, triggers) with ``--clean --if-exists``
  if a previous attempt got part-way. A run whose pre-data did not finish recreates the target
  database. Passwords reach the tools through a temporary 0600 passfile (``PGPASSFILE``), never
  the command line, so neither logs nor ``ps`` show them.
* **verify** per table: row count plus an order-independent checksum computed *in* each database
  (sum of the first 64 bits of ``md5(row::text)``), which works without a primary key and counts
  duplicate rows; a table that differs is drilled down to the keys (or row hashes) that differ.
  Sequences must match and continue past the largest id; large objects are counted and hashed.
  The source side is computed under the dump's snapshot while the restore runs, so the comparison
  is against exactly what was copied even if the source is live, and the source is read while it
  would otherwise be idle. (That snapshot's transaction stays open on the source until the restore
  and those checksums finish, as ``pg_dump``'s own does: it holds back VACUUM there meanwhile.)

What it does not move (reported by :meth:`PostgresMigrator.check`, never skipped silently): roles
and their passwords, tablespaces and ``ALTER SYSTEM`` settings (cluster-wide, not in a database
dump), ``ALTER DATABASE ... SET`` settings, and changes made on the source after the snapshot (use
the DMS path, :mod:`runbook_lib.migrate.at_scale.dms`, for a move under write load).

The class coordinates (check -> copy -> verify); each step lives in a sibling module and is typed
against :class:`~runbook_lib.migrate.postgres.move.PgMove`: ``inventory``/``compat`` (check),
``dump``/``restore`` (copy), ``checksums``/``verify``/``sequences`` (verify), ``schema`` (the steps
around a DMS load).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from runbook_lib.errors import MigrationError, ParamsError
from runbook_lib.migrate._group import MappedMigrator, MemberOptions, Members
from runbook_lib.migrate.base import (
    CheckReport,
    CopyReport,
    Finding,
    ProgressFactory,
    VerifyReport,
)
from runbook_lib.migrate.ownership import default_dump_dir
from runbook_lib.migrate.postgres import dump, restore, schema, sequences
from runbook_lib.migrate.postgres.checkpoint import PgCheckpoint, SchemaCheckpoint, SchemaStep
from runbook_lib.migrate.postgres.checksums import SnapshotSums, TableSums
from runbook_lib.migrate.postgres.compat import evaluate_compatibility, load_rds_extensions, major_version
from runbook_lib.migrate.postgres.dsns import resolve_dsns
from runbook_lib.migrate.postgres.identifiers import TableRef, quote_ident
from runbook_lib.migrate.postgres.inventory import (
    COUNT_USER_OBJECTS,
    TargetInventory,
    inspect_source,
    inspect_target,
)
from runbook_lib.migrate.postgres.libpq import PgEndpoint, PgTools, passfile_env
from runbook_lib.migrate.postgres.verify import verify_move
from runbook_lib.process import run_command

log = logging.getLogger(__name__)


class PostgresMigrator(MappedMigrator):
    """Move one PostgreSQL database to RDS for PostgreSQL (see the module docstring).

    Args:
        source_dsn: the source server (URL or key=value; its dbname is ignored). Used read-only.
        target_dsn: the target server (the RDS endpoint); its user creates the target database.
        database: the source database to move.
        jobs: parallel ``pg_dump``/``pg_restore`` workers (tables are restored this many at a time).
        target_database: the name on the target (default: ``database``).
        checkpoint_dir: where the checkpoint and the dump folder live.
        workers: parallel checksum queries in verify (default: ``jobs``).
        progress: tqdm-like factory.
        role_map: source role -> target role; objects the source role owns are given to the target
            role after the restore (everything else stays with the restoring user, as RDS wants).
        compress: ``pg_dump`` compression level; 0 by default because the dump is a local staging
            copy read once by ``pg_restore`` — compressing it costs CPU and saves nothing on the wire.
        replace_target: allow dropping a non-empty target database this migrator did not create.
        no_tablespaces: restore everything into the default tablespace (RDS manages storage).
        accept: finding objects the operator acknowledged (their blockers become warnings).
        dump_dir: parent folder for dumps (default: ``checkpoint_dir``; ``from_params`` uses the work folder,
            :func:`~runbook_lib.migrate.ownership.default_dump_dir`). A dump is deleted once verify() passed.
        maintenance_db: the target database used to create/drop the target database.
        drill_down_limit: tables larger than this many rows are not compared row by row on mismatch.
        analyze: run ANALYZE on the target after the restore (planner statistics are not dumped).
        command_timeout: seconds before a pg_dump/pg_restore call is killed (None: no limit).
    """

    kind = "postgres"

    def __init__(
        self,
        source_dsn: str,
        target_dsn: str,
        database: str,
        jobs: int = 2,
        *,
        target_database: str | None = None,
        checkpoint_dir: Path,
        workers: int | None = None,
        progress: ProgressFactory | None = None,
        role_map: Mapping[str, str] | None = None,
        compress: int = 0,
        replace_target: bool = False,
        no_tablespaces: bool = False,
        accept: Iterable[str] = (),
        dump_dir: Path | None = None,
        maintenance_db: str = "postgres",
        drill_down_limit: int = 2_000_000,
        analyze: bool = True,
        command_timeout: float | None = None,
        tools: PgTools | None = None,
    ) -> None:
        if jobs < 1:
            raise ParamsError("jobs", jobs, ">= 1")
        super().__init__(checkpoint_dir=checkpoint_dir, workers=workers or jobs, progress=progress)
        self.source = PgEndpoint.from_dsn(source_dsn)
        self.target = PgEndpoint.from_dsn(target_dsn)
        self.database = database
        self.target_database = target_database or database
        self.jobs = jobs
        self.role_map = dict(role_map or {})
        self.compress = compress
        self.replace_target = replace_target
        self.no_tablespaces = no_tablespaces
        self.accept = list(accept)
        self.dump_root = Path(dump_dir) if dump_dir else self.checkpoint_dir
        self.maintenance_db = maintenance_db
        self.drill_down_limit = drill_down_limit
        self.analyze = analyze
        self.command_timeout = command_timeout
        self._tools = tools
        self.app_name = f"runbook-migrate:{self.target_database}"[:63]
        self.checkpoint_path = self.checkpoint_dir / f"postgres-{database}-to-{self.target_database}.json"
        #: The schema steps around a DMS load (a separate file: the native copy's phases are not DMS's).
        self.schema_checkpoint_path = self.checkpoint_dir / f"postgres-{database}-to-{self.target_database}.schema.json"
        self.lock = threading.Lock()
        #: Source sums taken under the dump's snapshot by the last copy() of this object, by table.
        self._snapshot_sums: dict[TableRef, TableSums] = {}
        self._snapshot_note = ""

    # ------------------------------------------------------------------ construction from params
    @classmethod
    def members_from_params(cls, params: Any, sandbox_state: Any | None, options: MemberOptions) -> Members:
        """One member per ``migration.postgres`` mapping (``from_params`` makes a group when there are several).

        In the sandbox the target is where the RDS endpoint binds: the RDS instance moto reports
        (``target_endpoint``, or discovered with ``DescribeDBInstances``) is resolved through
        :func:`runbook_lib.endpoints.resolve_endpoint`; without one, the ``postgres-target``
        service of the sandbox state is used directly. Against real AWS the target DSN secret
        names the RDS endpoint itself.
        """
        mappings = list(params.migration.postgres)
        if not mappings:
            raise ParamsError(
                "migration.postgres",
                [],
                "at least one database mapping (name, source_dsn_ref, target_dsn_ref)",
            )
        # Dumps are the source's data: staged outside the outputs folder operators back up and share.
        dump_dir = default_dump_dir(params.env, cls.kind)
        members: Members = []
        for mapping in mappings:
            source_dsn, target_dsn = resolve_dsns(params, sandbox_state, mapping, options.target_endpoint)
            members.append(
                (
                    mapping.name,
                    cls(
                        source_dsn,
                        target_dsn,
                        mapping.name,
                        mapping.jobs,
                        checkpoint_dir=options.checkpoint_dir,
                        workers=params.migration.workers,
                        progress=options.progress,
                        dump_dir=dump_dir,
                    ),
                )
            )
        return members

    def target_identity(self) -> str:
        """``host:port/database`` of the target (an owner stamp's target)."""
        return self.target.describe(self.target_database)

    def carry_forward(self, old_dir: Path) -> None:
        """Keep one fact of an older run's checkpoint of this pair: the target database was created by this migrator.

        Only that (a fresh checkpoint with ``target_prepared``), so the new run may recreate it; nothing
        copied is taken as done.
        """
        old = PgCheckpoint.load(old_dir / self.checkpoint_path.name)
        src_desc, tgt_desc = self.source.describe(self.database), self.target.describe(self.target_database)
        if old is not None and old.target_prepared and (old.source, old.target) == (src_desc, tgt_desc):
            self.save_checkpoint(PgCheckpoint(source=src_desc, target=tgt_desc, target_prepared=True))

    # ------------------------------------------------------------------ what the step modules use (PgMove)
    @property
    def tools(self) -> PgTools:
        if self._tools is None:
            self._tools = PgTools.discover()
        return self._tools

    def source_conn(self, *, application_name: str | None = None) -> Any:
        return self.source.connect(self.database, read_only=True, application_name=application_name or self.app_name)

    def target_conn(self, dbname: str | None = None) -> Any:
        return self.target.connect(dbname or self.target_database, application_name=self.app_name)

    def run_tool(self, command: list[str], env: Mapping[str, str]) -> Any:
        return run_command(command, env=env, timeout=self.command_timeout, logger_name=log.name)

    def save_checkpoint(self, checkpoint: PgCheckpoint) -> None:
        path = self.schema_checkpoint_path if isinstance(checkpoint, SchemaCheckpoint) else self.checkpoint_path
        with self.lock:
            checkpoint.save(path)

    def source_size_bytes(self) -> int:
        """``pg_database_size`` of the source: the input of :func:`runbook_lib.migrate.at_scale.dms.choose_path`."""
        with self.source_conn() as conn:
            return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])

    # ------------------------------------------------------------------ check
    def check(self) -> CheckReport:
        """Compatibility with RDS and readiness of the target, before anything moves. Writes nothing."""
        report = CheckReport(kind=self.kind)
        with self.source_conn() as conn:
            source = inspect_source(conn)
        target: TargetInventory | None
        try:
            with self.target_conn(self.maintenance_db) as conn:
                target = inspect_target(conn, self.target_database)
            if target.database_exists:
                with self.target_conn() as conn:
                    target.database_objects = int(conn.execute(COUNT_USER_OBJECTS).fetchone()[0])
        except Exception as error:  # noqa: BLE001 - an unreachable target is a finding, not a crash
            log.warning("target %s unreachable: %s", self.target.describe(self.maintenance_db), type(error).__name__)
            target = None
        checkpoint = PgCheckpoint.load(self.checkpoint_path)
        schema_steps = SchemaCheckpoint.load(self.schema_checkpoint_path)  # a DMS run's target is ours too
        offline = load_rds_extensions(major_version(target.server_version_num if target else source.server_version_num))
        report.findings = evaluate_compatibility(
            source,
            target,
            pg_dump_major=self.tools.major,
            offline_extensions=offline,
            role_map=self.role_map,
            no_tablespaces=self.no_tablespaces,
            accept=self.accept,
            replace_target=self.replace_target,
            target_is_ours=bool(
                (checkpoint and checkpoint.target_prepared) or (schema_steps and schema_steps.target_prepared)
            ),
            target_database=self.target_database,
        )
        report.findings.append(
            Finding(
                "info",
                "size",
                f"{source.table_count} tables, {source.total_bytes / 1024**2:.1f} MiB on disk in {self.database}",
            )
        )
        return report

    # ------------------------------------------------------------------ copy
    def copy(self, *, resume: bool = True) -> CopyReport:
        """Dump, then restore in phases; each finished phase and table is checkpointed.

        Args:
            resume: continue from the checkpoint (a reused dump must still match its sha256).
                Without it the checkpoint and old dumps are discarded; a target database this
                migrator created in an earlier attempt is then treated as foreign (see ``replace_target``).
        """
        started = time.monotonic()
        previous = PgCheckpoint.load(self.checkpoint_path)
        checkpoint = previous if resume else None
        src_desc, tgt_desc = self.source.describe(self.database), self.target.describe(self.target_database)
        same_pair = previous is not None and previous.source == src_desc and previous.target == tgt_desc
        if checkpoint is not None and not same_pair:
            raise MigrationError(
                f"checkpoint {self.checkpoint_path} belongs to {checkpoint.source} -> {checkpoint.target}",
                hint="use another checkpoint_dir, or copy with resume=False",
            )
        if checkpoint is None:
            dump.discard_dumps(self)
            # Starting over still knows the target database came from this migrator: it may be recreated.
            ours = bool(same_pair and previous is not None and previous.target_prepared)
            checkpoint = PgCheckpoint(source=src_desc, target=tgt_desc, target_prepared=ours)
        report = CopyReport(
            kind=self.kind,
            details={
                "database": self.database,
                "target_database": self.target_database,
                "jobs": self.jobs,
                "resumed": bool(resume and checkpoint.dump_done),
                "dump_root": str(self.dump_root),
                "dump_kept": "until verify() of this database passes",
            },
        )
        if checkpoint.complete:
            report.items_skipped = len(checkpoint.tables)
            report.details["already_complete"] = True
            report.seconds = time.monotonic() - started
            return report
        phases: dict[str, float] = {}
        report.details["phases_s"] = phases
        with (
            passfile_env(self.source, self.target, application_name=self.app_name) as env,
            ThreadPoolExecutor(max_workers=max(1, self.workers), thread_name_prefix="pg-src-sum") as sum_pool,
        ):
            snapshot_conn = None
            snapshot_sums = SnapshotSums(self, sum_pool)
            try:
                restore.end_leftover_sessions(self)
                t0 = time.monotonic()
                if not (checkpoint.dump_done and dump.dump_intact(checkpoint)):
                    snapshot_conn, snapshot_id = dump.export_snapshot(self)
                    dump.dump_data(self, checkpoint, env, snapshot_conn, snapshot_id)
                    report.details["snapshot"] = snapshot_id
                    # Read the source side of verify now, under the dump's snapshot, while the target works.
                    snapshot_sums.start(snapshot_conn, snapshot_id)
                else:
                    report.details["dump_reused"] = True
                phases["dump"] = time.monotonic() - t0
                restore.restore_all(self, checkpoint, env, report, phases)
            finally:
                sums = snapshot_sums.collect(cancel=sys.exc_info()[0] is not None)
                if snapshot_conn is not None:
                    snapshot_conn.close()
                if sums:
                    self._snapshot_sums = sums
                    self._snapshot_note = f"source side read under the dump's snapshot ({checkpoint.dumped_at})"
        report.seconds = time.monotonic() - started
        return report

    # ------------------------------------------------------------------ schema around an external load (DMS)
    def schema_checkpoint(self) -> SchemaCheckpoint:
        """The schema steps' checkpoint for this pair (a fresh one if there is none).

        Raises:
            MigrationError: the checkpoint file belongs to another source/target pair.
        """
        return schema.schema_checkpoint(self)

    def restore_pre_data(self) -> SchemaStep:
        """Create the target database and restore the source's ``pre-data`` into it, for a loader like DMS.

        See :mod:`runbook_lib.migrate.postgres.schema` for why the schema is restored in two halves.
        """
        return schema.restore_pre_data(self)

    def mark_loaded(self) -> None:
        """Record that the external load (DMS's full load) finished: post-data may follow; a re-run must not reload."""
        schema.mark_loaded(self)

    def restore_post_data(self) -> SchemaStep:
        """After the external load: ``post-data`` (indexes, constraints, triggers), sequences, owners, ANALYZE."""
        return schema.restore_post_data(self)

    def sync_sequences(self) -> int:
        """Set every sequence of the target to the source's current value; returns how many were set.

        Under CDC the source keeps drawing values: call this again at the cut-over, after the writers stopped.
        """
        return sequences.sync_sequences(self)

    # ------------------------------------------------------------------ verify
    def verify(self) -> VerifyReport:
        """Per table: count and checksum on both sides (in parallel), drilled down where they differ.

        The source side comes from the dump's snapshot when this object just copied (see the
        module docstring), else from the live source. Also compares sequences and large objects.
        """
        report = verify_move(self, dict(self._snapshot_sums), self._snapshot_note)
        dump.settle_dumps(self, report)
        return report

    # ------------------------------------------------------------------ housekeeping
    def drop_target(self) -> None:
        """Drop the target database and forget the checkpoint (tests and rehearsals)."""
        with self.target_conn(self.maintenance_db) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(self.target_database)} WITH (FORCE)")
        dump.discard_dumps(self)
        dump.discard_schema_dumps(self)
        self.schema_checkpoint_path.unlink(missing_ok=True)
