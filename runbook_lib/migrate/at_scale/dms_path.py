"""The DMS path driven from the parameters: one task per database, with the schema or index steps around it.

What ``migration.at_scale.dms`` gives (instance class, subnets, security groups, CDC) builds one
:class:`~runbook_lib.migrate.at_scale.dms_tasks.DmsMigration` per database; every endpoint is built
before the first task starts, so a parameter the path needs stops it before anything moves. Said plainly:

* **PostgreSQL via DMS**: DMS creates tables minimally, so :func:`run_dms` has the PostgreSQL
  migrator restore the source's ``pre-data`` (``pg_dump --schema-only``, ``pg_restore
  --section=pre-data``) into the target before the task starts; the task keeps those tables
  (``TargetTablePrepMode=TRUNCATE_BEFORE_LOAD``); once the full load finished (or CDC runs on top
  of it) ``post-data`` follows (indexes, constraints, triggers), then the sequences are set from
  the source. Each step is checkpointed: a re-run never reloads tables that already carry their
  constraints. DMS does not move large objects (``pg_largeobject``); ``verify()`` counts them.
* **MongoDB -> DocumentDB via DMS**: one task per database, in document mode, one selection rule per
  collection; DMS copies documents and the ``_id`` index only, so the Mongo migrator creates the
  secondary indexes after the full load (:meth:`~runbook_lib.migrate.mongo.MongoMigrator.create_indexes`).
* **Under CDC** the source keeps changing after those steps: at the cut-over stop the writers, let
  the latency drain, stop the task, set the PostgreSQL sequences again
  (``PostgresMigrator.sync_sequences``), then verify. Triggers restored by ``post-data`` fire for
  the changes DMS applies meanwhile (review them, or give the DMS user ``session_replication_role``
  ``replica``).
* **The sandbox (moto)** moves no data: DMS tasks jump to ``running`` with fixed statistics and
  never finish a full load (:mod:`~runbook_lib.migrate.at_scale.dms` lists moto's limits). The runs
  table carries those notes, and the
  content verification afterwards (``MigrationStep.verify``) truthfully reports the target empty.
  The schema steps are real there (the sandbox's PostgreSQL target gets pre-data before the task
  and, once a CDC task runs, post-data after it); the sandbox's MongoDB is the file-backed
  mongomock, which has no server, so its DMS endpoints name a placeholder host
  (:data:`SANDBOX_MONGO_URI`) — moto never connects to it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runbook_lib.errors import AtScalePathUnavailableError, DmsTaskError, ParamsError
from runbook_lib.migrate.at_scale.dms_endpoints import DmsEndpoint, dms_identifier
from runbook_lib.migrate.at_scale.dms_mappings import DOCUMENTDB_TASK_SETTINGS, collection_mappings
from runbook_lib.migrate.at_scale.dms_tasks import DmsMigration, TaskProgress
from runbook_lib.migrate.at_scale.path_choice import required_section, service_client
from runbook_lib.migrate.at_scale.runs import AtScaleRun, failed_run

#: The logger these runs always wrote to (before the drivers moved out of path_choice): kept for log filters.
log = logging.getLogger("runbook_lib.migrate.at_scale.path_choice")

#: The kinds :func:`run_dms` builds DMS endpoints for.
DMS_KINDS = ("postgres", "mongo")
SANDBOX_DMS_NOTE = (
    "sandbox: moto's DMS moves no data: the task jumps to running with fixed statistics (100 %, one "
    "table), never finishes a full load, and has no table statistics; verify the target with the migrator"
)
SCHEMA_NOTE = (
    "TargetTablePrepMode=TRUNCATE_BEFORE_LOAD: the target tables come from pg_restore --section=pre-data "
    "before the task; indexes, constraints and triggers (post-data) and the sequence values after the full load"
)
POST_DATA_PENDING_NOTE = "post-data and sequences not restored: the full load did not finish; re-run to continue"
LARGE_OBJECTS_NOTE = "DMS does not move large objects (pg_largeobject); verify counts and hashes them"
MONGO_INDEX_NOTE = "DMS copies documents and the _id index only: secondary indexes are created after the full load"
CDC_NOTE = (
    "CDC is running: stop the writers, let the CDC latency drain, then stop the task "
    "(DmsMigration.stop) and delete its resources (DmsMigration.teardown)"
)
SEQUENCES_CDC_NOTE = (
    "under CDC the source keeps drawing sequence values: PostgresMigrator.sync_sequences() at the cut-over"
)
BILLING_NOTE = "the replication instance stays up (and billed) until DmsMigration.teardown()"
#: What the DMS endpoints name for the sandbox's mongomock stores, which have no server (see the module docstring).
SANDBOX_MONGO_URI = "mongodb://mongomock.sandbox.invalid:27017/"
SANDBOX_MONGO_NOTE = (
    "sandbox: MongoDB is the file-backed mongomock (no server): its DMS endpoint names "
    "mongomock.sandbox.invalid:27017, which moto never connects to"
)


def _members(migrator: Any, kind: str) -> list[tuple[str, Any]]:
    """``(label, migrator)`` of each member of a group, or the one migrator."""
    members = getattr(migrator, "members", None)
    if members is not None:
        return list(members)
    return [(migrator.database if kind == "postgres" else getattr(migrator, "label", kind), migrator)]


@dataclass
class _DmsPlan:
    """One DMS task to run: its unit, resources and what to do around it."""

    unit: str
    migration: DmsMigration
    member: Any
    notes: list[str] = field(default_factory=list)
    spec: Any = None  # mongo: the DatabaseSpec


def _mongo_uri_for_dms(uri: str | None, side: str, label: str, sandbox: bool, notes: list[str]) -> str:
    """The URI the DMS endpoint is built from; the sandbox's mongomock stores get a placeholder host."""
    if uri is None:
        raise ParamsError(
            f"migration.mongo[].{side}_uri_ref",
            None,
            "a mongodb:// URI (MongoMigrator.from_params passes it; a migrator built from clients has none)",
            message=f"mongo {label}: the DMS path needs the {side} connection URI, and this migrator has none",
        )
    if not sandbox or uri.split("://", 1)[0] in ("mongodb", "mongodb+srv"):
        return uri  # what DMS cannot use (mongodb+srv://, another scheme) is refused by the endpoint builder
    if SANDBOX_MONGO_NOTE not in notes:
        notes.append(SANDBOX_MONGO_NOTE)
    return SANDBOX_MONGO_URI


