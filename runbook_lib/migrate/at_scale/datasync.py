"""The at-scale object path: AWS DataSync moves the bytes, the runbook creates, starts and follows it.

Why a second path: the direct copy (:mod:`runbook_lib.migrate.objects`) streams every byte through the
machine running the runbook. Above ``migration.at_scale_threshold_bytes`` that machine becomes the
bottleneck and must stay online for days; DataSync agents next to MinIO read in parallel, AWS
writes in parallel, and DataSync verifies what it wrote (``VerifyMode``). :func:`choose_path`
makes the choice from the estimated size; ``S3Migrator.check()`` reports it.

Sandbox, said plainly:

* moto 5.2 implements S3 and SMB locations but **not** ``CreateLocationObjectStorage`` (it answers
  HTTP 500), so with ``sandbox=True`` the MinIO source is registered as an *S3* location for the
  same bucket name; :class:`DataSyncRun` says so in ``source_kind`` and ``notes``. On real AWS the
  source is an object-storage location served by a DataSync agent.
* moto's task executions move no bytes and always succeed: every ``DescribeTaskExecution`` advances
  INITIALIZING -> PREPARING -> TRANSFERRING -> VERIFYING -> SUCCESS and reports no byte counters.
  So a sandbox run proves the calls and the follow-up logic, not a transfer — run
  ``S3Migrator.verify()`` afterwards, which will (truthfully) report the objects missing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runbook_lib.errors import DataSyncError, ParamsError
from runbook_lib.migrate.base import ProgressFactory

log = logging.getLogger("runbook_lib.migrate.at_scale.datasync")

PATH_DIRECT = "direct"
PATH_DATASYNC = "datasync"
SUCCESS = "SUCCESS"
ERROR = "ERROR"
#: Verify everything at the end, keep what the target already has, copy only changes.
DEFAULT_OPTIONS: dict[str, str] = {
    "VerifyMode": "POINT_IN_TIME_CONSISTENT",
    "OverwriteMode": "ALWAYS",
    "TransferMode": "CHANGED",
    "PreserveDeletedFiles": "PRESERVE",
    "ObjectTags": "PRESERVE",
}
SANDBOX_SOURCE_NOTE = (
    "sandbox: moto has no DataSync object-storage location (CreateLocationObjectStorage is not "
    "implemented), so the MinIO source was registered as an S3 location"
)
SANDBOX_EXECUTION_NOTE = (
    "sandbox: moto's DataSync executions move no data and always succeed; verify the target with the S3 migrator"
)


def choose_path(total_bytes: int, threshold: int) -> str:
    """``"datasync"`` when the data is at least ``threshold`` bytes, else ``"direct"``.

    Args:
        total_bytes: estimated bytes to move (``S3Migrator.check()`` lists them).
        threshold: ``migration.at_scale_threshold_bytes``.
    """
    if threshold <= 0:
        raise ParamsError("migration.at_scale_threshold_bytes", threshold, "> 0")
    if total_bytes < 0:
        raise ParamsError("total_bytes", total_bytes, ">= 0")
    return PATH_DATASYNC if total_bytes >= threshold else PATH_DIRECT


@dataclass(frozen=True)
class ObjectStorageSource:
    """The self-hosted S3 API (MinIO) as DataSync sees it, through agents that can reach it.

    ``secret_key`` is the resolved secret (resolve it with ``runbook_lib.params.resolve_secret``
    just before the call); it is never shown in ``repr`` or evidence.
    """

    server_hostname: str
    bucket: str
    agent_arns: tuple[str, ...] = ()
    server_port: int = 443
    server_protocol: str = "HTTPS"
    subdirectory: str = "/"
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    server_certificate: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class S3Destination:
    """The target bucket and the IAM role DataSync assumes to write to it."""

    bucket: str
    bucket_access_role_arn: str
    subdirectory: str = "/"
    storage_class: str = "STANDARD"
    partition: str = "aws"

    @property
    def bucket_arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket}"


@dataclass
class DataSyncLocations:
    source_arn: str
    destination_arn: str
    source_kind: str  # "object-storage" | "s3 (sandbox fallback)"
    notes: list[str] = field(default_factory=list)


@dataclass
class DataSyncRun:
    """What one task execution did, as DataSync reported it."""

    task_arn: str
    execution_arn: str
    status: str
    source_kind: str = ""
    statuses: list[str] = field(default_factory=list)  # every status seen, in order
    estimated_files: int = 0
    estimated_bytes: int = 0
    files_transferred: int = 0
    files_verified: int = 0
    bytes_transferred: int = 0
    bytes_written: int = 0
    seconds: float = 0.0
    polls: int = 0
    result: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == SUCCESS


def create_locations(
    client: Any,
    source: ObjectStorageSource,
    destination: S3Destination,
    *,
    sandbox: bool,
    tags: dict[str, str] | None = None,
) -> DataSyncLocations:
    """Register the source (object storage; S3 in the sandbox) and the destination S3 location.

    Args:
        client: a boto3 ``datasync`` client.
        source: the MinIO side.
        destination: the target bucket and its access role.
        sandbox: use the S3-location fallback for the source (see the module docstring).
        tags: tags for both locations.
    """
    tag_list = [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
    notes: list[str] = []
    if sandbox:
        source_arn = client.create_location_s3(
            S3BucketArn=f"arn:{destination.partition}:s3:::{source.bucket}",
            Subdirectory=source.subdirectory,
            S3Config={"BucketAccessRoleArn": destination.bucket_access_role_arn},
            Tags=tag_list,
        )["LocationArn"]
        source_kind = "s3 (sandbox fallback)"
        notes.append(SANDBOX_SOURCE_NOTE)
    else:
        if not source.agent_arns:
            raise ParamsError("agent_arns", [], "at least one DataSync agent ARN that can reach the source store")
        kwargs: dict[str, Any] = {
            "ServerHostname": source.server_hostname,
            "ServerPort": source.server_port,
            "ServerProtocol": source.server_protocol,
            "Subdirectory": source.subdirectory,
            "BucketName": source.bucket,
            "AgentArns": list(source.agent_arns),
            "Tags": tag_list,
        }
        if source.access_key:
            kwargs.update(AccessKey=source.access_key, SecretKey=source.secret_key or "")
        if source.server_certificate:
            kwargs["ServerCertificate"] = source.server_certificate
        source_arn = client.create_location_object_storage(**kwargs)["LocationArn"]
        source_kind = "object-storage"
    destination_arn = client.create_location_s3(
        S3BucketArn=destination.bucket_arn,
        Subdirectory=destination.subdirectory,
        S3StorageClass=destination.storage_class,
        S3Config={"BucketAccessRoleArn": destination.bucket_access_role_arn},
        Tags=tag_list,
    )["LocationArn"]
    log.info("DataSync locations: source %s (%s), destination %s", source_arn, source_kind, destination_arn)
    return DataSyncLocations(source_arn, destination_arn, source_kind, notes)


def create_task(
    client: Any,
    locations: DataSyncLocations,
    *,
    name: str,
    options: dict[str, str] | None = None,
    cloudwatch_log_group_arn: str | None = None,
    tags: dict[str, str] | None = None,
) -> str:
    """A task from source to destination with :data:`DEFAULT_OPTIONS` (overridable); returns its ARN."""
    merged = {**DEFAULT_OPTIONS, **(options or {})}
    kwargs: dict[str, Any] = {
        "SourceLocationArn": locations.source_arn,
        "DestinationLocationArn": locations.destination_arn,
        "Name": name,
        "Options": merged,
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }
    if cloudwatch_log_group_arn:
        kwargs["CloudWatchLogGroupArn"] = cloudwatch_log_group_arn
        merged.setdefault("LogLevel", "TRANSFER")
    return str(client.create_task(**kwargs)["TaskArn"])


def run_task(
    client: Any,
    task_arn: str,
    *,
    progress: ProgressFactory | None = None,
    poll_interval: float = 15.0,
    timeout: float | None = None,
    source_kind: str = "",
    notes: list[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> DataSyncRun:
    """Start an execution and follow it to SUCCESS, showing bytes transferred on a progress bar.

    Raises:
        DataSyncError: the execution ended in ERROR (with DataSync's error code and detail), or
            ``timeout`` seconds passed (the execution keeps running; its ARN is in the error).
    """
    if progress is None:
        from tqdm.auto import tqdm

        progress = tqdm
    started = clock()
    execution_arn = str(client.start_task_execution(TaskArn=task_arn)["TaskExecutionArn"])
    run = DataSyncRun(
        task_arn=task_arn,
        execution_arn=execution_arn,
        status="QUEUED",
        source_kind=source_kind,
        notes=list(notes or []),
    )
    bar = progress(total=None, unit="B", unit_scale=True, unit_divisor=1024, desc="DataSync QUEUED")
    shown = 0
    try:
        while True:
            described = client.describe_task_execution(TaskExecutionArn=execution_arn)
            run.polls += 1
            status = str(described.get("Status", "UNKNOWN"))
            if not run.statuses or run.statuses[-1] != status:
                run.statuses.append(status)
                if hasattr(bar, "set_description"):
                    bar.set_description(f"DataSync {status}")
            run.status = status
            _absorb_counters(run, described)
            if run.estimated_bytes and getattr(bar, "total", None) != run.estimated_bytes:
                bar.total = run.estimated_bytes
                if hasattr(bar, "refresh"):
                    bar.refresh()
            if run.bytes_transferred > shown:
                bar.update(run.bytes_transferred - shown)
                shown = run.bytes_transferred
            if status in (SUCCESS, ERROR):
                break
            if timeout is not None and clock() - started >= timeout:
                raise DataSyncError(
                    execution_arn,
                    "TIMEOUT",
                    error_detail=f"still {status} after {timeout:.0f}s",
                    hint="the execution is still running: follow it in the console or call "
                    "run_task again with a longer timeout",
                )
            sleep(poll_interval)
    finally:
        if hasattr(bar, "close"):
            bar.close()
    run.seconds = clock() - started
    if run.status == ERROR:
        result = run.result
        raise DataSyncError(execution_arn, ERROR, str(result.get("ErrorCode", "")), str(result.get("ErrorDetail", "")))
    log.info(
        "DataSync %s: %s after %d polls, %d bytes",
        execution_arn,
        run.status,
        run.polls,
        run.bytes_transferred,
    )
    return run


def _absorb_counters(run: DataSyncRun, described: dict[str, Any]) -> None:
    run.estimated_files = int(described.get("EstimatedFilesToTransfer", run.estimated_files) or 0)
    run.estimated_bytes = int(described.get("EstimatedBytesToTransfer", run.estimated_bytes) or 0)
    run.files_transferred = int(described.get("FilesTransferred", run.files_transferred) or 0)
    run.files_verified = int(described.get("FilesVerified", run.files_verified) or 0)
    run.bytes_transferred = int(described.get("BytesTransferred", run.bytes_transferred) or 0)
    run.bytes_written = int(described.get("BytesWritten", run.bytes_written) or 0)
    if described.get("Result"):
        run.result = dict(described["Result"])


def migrate_bucket(
    client: Any,
    source: ObjectStorageSource,
    destination: S3Destination,
    *,
    sandbox: bool,
    name: str,
    progress: ProgressFactory | None = None,
    poll_interval: float | None = None,
    timeout: float | None = None,
    options: dict[str, str] | None = None,
    cloudwatch_log_group_arn: str | None = None,
    tags: dict[str, str] | None = None,
) -> DataSyncRun:
    """Locations, task and one execution followed to the end: the whole at-scale path for one bucket."""
    locations = create_locations(client, source, destination, sandbox=sandbox, tags=tags)
    task_arn = create_task(
        client,
        locations,
        name=name,
        options=options,
        cloudwatch_log_group_arn=cloudwatch_log_group_arn,
        tags=tags,
    )
    notes = list(locations.notes) + ([SANDBOX_EXECUTION_NOTE] if sandbox else [])
    interval = poll_interval if poll_interval is not None else (0.05 if sandbox else 15.0)
    return run_task(
        client,
        task_arn,
        progress=progress,
        poll_interval=interval,
        timeout=timeout,
        source_kind=locations.source_kind,
        notes=notes,
    )
