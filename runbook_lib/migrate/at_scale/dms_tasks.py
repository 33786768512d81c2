"""A DMS replication task and its resources, created idempotently and followed to a finished load.

:class:`DmsMigration` finds or creates, by identifier, the replication instance (waits until
``available``), the source and target endpoints and the task; tests the connections from the
instance; starts (or resumes) the task and follows it with a progress bar until the full load
finished (``full-load``) or CDC runs on top of it (``full-load-and-cdc``). Failures raise
:class:`~runbook_lib.errors.DmsTaskError` with DMS's own status fields.

moto (the sandbox's AWS) differs: the instance is ``available`` at once, a task stays ``creating``
until started, then jumps to ``running`` with fixed statistics and never stops by itself — so a
``full-load`` task never reports ``FULL_LOAD_ONLY_FINISHED`` and :meth:`DmsMigration.follow` times
out on it. The full list is in :mod:`runbook_lib.migrate.at_scale.dms`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from runbook_lib.errors import DmsTaskError, ParamsError
from runbook_lib.migrate.at_scale.dms_endpoints import DmsEndpoint, dms_identifier
from runbook_lib.migrate.at_scale.dms_mappings import DEFAULT_TASK_SETTINGS, table_mappings

log = logging.getLogger("runbook_lib.migrate.at_scale.dms")

MigrationType = Literal["full-load", "full-load-and-cdc", "cdc"]
MIGRATION_TYPES: tuple[str, ...] = ("full-load", "full-load-and-cdc", "cdc")


@dataclass(frozen=True)
class TaskProgress:
    """What ``DescribeReplicationTasks`` says about a task."""

    status: str
    percent: int
    tables_loaded: int
    tables_loading: int
    tables_queued: int
    tables_errored: int
    stop_reason: str = ""
    last_failure_message: str = ""

    @classmethod
    def from_task(cls, task: Mapping[str, Any]) -> TaskProgress:
        stats = task.get("ReplicationTaskStats") or {}
        return cls(
            str(task.get("Status", "")),
            int(stats.get("FullLoadProgressPercent", 0)),
            int(stats.get("TablesLoaded", 0)),
            int(stats.get("TablesLoading", 0)),
            int(stats.get("TablesQueued", 0)),
            int(stats.get("TablesErrored", 0)),
            str(task.get("StopReason", "")),
            str(task.get("LastFailureMessage", "")),
        )


class DmsMigration:
    """Create (or find) the DMS resources for one database and follow the task (see the module docstring).

    Args:
        client: a boto3 ``dms`` client (``runbook_lib.clients.aws_client("dms", params.aws)``).
        name: base of every identifier (``<name>-ri``, ``-src``, ``-tgt``, ``-task``).
        source, target: the endpoints.
        migration_type: ``full-load``, ``full-load-and-cdc`` or ``cdc``.
        instance_class, allocated_storage: the replication instance.
        subnet_group, security_group_ids: where the instance runs (must reach both databases).
        schemas: PostgreSQL schemas whose tables are all included (:func:`table_mappings`).
        mappings: the whole table-mapping document instead (e.g. :func:`collection_mappings`).
        task_settings: replication task settings (default :data:`DEFAULT_TASK_SETTINGS`).
        progress: tqdm-like factory.
        poll_s, timeout_s: how often and how long :meth:`follow` and the waits poll.
        sleep, clock: injectable for tests.
    """

    def __init__(
        self,
        client: Any,
        *,
        name: str,
        source: DmsEndpoint,
        target: DmsEndpoint,
        migration_type: MigrationType = "full-load",
        instance_class: str = "dms.t3.medium",
        allocated_storage: int = 50,
        subnet_group: str | None = None,
        security_group_ids: Sequence[str] = (),
        schemas: Sequence[str] = ("%",),
        mappings: Mapping[str, Any] | None = None,
        task_settings: Mapping[str, Any] | None = None,
        progress: Callable[..., Any] | None = None,
        poll_s: float = 15.0,
        timeout_s: float = 24 * 3600.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if migration_type not in MIGRATION_TYPES:
            raise ParamsError("migration_type", migration_type, MIGRATION_TYPES)
        self.client = client
        self.name = dms_identifier(name)
        self.source = source
        self.target = target
        self.migration_type = migration_type
        self.instance_class = instance_class
        self.allocated_storage = allocated_storage
        self.subnet_group = subnet_group
        self.security_group_ids = list(security_group_ids)
        self.schemas = list(schemas)
        self.mappings = dict(mappings) if mappings is not None else table_mappings(self.schemas)
        self.task_settings = dict(task_settings if task_settings is not None else DEFAULT_TASK_SETTINGS)
        if progress is None:
            from tqdm.auto import tqdm

            progress = tqdm
        self.progress = progress
        self.poll_s, self.timeout_s = poll_s, timeout_s
        self._sleep, self._clock = sleep, clock
        self.instance_arn = self.source_arn = self.target_arn = self.task_arn = ""

    # ------------------------------------------------------------------ resources
    @property
    def instance_id(self) -> str:
        return dms_identifier(self.name, "ri")

    @property
    def task_id(self) -> str:
        return dms_identifier(self.name, "task", limit=255)

    def ensure_replication_instance(self) -> str:
        """The replication instance's ARN, created if missing; waits until it is ``available``."""
        found = self.client.describe_replication_instances(
            Filters=[{"Name": "replication-instance-id", "Values": [self.instance_id]}]
        ).get("ReplicationInstances", [])
        if found:
            self.instance_arn = found[0]["ReplicationInstanceArn"]
            log.info("reusing DMS replication instance %s", self.instance_id)
        else:
            kwargs: dict[str, Any] = {
                "ReplicationInstanceIdentifier": self.instance_id,
                "ReplicationInstanceClass": self.instance_class,
                "AllocatedStorage": self.allocated_storage,
                "PubliclyAccessible": False,
                "Tags": [{"Key": "runbook", "Value": self.name}],
            }
            if self.subnet_group:
                kwargs["ReplicationSubnetGroupIdentifier"] = self.subnet_group
            if self.security_group_ids:
                kwargs["VpcSecurityGroupIds"] = self.security_group_ids
            created = self.client.create_replication_instance(**kwargs)["ReplicationInstance"]
            self.instance_arn = created["ReplicationInstanceArn"]
            log.info("created DMS replication instance %s (%s)", self.instance_id, self.instance_class)
        self._wait(lambda: self._instance_status() == "available", f"replication instance {self.instance_id}")
        return self.instance_arn

    def _instance_status(self) -> str:
        found = self.client.describe_replication_instances(
            Filters=[{"Name": "replication-instance-arn", "Values": [self.instance_arn]}]
        )["ReplicationInstances"]
        return str(found[0]["ReplicationInstanceStatus"]) if found else "missing"

    def ensure_endpoints(self) -> tuple[str, str]:
        """ARNs of the source and target endpoints, created if missing."""
        arns = []
        for endpoint in (self.source, self.target):
            found = self.client.describe_endpoints(
                Filters=[{"Name": "endpoint-id", "Values": [endpoint.identifier]}]
            ).get("Endpoints", [])
            if found:
                arns.append(found[0]["EndpointArn"])
                log.info("reusing DMS %s endpoint %s", endpoint.endpoint_type, endpoint.identifier)
            else:
                arns.append(self.client.create_endpoint(**endpoint.create_kwargs())["Endpoint"]["EndpointArn"])
                log.info(
                    "created DMS %s endpoint %s (%s on %s:%s)",
                    endpoint.endpoint_type,
                    endpoint.identifier,
                    endpoint.engine,
                    endpoint.server,
                    endpoint.port,
                )
        self.source_arn, self.target_arn = arns
        return self.source_arn, self.target_arn

    def test_connections(self) -> dict[str, str]:
        """Test both endpoints from the replication instance; raises on a failed test."""
        results: dict[str, str] = {}
        for arn, endpoint in ((self.source_arn, self.source), (self.target_arn, self.target)):
            self.client.test_connection(ReplicationInstanceArn=self.instance_arn, EndpointArn=arn)

            def settled(arn: str = arn, endpoint: DmsEndpoint = endpoint) -> bool:
                status, message = self._connection(arn)
                results[endpoint.identifier] = status
                if status == "failed":
                    raise DmsTaskError(
                        arn,
                        "connection test failed",
                        last_failure_message=message,
                        hint=f"the replication instance cannot reach {endpoint.server}:{endpoint.port}; "
                        "check security groups, routes and credentials",
                    )
                return status == "successful"

            self._wait(settled, f"connection test of {endpoint.identifier}")
        return results

    def _connection(self, endpoint_arn: str) -> tuple[str, str]:
        connections = self.client.describe_connections(
            Filters=[
                {"Name": "endpoint-arn", "Values": [endpoint_arn]},
                {"Name": "replication-instance-arn", "Values": [self.instance_arn]},
            ]
        ).get("Connections", [])
        if not connections:
            return "testing", ""
        return str(connections[0].get("Status", "")), str(connections[0].get("LastFailureMessage", ""))

    def ensure_task(self) -> str:
        """The replication task's ARN, created if missing."""
        found = self.client.describe_replication_tasks(
            Filters=[{"Name": "replication-task-id", "Values": [self.task_id]}], WithoutSettings=True
        ).get("ReplicationTasks", [])
        if found:
            self.task_arn = found[0]["ReplicationTaskArn"]
            log.info("reusing DMS task %s (%s)", self.task_id, found[0].get("Status"))
            return self.task_arn
        created = self.client.create_replication_task(
            ReplicationTaskIdentifier=self.task_id,
            SourceEndpointArn=self.source_arn,
            TargetEndpointArn=self.target_arn,
            ReplicationInstanceArn=self.instance_arn,
            MigrationType=self.migration_type,
            TableMappings=json.dumps(self.mappings),
            ReplicationTaskSettings=json.dumps(self.task_settings),
            Tags=[{"Key": "runbook", "Value": self.name}],
        )["ReplicationTask"]
        self.task_arn = created["ReplicationTaskArn"]
        log.info("created DMS task %s (%s)", self.task_id, self.migration_type)
        return self.task_arn

    # ------------------------------------------------------------------ running
    def describe(self) -> TaskProgress:
        tasks = self.client.describe_replication_tasks(
            Filters=[{"Name": "replication-task-arn", "Values": [self.task_arn]}], WithoutSettings=True
        )["ReplicationTasks"]
        if not tasks:
            raise DmsTaskError(self.task_arn, "missing", hint="the task was deleted outside the runbook")
        return TaskProgress.from_task(tasks[0])

    def start(self, *, resume: bool = False) -> TaskProgress:
        """Start the task (``resume-processing`` if it ran before and ``resume``) once it accepts a start."""
        from botocore.exceptions import ClientError

        current = self.describe()
        if current.status == "running":
            return current
        ran_before = current.status in ("stopped", "failed")
        start_type = (
            "resume-processing" if resume and ran_before else ("reload-target" if ran_before else "start-replication")
        )
        deadline = self._clock() + self.timeout_s
        while True:
            try:
                self.client.start_replication_task(
                    ReplicationTaskArn=self.task_arn, StartReplicationTaskType=start_type
                )
                break
            except ClientError as error:  # a task still "creating" refuses to start: wait for "ready"
                if (
                    error.response.get("Error", {}).get("Code") != "InvalidResourceStateFault"
                    or self._clock() > deadline
                ):
                    raise
                self._sleep(self.poll_s)
        log.info("started DMS task %s (%s)", self.task_id, start_type)
        return self.describe()

    def follow(self) -> TaskProgress:
        """Poll the task with a progress bar until the full load is done (and CDC running, if asked for).

        Raises:
            DmsTaskError: the task failed, stopped for another reason, has errored tables, or the
                timeout passed.
        """
        deadline = self._clock() + self.timeout_s
        bar = self.progress(total=100, desc=f"DMS {self.task_id}", unit="%")
        shown = 0
        try:
            while True:
                state = self.describe()
                if state.percent > shown:
                    bar.update(state.percent - shown)
                    shown = state.percent
                if hasattr(bar, "set_postfix_str"):
                    bar.set_postfix_str(
                        f"{state.status}, {state.tables_loaded} loaded, {state.tables_loading} loading, "
                        f"{state.tables_queued} queued",
                        refresh=False,
                    )
                if state.status == "failed" or state.tables_errored:
                    raise DmsTaskError(
                        self.task_arn,
                        state.status,
                        state.stop_reason,
                        state.last_failure_message or f"{state.tables_errored} tables errored",
                    )
                if state.status == "stopped":
                    if "FINISHED" in state.stop_reason.upper() and self.migration_type == "full-load":
                        return state
                    raise DmsTaskError(self.task_arn, state.status, state.stop_reason, state.last_failure_message)
                if self.migration_type != "full-load" and state.status == "running" and state.percent >= 100:
                    log.info(
                        "DMS task %s: full load done, CDC running — stop the writers, let it drain, then stop the task",
                        self.task_id,
                    )
                    return state
                if self._clock() > deadline:
                    raise DmsTaskError(
                        self.task_arn,
                        state.status,
                        state.stop_reason,
                        f"not finished after {self.timeout_s:.0f}s",
                        hint="a moto task never finishes a full-load (see the module docstring); "
                        "against AWS, see the task's table statistics",
                    )
                self._sleep(self.poll_s)
        finally:
            bar.close()

    def table_statistics(self) -> list[dict[str, Any]] | None:
        """Per-table DMS statistics (rows loaded, changes applied, validation); None if unavailable."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return list(self.client.describe_table_statistics(ReplicationTaskArn=self.task_arn)["TableStatistics"])
        except (ClientError, BotoCoreError, NotImplementedError) as error:
            log.warning(
                "DMS table statistics unavailable here (%s); moto does not implement them",
                type(error).__name__,
            )
            return None

    def stop(self) -> TaskProgress:
        """Stop the task (the cut-over, after CDC drained)."""
        self.client.stop_replication_task(ReplicationTaskArn=self.task_arn)
        return self.describe()

    def start_and_wait(self, *, resume: bool = False, test_connections: bool = True) -> TaskProgress:
        """Resources, connection tests, start, follow: up to a finished full load (or a running CDC).

        Every resource is found by identifier before it is created, so calling it again after a
        failure continues where the last call stopped (``resume``: resume the task rather than reload).
        """
        self.ensure_replication_instance()
        self.ensure_endpoints()
        if test_connections:
            self.test_connections()
        self.ensure_task()
        self.start(resume=resume)
        return self.follow()

    def teardown(self) -> list[str]:
        """Delete the task, the endpoints and the instance (after the cut-over); returns what was deleted."""
        deleted = []
        if self.task_arn:
            self.client.delete_replication_task(ReplicationTaskArn=self.task_arn)
            deleted.append(self.task_id)
        for arn, endpoint in ((self.source_arn, self.source), (self.target_arn, self.target)):
            if arn:
                self.client.delete_endpoint(EndpointArn=arn)
                deleted.append(endpoint.identifier)
        if self.instance_arn:
            self.client.delete_replication_instance(ReplicationInstanceArn=self.instance_arn)
            deleted.append(self.instance_id)
        return deleted

    def _wait(self, done: Callable[[], bool], what: str) -> None:
        deadline = self._clock() + self.timeout_s
        while not done():
            if self._clock() > deadline:
                raise DmsTaskError(
                    self.task_arn or what,
                    "timeout",
                    last_failure_message=f"{what} not ready after {self.timeout_s:.0f}s",
                )
            self._sleep(self.poll_s)