def _run_task(plan: _DmsPlan, runs: list[AtScaleRun], *, sandbox: bool) -> TaskProgress:
    """Run one planned task up to a finished full load (or running CDC); a failure is recorded, then raised."""
    migration = plan.migration
    # moto answers a connection test "successful" at once and fails on a re-test of the same pair
    test_connections = not sandbox
    if not test_connections:
        plan.notes.append("sandbox: endpoint connection tests skipped (moto cannot test a connection twice)")
    try:
        state = migration.start_and_wait(test_connections=test_connections)
    except DmsTaskError as error:
        runs.append(failed_run(plan.unit, "dms", error, plan.notes, task_arn=migration.task_arn or error.task_arn))
        raise
    if state.status == "running" and migration.migration_type != "full-load":
        plan.notes.append(CDC_NOTE)
    if migration.table_statistics() is None:
        plan.notes.append("DMS table statistics unavailable")
    return state


def _step_failed(
    plan: _DmsPlan, runs: list[AtScaleRun], step: str, error: Exception, state: TaskProgress | None = None
) -> None:
    """Record a schema/index step that failed around a task, before the error propagates."""
    runs.append(
        AtScaleRun(
            plan.unit,
            "dms",
            task_arn=plan.migration.task_arn,
            status=f"{step} failed",
            statuses=([_loaded_status(state)] if state is not None else []) + [f"{step} failed"],
            items=state.tables_loaded if state is not None else 0,
            notes=[f"{step}: {getattr(error, 'message', None) or error}", *plan.notes],
        )
    )


