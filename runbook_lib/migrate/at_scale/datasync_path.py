"""The DataSync path driven from the parameters: one task per bucket mapping, each followed to the end.

What ``migration.at_scale.datasync`` gives (role, agents, the MinIO server and its keys) becomes an
object-storage source and an S3 destination per mapping of the ``S3Migrator``; the same prefix on
both sides, so the keys stay the same. In the sandbox moto moves no data: its executions succeed at
once and the MinIO source is registered as an S3 location (:mod:`~runbook_lib.migrate.at_scale.datasync`
says why); the runs table carries those notes, and ``S3Migrator.verify()`` afterwards truthfully
reports the objects missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from runbook_lib.endpoints import aws_endpoint_url
from runbook_lib.errors import DataSyncError
from runbook_lib.migrate.at_scale import datasync as ds
from runbook_lib.migrate.at_scale.path_choice import required_section, service_client
from runbook_lib.migrate.at_scale.runs import AtScaleRun, failed_run
from runbook_lib.params import resolve_secret

#: The logger these runs always wrote to (before the drivers moved out of path_choice): kept for log filters.
log = logging.getLogger("runbook_lib.migrate.at_scale.path_choice")


def _resolve(ref: Any, params: Any) -> str:
    """A secret reference of the DataSync section (MinIO keys), read with the parameters' AWS profile."""
    session = None
    if params.aws.profile:
        import boto3  # heavy optional dependency: only against AWS with a named profile

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
    settings = required_section("s3", "datasync", params, reason=reason)
    sandbox = bool(params.is_sandbox)
    access_key = secret_key = None
    if settings.access_key_ref is not None and not sandbox:  # the sandbox fallback reads no MinIO keys
        access_key = _resolve(settings.access_key_ref, params)
        secret_key = _resolve(settings.secret_key_ref, params)
    partition = settings.bucket_access_role_arn.split(":")[1]
    client = service_client("datasync", params, clients)
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
            sandbox_notes = [ds.SANDBOX_SOURCE_NOTE, ds.SANDBOX_EXECUTION_NOTE] if sandbox else []
            runs.append(failed_run(mapping.unit, "datasync", error, sandbox_notes, execution_arn=error.execution_arn))
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
