"""The DMS at-scale path against moto's DMS (in-process ``mock_aws``), as far as moto goes.

moto's limits (see ``runbook_lib.migrate.dms``): tasks jump to ``running`` with fixed statistics,
never finish a full load, and table statistics are not implemented; the tests assert exactly that
behaviour so a moto upgrade that changes it is noticed.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest
from moto import mock_aws

from runbook_lib.errors import DmsTaskError, ParamsError
from runbook_lib.migrate.dms import (
    DEFAULT_TASK_SETTINGS,
    DmsEndpoint,
    DmsMigration,
    TaskProgress,
    choose_path,
    dms_identifier,
    table_mappings,
)

pytestmark = pytest.mark.unit

GiB = 1024**3


class _Bar:
    def __init__(self, **kwargs: Any) -> None:
        self.total, self.n, self.postfix = kwargs.get("total"), 0, ""

    def update(self, n: int) -> None:
        self.n += n

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfix = text

    def close(self) -> None:
        pass


class _Clock:
    """A fake clock that advances by each sleep, so timeouts are tested without waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _endpoints() -> tuple[DmsEndpoint, DmsEndpoint]:
    source = DmsEndpoint.from_dsn(
        "platform-src", "source", "postgresql://mig:hunter2-secret@10.0.0.5:5432/x", "platform"
    )
    target = DmsEndpoint(
        "platform-tgt",
        "target",
        "postgres",
        "db.abc.eu-west-1.rds.amazonaws.com",
        5432,
        "platform",
        secrets_manager_arn="arn:aws:secretsmanager:eu-west-1:123456789012:secret:pg-AbCdEf",
        secrets_access_role_arn="arn:aws:iam::123456789012:role/dms-secrets",
    )
    return source, target


def _migration(client: Any, clock: _Clock, bars: list[_Bar], **kwargs: Any) -> DmsMigration:
    source, target = _endpoints()

    def bar(**kw: Any) -> _Bar:
        bars.append(_Bar(**kw))
        return bars[-1]

    return DmsMigration(
        client,
        name="platform",
        source=source,
        target=target,
        progress=bar,
        poll_s=5,
        timeout_s=60,
        sleep=clock.sleep,
        clock=clock,
        **kwargs,
    )


# ----------------------------------------------------------------------------- chooser


def test_choose_path_by_size_and_by_need_for_cdc() -> None:
    small = choose_path(2 * GiB, 10 * GiB)
    big = choose_path(50 * GiB, 10 * GiB)
    live = choose_path(1 * GiB, 10 * GiB, cdc_required=True)
    assert (small.path, big.path, live.path) == ("native", "dms", "dms")
    assert "below" in small.reason and "freeze" in big.reason and "CDC" in live.reason
    assert choose_path(10 * GiB, 10 * GiB).path == "dms"  # the threshold itself goes to DMS
    with pytest.raises(ParamsError):
        choose_path(1, 0)


def test_identifiers_and_mappings() -> None:
    assert dms_identifier("Platform_DB", "ri") == "platform-db-ri"
    assert dms_identifier("9lives") == "r-9lives"
    assert len(dms_identifier("x" * 100)) == 63
    rules = table_mappings(["sales", "ingest"])["rules"]
    assert [r["object-locator"]["schema-name"] for r in rules] == ["sales", "ingest"]
    assert {r["rule-action"] for r in rules} == {"include"}


def test_endpoint_arguments_keep_the_password_in_the_call_only() -> None:
    source, target = _endpoints()
    kwargs = source.create_kwargs()
    assert kwargs["Password"] == "hunter2-secret" and kwargs["ServerName"] == "10.0.0.5" and kwargs["Username"] == "mig"
    assert "hunter2" not in repr(source)
    secret = target.create_kwargs()
    assert "Password" not in secret and "ServerName" not in secret
    assert secret["PostgreSQLSettings"]["SecretsManagerAccessRoleArn"].endswith("role/dms-secrets")
    with pytest.raises(ParamsError):
        DmsEndpoint("x", "target", "postgres", "h", 1, "d", secrets_manager_arn="arn:x").create_kwargs()