def run_dms(
    params: Any,
    kind: str,
    migrator: Any,
    runs: list[AtScaleRun],
    *,
    clients: Callable[[str], Any] | None = None,
    progress: Callable[..., Any] | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    reason: str = "",
) -> list[AtScaleRun]:
    """One DMS task per PostgreSQL or MongoDB database, each run up to a finished full load (or running CDC).

    PostgreSQL: ``pre-data`` restored before the task, ``post-data`` and sequences after it (see the
    module docstring). MongoDB -> DocumentDB: the secondary indexes are created after the task. Every
    endpoint is built before the first task starts, so a parameter the path needs stops it before
    anything moves. Every run (a failed one too) is appended to ``runs`` as it ends.

    Raises:
        ParamsError: ``migration.at_scale.dms`` is not set; a MongoDB URI DMS cannot use; a TLS
            DocumentDB target without ``migration.at_scale.dms.docdb_certificate_arn``.
        AtScalePathUnavailableError: ``kind`` has no DMS endpoints here (only postgres and mongo do).
        DmsTaskError: a task failed, stopped early, or did not get there within ``timeout_s``.
        CommandError, MigrationError: a schema step (``pg_dump``/``pg_restore``) failed.
    """
    if kind not in DMS_KINDS:  # said first: setting migration.at_scale.dms would not help
        raise AtScalePathUnavailableError(
            kind,
            "dms",
            [f"DMS endpoints for {kind} (runbook_lib.migrate.at_scale.dms builds them for {', '.join(DMS_KINDS)})"],
            hint=f"raise migration.at_scale_threshold_bytes above the {kind} size to use the direct copy",
        )
    settings = required_section(kind, "dms", params, reason=reason)
    sandbox = bool(params.is_sandbox)
    migration_type = "full-load-and-cdc" if settings.cdc_required else "full-load"
    client = service_client("dms", params, clients)
    common: dict[str, Any] = {
        "migration_type": migration_type,
        "instance_class": settings.replication_instance_class,
        "allocated_storage": settings.allocated_storage_gib,
        "subnet_group": settings.replication_subnet_group_id,
        "security_group_ids": settings.security_group_ids,
        "progress": progress,
        "poll_s": 0.2 if sandbox else settings.poll_interval_s,
        "timeout_s": min(settings.timeout_s, 30.0) if sandbox else settings.timeout_s,
    }
    if sleep is not None:
        common["sleep"] = sleep
    if clock is not None:
        common["clock"] = clock
    sandbox_notes = [SANDBOX_DMS_NOTE] if sandbox else []

    plans: list[_DmsPlan] = []
    for label, member in _members(migrator, kind):
        if kind == "postgres":
            name = dms_identifier("runbook", params.env, member.database)
            source = DmsEndpoint.from_pg_endpoint(
                dms_identifier(name, "src"), "source", member.source, member.database, ssl_mode=settings.ssl_mode
            )
            target = DmsEndpoint.from_pg_endpoint(
                dms_identifier(name, "tgt"), "target", member.target, member.target_database, ssl_mode=settings.ssl_mode
            )
            migration = DmsMigration(client, name=name, source=source, target=target, **common)
            plans.append(_DmsPlan(label, migration, member, [SCHEMA_NOTE, *sandbox_notes]))
            continue
        source_uri, target_uri = member.dms_uris
        for spec in member.databases:
            notes = list(sandbox_notes)
            name = dms_identifier("runbook", params.env, "mongo", spec.name)
            source = DmsEndpoint.from_mongo_uri(
                dms_identifier(name, "src"),
                "source",
                _mongo_uri_for_dms(source_uri, "source", label, sandbox, notes),
                spec.name,
                engine="mongodb",
            )
            target = DmsEndpoint.from_mongo_uri(
                dms_identifier(name, "tgt"),
                "target",
                _mongo_uri_for_dms(target_uri, "target", label, sandbox, notes),
                spec.target,
                engine="docdb",
                certificate_arn=settings.docdb_certificate_arn,
            )
            collections, views = member.collections_to_move(spec)
            if views:
                notes.append(f"views not moved (DocumentDB has none): {', '.join(views)}")
            migration = DmsMigration(
                client,
                name=name,
                source=source,
                target=target,
                mappings=collection_mappings(spec.name, collections, target_database=spec.target),
                task_settings=DOCUMENTDB_TASK_SETTINGS,
                **common,
            )
            unit = spec.name if spec.target == spec.name else f"{spec.name}->{spec.target}"
            plans.append(_DmsPlan(unit, migration, member, [MONGO_INDEX_NOTE, *notes], spec))

    for plan in plans:
        if kind == "postgres":
            _run_postgres(plan, runs, sandbox=sandbox, cdc=migration_type != "full-load")
        else:
            _run_mongo(plan, runs, sandbox=sandbox)
    return runs


