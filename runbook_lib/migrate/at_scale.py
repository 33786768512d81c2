"""Which move a kind takes, by size, and driving the at-scale one from the parameters.

Why: below ``migration.at_scale_threshold_bytes`` the runbook's own copy (objects streamed by
:mod:`~runbook_lib.migrate.s3`, ``pg_dump``/``pg_restore``, the batched Mongo copy) is simplest
and verifiable end to end. At or above it, one machine is the bottleneck (and the source must be
frozen for hours), so the bytes move with AWS DataSync (objects, one task per bucket mapping) or
AWS DMS (databases). :func:`decide` makes the call from the migrator's own size estimate;
:func:`run_datasync` and :func:`run_dms` drive the services with what ``migration.at_scale`` in
the parameters says (what they need and cannot guess: roles, agents, subnets, security groups).

Said plainly:

* **MongoDB → DocumentDB at scale is DMS** (MongoDB source endpoint, DocumentDB target), but
  :class:`~runbook_lib.migrate.dms.DmsEndpoint` is only built from PostgreSQL DSNs today, so
  :func:`run_dms` raises :class:`~runbook_lib.errors.AtScalePathUnavailableError` for ``mongo``
  before anything moves rather than pretend.
* **PostgreSQL via DMS** uses the DMS task settings of :mod:`~runbook_lib.migrate.dms`
  (``TargetTablePrepMode=DO_NOTHING``): the target schema must exist before the task starts
  (``pg_restore --section=pre-data``) and constraints/indexes come after (``post-data``). This
  module does not create them; each run's notes say so.
* **The sandbox (moto)** moves no data on either service: DataSync executions succeed at once
  (and the MinIO source is registered as an S3 location), DMS tasks jump to ``running`` with fixed
  statistics and never finish a full load. The runs table carries those notes, and the
  content verification afterwards (``MigrationStep.verify``) truthfully reports the target empty.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from runbook_lib.errors import AtScalePathUnavailableError, DataSyncError, DmsTaskError, ParamsError

log = logging.getLogger("runbook_lib.migrate.at_scale")

#: The path names per kind: (below the threshold, at or above it).
PATHS: dict[str, tuple[str, str]] = {
    "s3": ("direct", "datasync"),
    "postgres": ("native", "dms"),
    "mongo": ("native", "dms"),
}
AT_SCALE_PATHS = frozenset({"datasync", "dms"})
#: Which ``migration.at_scale`` member each at-scale path reads.
SECTION_FOR_PATH = {"datasync": "datasync", "dms": "dms"}
REQUIRED_KEYS = {
    "datasync": "bucket_access_role_arn, agent_arns, server_hostname (and server_port, server_protocol, "
    "access_key_ref + secret_key_ref as needed)",
    "dms": "replication_instance_class, replication_subnet_group_id, security_group_ids (and cdc_required)",
}
SANDBOX_DMS_NOTE = (
    "sandbox: moto's DMS moves no data: the task jumps to running with fixed statistics (100 %, one "
    "table), never finishes a full load, and has no table statistics; verify the target with the migrator"
)
SCHEMA_NOTE = (
    "TargetTablePrepMode=DO_NOTHING: the target schema must exist before the task "
    "(pg_restore --section=pre-data) and constraints/indexes after it (post-data); this step creates neither"
)
CDC_NOTE = (
    "CDC is running: stop the writers, let the CDC latency drain, then stop the task "
    "(DmsMigration.stop) and delete its resources (DmsMigration.teardown)"
)
BILLING_NOTE = "the replication instance stays up (and billed) until DmsMigration.teardown()"


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


# ============================================================================ the choice


@dataclass(frozen=True)
class PathDecision:
    """The move one kind takes and why; one row of the ``<kind>_path`` evidence table."""

    kind: str
    size_bytes: int
    threshold_bytes: int
    path: str  # direct | native | datasync | dms
    reason: str

    @property
    def at_scale(self) -> bool:
        return self.path in AT_SCALE_PATHS

    def to_row(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "size_bytes": self.size_bytes,
            "size": human_bytes(self.size_bytes),
            "threshold_bytes": self.threshold_bytes,
            "path": self.path,
            "reason": self.reason,
        }


def estimate_size(migrator: Any) -> int:
    """The bytes a migrator would move (its ``source_size_bytes()``; groups sum their members)."""
    size_of = getattr(migrator, "source_size_bytes", None)
    if size_of is None:
        from runbook_lib.errors import MigrationError

        raise MigrationError(
            f"the {getattr(migrator, 'kind', type(migrator).__name__)} migrator cannot estimate its size",
            hint="add a source_size_bytes() method to it",
        )
    return int(size_of())


def decide(kind: str, size_bytes: int, params: Any) -> PathDecision:
    """Direct/native below ``migration.at_scale_threshold_bytes``; DataSync/DMS at or above it.

    For databases, ``migration.at_scale.dms.cdc_required`` sends any size to DMS (only CDC keeps the
    source writable during the copy). A kind without an at-scale path always moves directly.
    """
    migration = params.migration
    threshold = int(migration.at_scale_threshold_bytes)
    if kind not in PATHS:
        return PathDecision(kind, size_bytes, threshold, "direct", f"{kind} has no at-scale path")
    below, above = PATHS[kind]
    if above == "datasync":
        from runbook_lib.migrate.datasync import choose_path

        path = choose_path(size_bytes, threshold)
        relation = "at or above" if path == above else "below"
        reason = (
            f"{human_bytes(size_bytes)} is {relation} the {human_bytes(threshold)} threshold: "
            + ("DataSync agents next to the source move it in parallel" if path == above
               else "the runbook copies it directly and verifies every object")
        )
        return PathDecision(kind, size_bytes, threshold, path, reason)
    from runbook_lib.migrate.dms import choose_path as choose_db_path

    dms_params = migration.at_scale.dms if migration.at_scale else None
    cdc = bool(dms_params and dms_params.cdc_required)
    choice = choose_db_path(size_bytes, threshold, cdc_required=cdc)
    return PathDecision(kind, size_bytes, threshold, choice.path, choice.reason)


def missing_section_key(path: str, params: Any) -> str | None:
    """The key to add for the at-scale ``path`` (``migration.at_scale[.<section>]``), None if it is set."""
    section = SECTION_FOR_PATH[path]
    at_scale = params.migration.at_scale
    if at_scale is None:
        return "migration.at_scale"
    return None if getattr(at_scale, section, None) is not None else f"migration.at_scale.{section}"


def required_section(kind: str, path: str, params: Any, *, reason: str = "") -> Any:
    """The ``migration.at_scale`` member the at-scale ``path`` needs; ParamsError if it is not set.

    Called before anything moves, so a missing section stops the copy with the key to add.
    """
    section = SECTION_FOR_PATH[path]
    key = missing_section_key(path, params)
    if key is not None:
        why = f" ({reason})" if reason else ""
        raise ParamsError(
            key,
            None,
            f"migration.at_scale.{section} with {REQUIRED_KEYS[section]} (see the example in params/prod.yaml)",
            message=f"{kind}: the {path} path was chosen{why} but {key} is not set in the parameters",
        )
    return getattr(params.migration.at_scale, section)


# ============================================================================ the runs


@dataclass
class AtScaleRun:
    """One DataSync task execution or DMS task, as the runs table shows it."""

    unit: str
    service: str  # datasync | dms
    task_arn: str = ""
    execution_arn: str = ""
    status: str = ""
    statuses: list[str] = field(default_factory=list)
    items: int = 0  # files transferred (DataSync) or tables loaded (DMS)
    bytes: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["statuses"] = " → ".join(self.statuses)
        row["notes"] = "; ".join(self.notes)
        row["seconds"] = round(self.seconds, 1)
        return row


RUN_COLUMNS = list(AtScaleRun("", "").to_row())


def _client(service: str, params: Any, factory: Callable[[str], Any] | None) -> Any:
    if factory is not None:
        return factory(service)
    from runbook_lib.endpoints import aws_client

    return aws_client(service, params.aws)


def _resolve(ref: Any, params: Any) -> str:
    from runbook_lib.endpoints import aws_endpoint_url
    from runbook_lib.params import resolve_secret

    session = None
    if params.aws.profile:
        import boto3

        session = boto3.Session(profile_name=params.aws.profile)
    return resolve_secret(ref, session=session, endpoint_url=aws_endpoint_url(params.aws))


def run_datasync(
    params: Any,
    migrator: Any,
    runs: list[AtScaleRun],
    *,
    clients: Callable[[str], Any] | None = None,
    progress: Callable[..., Any] | None = None,
    reason: str = "",
) -> list[AtScaleRun]:
    """One DataSync task per bucket mapping of an ``S3Migrator``, each followed to the end.

    Every run (a failed one too) is appended to ``runs`` as it ends, so the caller can record the
    table before an error propagates.

    Raises:
        ParamsError: ``migration.at_scale.datasync`` is not set.
        DataSyncError: an execution ended in ERROR or did not finish within ``timeout_s``.
    """
    from runbook_lib.migrate import datasync as ds

    settings = required_section("s3", "datasync", params, reason=reason)
    sandbox = bool(params.is_sandbox)
    access_key = secret_key = None
    if settings.access_key_ref is not None and not sandbox:  # the sandbox fallback reads no MinIO keys
        access_key = _resolve(settings.access_key_ref, params)
        secret_key = _resolve(settings.secret_key_ref, params)
    partition = settings.bucket_access_role_arn.split(":")[1]
    client = _client("datasync", params, clients)
    for mapping in migrator.mappings:
        subdirectory = f"/{mapping.prefix}" if mapping.prefix else "/"  # same keys on both sides
        source = ds.ObjectStorageSource(
            settings.server_hostname,
            mapping.source_bucket,
            agent_arns=tuple(settings.agent_arns),
            server_port=settings.server_port,
            server_protocol=settings.server_protocol,
            subdirectory=subdirectory,
            access_key=access_key,
            secret_key=secret_key,
        )
        destination = ds.S3Destination(
            mapping.target_bucket,
            settings.bucket_access_role_arn,
            subdirectory=subdirectory,
            storage_class=settings.storage_class,
            partition=partition,
        )
        name = f"runbook-{params.env}-{mapping.source_bucket}"
        try:
            result = ds.migrate_bucket(
                client,
                source,
                destination,
                sandbox=sandbox,
                name=name,
                progress=progress,
                poll_interval=None if sandbox else settings.poll_interval_s,
                timeout=settings.timeout_s,
                tags={"runbook": params.env},
            )
        except DataSyncError as error:
            runs.append(
                AtScaleRun(
                    mapping.unit,
                    "datasync",
                    execution_arn=error.execution_arn,
                    status=error.status,
                    statuses=[error.status],
                    notes=[error.message]
                    + ([ds.SANDBOX_SOURCE_NOTE, ds.SANDBOX_EXECUTION_NOTE] if sandbox else []),
                )
            )
            raise
        runs.append(
            AtScaleRun(
                mapping.unit,
                "datasync",
                task_arn=result.task_arn,
                execution_arn=result.execution_arn,
                status=result.status,
                statuses=list(result.statuses),
                items=result.files_transferred,
                bytes=result.bytes_transferred,
                seconds=result.seconds,
                notes=list(result.notes),
            )
        )
        log.info("DataSync %s: %s", mapping.unit, result.status)
    return runs


def _postgres_members(migrator: Any) -> list[tuple[str, Any]]:
    members = getattr(migrator, "members", None)
    return list(members) if members is not None else [(migrator.database, migrator)]


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
    """One DMS task per PostgreSQL database, each run up to a finished full load (or running CDC).

    Raises:
        ParamsError: ``migration.at_scale.dms`` is not set.
        AtScalePathUnavailableError: ``kind`` is ``mongo`` (see the module docstring).
        DmsTaskError: a task failed, stopped early, or did not get there within ``timeout_s``.
    """
    from runbook_lib.migrate.dms import DmsEndpoint, DmsMigration, dms_identifier

    if kind != "postgres":  # said first: setting migration.at_scale.dms would not help
        missing = [
            "a MongoDB source / DocumentDB target endpoint builder in runbook_lib.migrate.dms "
            "(DmsEndpoint.from_dsn reads PostgreSQL DSNs only)",
            "DMS task settings for a DocumentDB target (TargetTablePrepMode=DO_NOTHING creates no "
            "collections or indexes)",
        ]
        key = missing_section_key("dms", params)
        if key is not None:
            missing.append(f"{key} in the parameters")
        raise AtScalePathUnavailableError(
            kind,
            "dms",
            missing,
            hint="raise migration.at_scale_threshold_bytes above the MongoDB size (and leave "
            "cdc_required false) to use the native batched copy",
        )
    settings = required_section(kind, "dms", params, reason=reason)
    sandbox = bool(params.is_sandbox)
    migration_type = "full-load-and-cdc" if settings.cdc_required else "full-load"
    client = _client("dms", params, clients)
    timing: dict[str, Any] = {}
    if sleep is not None:
        timing["sleep"] = sleep
    if clock is not None:
        timing["clock"] = clock
    for label, member in _postgres_members(migrator):
        name = dms_identifier("runbook", params.env, member.database)
        endpoints = []
        for side, pg, database in (("source", member.source, member.database),
                                   ("target", member.target, member.target_database)):
            endpoints.append(
                DmsEndpoint(
                    dms_identifier(name, "src" if side == "source" else "tgt"),
                    side,  # type: ignore[arg-type]
                    "postgres",
                    pg.get("host"),
                    int(pg.get("port") or 5432),
                    database,
                    pg.get("user"),
                    pg.password,
                    ssl_mode=settings.ssl_mode,
                )
            )
        migration = DmsMigration(
            client,
            name=name,
            source=endpoints[0],
            target=endpoints[1],
            migration_type=migration_type,  # type: ignore[arg-type]
            instance_class=settings.replication_instance_class,
            allocated_storage=settings.allocated_storage_gib,
            subnet_group=settings.replication_subnet_group_id,
            security_group_ids=settings.security_group_ids,
            progress=progress,
            poll_s=0.2 if sandbox else settings.poll_interval_s,
            timeout_s=min(settings.timeout_s, 30.0) if sandbox else settings.timeout_s,
            **timing,
        )
        notes = [SCHEMA_NOTE] + ([SANDBOX_DMS_NOTE] if sandbox else [])
        # moto answers a connection test "successful" at once and fails on a re-test of the same pair
        test_connections = not sandbox
        if not test_connections:
            notes.append("sandbox: endpoint connection tests skipped (moto cannot test a connection twice)")
        try:
            state = migration.run(test_connections=test_connections)
        except DmsTaskError as error:
            runs.append(
                AtScaleRun(
                    label,
                    "dms",
                    task_arn=migration.task_arn or error.task_arn,
                    status=error.status,
                    statuses=[error.status],
                    notes=[error.message, *notes],
                )
            )
            raise
        if state.status == "running" and migration_type != "full-load":
            notes.append(CDC_NOTE)
        if migration.table_statistics() is None:
            notes.append("DMS table statistics unavailable")
        notes.append(BILLING_NOTE)
        runs.append(
            AtScaleRun(
                label,
                "dms",
                task_arn=migration.task_arn,
                status=state.status,
                statuses=[f"{state.status} ({state.percent} % loaded)"],
                items=state.tables_loaded,
                notes=notes,
            )
        )
        log.info("DMS %s: %s, %d %% loaded", label, state.status, state.percent)
    return runs


def copy_report_details(decision: PathDecision, runs: Sequence[AtScaleRun]) -> dict[str, Any]:
    return {"path": decision.path, "runs": [r.to_row() for r in runs]}


__all__ = [
    "AT_SCALE_PATHS",
    "AtScaleRun",
    "PathDecision",
    "decide",
    "estimate_size",
    "missing_section_key",
    "required_section",
    "run_datasync",
    "run_dms",
]