# ----------------------------------------------------------------------------- against moto


@mock_aws
def test_full_load_and_cdc_runs_as_far_as_moto_goes(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="runbook_lib")  # botocore's own DEBUG logs request bodies
    client = boto3.client("dms", region_name="eu-west-1")
    clock, bars = _Clock(), []
    migration = _migration(client, clock, bars, migration_type="full-load-and-cdc", schemas=["sales", "ingest"])
    state = migration.run()
    assert state == TaskProgress("running", 100, 1, 0, 0, 0)  # moto's fixed statistics
    assert bars[-1].n == 100 and "running" in bars[-1].postfix
    task = client.describe_replication_tasks()["ReplicationTasks"][0]
    assert task["MigrationType"] == "full-load-and-cdc"
    assert json.loads(task["TableMappings"]) == table_mappings(["sales", "ingest"])
    endpoints = {e["EndpointIdentifier"]: e for e in client.describe_endpoints()["Endpoints"]}
    assert endpoints["platform-src"]["ServerName"] == "10.0.0.5"
    assert "hunter2-secret" not in caplog.text
    assert migration.table_statistics() is None  # not implemented by moto

    again = _migration(client, clock, bars, migration_type="full-load-and-cdc", schemas=["sales", "ingest"])
    again.run(test_connections=False)  # idempotent: finds everything by identifier (moto 5.2 crashes on a re-test)
    assert len(client.describe_replication_tasks()["ReplicationTasks"]) == 1
    assert len(client.describe_endpoints()["Endpoints"]) == 2
    assert len(client.describe_replication_instances()["ReplicationInstances"]) == 1
    assert again.stop().status == "stopped"
    assert again.teardown() == ["platform-task", "platform-src", "platform-tgt", "platform-ri"]


@mock_aws
def test_a_full_load_task_never_finishes_in_moto_and_times_out() -> None:
    client = boto3.client("dms", region_name="eu-west-1")
    clock = _Clock()
    migration = _migration(client, clock, [], migration_type="full-load")
    with pytest.raises(DmsTaskError) as caught:
        migration.run()
    assert caught.value.status == "running" and "not finished" in caught.value.last_failure_message
    assert clock.now > 60


class _FakeDms:
    """Just enough of a DMS client to produce the states moto cannot: finished, failed."""

    def __init__(self, states: list[dict[str, Any]]) -> None:
        self.states = states

    def describe_replication_tasks(self, **_: Any) -> dict[str, Any]:
        return {"ReplicationTasks": [self.states.pop(0) if len(self.states) > 1 else self.states[0]]}


def _task(status: str, percent: int, **extra: Any) -> dict[str, Any]:
    return {
        "Status": status,
        "ReplicationTaskStats": {"FullLoadProgressPercent": percent, "TablesLoaded": 3},
        **extra,
    }


def test_follow_finishes_on_full_load_only_finished_and_raises_on_failure() -> None:
    clock = _Clock()
    done = _FakeDms(
        [
            _task("running", 10),
            _task("running", 60),
            _task("stopped", 100, StopReason="Stop Reason FULL_LOAD_ONLY_FINISHED"),
        ]
    )
    migration = _migration(done, clock, [])
    migration.task_arn = "arn:task"
    assert migration.follow().status == "stopped"
    failed = _FakeDms([_task("running", 40), _task("failed", 40, LastFailureMessage="ERROR: permission denied")])
    migration = _migration(failed, clock, [])
    migration.task_arn = "arn:task"
    with pytest.raises(DmsTaskError) as caught:
        migration.follow()
    assert caught.value.status == "failed" and "permission denied" in caught.value.last_failure_message


def test_default_task_settings_leave_the_schema_to_the_native_tools() -> None:
    assert DEFAULT_TASK_SETTINGS["TargetMetadata"]["TargetTablePrepMode"] == "DO_NOTHING"
    assert DEFAULT_TASK_SETTINGS["ValidationSettings"]["EnableValidation"] is True