def _run_postgres(plan: _DmsPlan, runs: list[AtScaleRun], *, sandbox: bool, cdc: bool) -> None:
    """pre-data, the task, post-data + sequences: the PostgreSQL migrator does the schema, DMS the rows."""
    member, notes = plan.member, plan.notes
    try:
        pre = member.restore_pre_data()
    except Exception as error:
        _step_failed(plan, runs, "pre-data", error)
        raise
    notes.append(
        "pre-data restored in an earlier run (checkpoint)"
        if pre.skipped
        else f"pre-data restored before the task ({pre.seconds:.1f} s)"
    )
    state = None
    if member.schema_checkpoint().loaded:
        notes.append("the full load finished in an earlier run (checkpoint): the task was not restarted")
    else:
        try:
            state = _run_task(plan, runs, sandbox=sandbox)
        except DmsTaskError:
            runs[-1].notes.append(POST_DATA_PENDING_NOTE)
            raise
        member.mark_loaded()
    try:
        post = member.restore_post_data()
    except Exception as error:
        _step_failed(plan, runs, "post-data", error, state)
        raise
    notes.append(
        "post-data restored in an earlier run (checkpoint)"
        if post.skipped
        else f"post-data restored after the full load ({post.seconds:.1f} s); "
        f"{post.sequences_set} sequences set from the source"
    )
    if cdc:
        notes.append(SEQUENCES_CDC_NOTE)
    notes.extend([LARGE_OBJECTS_NOTE, BILLING_NOTE])
    runs.append(_finished_run(plan, state))


def _run_mongo(plan: _DmsPlan, runs: list[AtScaleRun], *, sandbox: bool) -> None:
    """The task, then the secondary indexes DMS does not copy."""
    state = _run_task(plan, runs, sandbox=sandbox)
    try:
        created = plan.member.create_indexes([plan.spec])
    except Exception as error:
        _step_failed(plan, runs, "indexes", error, state)
        raise
    plan.notes.append(f"{sum(created.values())} secondary indexes created after the full load")
    plan.notes.append(BILLING_NOTE)
    runs.append(_finished_run(plan, state))


def _finished_run(plan: _DmsPlan, state: TaskProgress | None) -> AtScaleRun:
    migration = plan.migration
    if state is None:
        return AtScaleRun(plan.unit, "dms", status="loaded earlier", statuses=["loaded earlier"], notes=plan.notes)
    log.info("DMS %s: %s, %d %% loaded", plan.unit, state.status, state.percent)
    return AtScaleRun(
        plan.unit,
        "dms",
        task_arn=migration.task_arn,
        status=state.status,
        statuses=[_loaded_status(state)],
        items=state.tables_loaded,
        notes=plan.notes,
    )


def _loaded_status(state: TaskProgress) -> str:
    """A task's status with how much of the full load it reported."""
    return f"{state.status} ({state.percent} % loaded)"
