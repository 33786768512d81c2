"""The DataSync path against the sandbox's moto: the calls work, and moto moves no data (said plainly)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from runbook_lib.clients import aws_client
from runbook_lib.migrate.at_scale import datasync as ds
from runbook_lib.migrate.objects import S3Migrator, s3_client

pytestmark = pytest.mark.integration

ROLE = "arn:aws:iam::123456789012:role/datasync-s3"


class _NoBar:
    def update(self, _n: int) -> None:
        pass

    def close(self) -> None:
        pass


def test_datasync_in_the_sandbox_succeeds_without_moving_data(sandbox: Any, tmp_path: Any) -> None:
    client = aws_client("datasync", endpoint_url=sandbox.url("aws"), region="eu-west-1")
    target_bucket = f"it-datasync-{uuid.uuid4().hex[:8]}"
    target = s3_client(sandbox.url("aws"), access_key="test", secret_key="test")
    target.create_bucket(Bucket=target_bucket)
    try:
        run = ds.migrate_bucket(
            client,
            ds.ObjectStorageSource("minio.sandbox.local", "curated", server_port=9000, server_protocol="HTTP"),
            ds.S3Destination(target_bucket, ROLE),
            sandbox=True,
            name="curated",
            progress=lambda **_kw: _NoBar(),
        )
        assert run.ok and run.statuses[-1] == "SUCCESS" and run.source_kind == "s3 (sandbox fallback)"
        assert ds.SANDBOX_SOURCE_NOTE in run.notes and ds.SANDBOX_EXECUTION_NOTE in run.notes
        task = client.describe_task(TaskArn=run.task_arn)
        assert task["Status"] == "AVAILABLE" and task["Options"]["VerifyMode"] == "POINT_IN_TIME_CONSISTENT"

        source = s3_client(sandbox.url("s3-source"), access_key="test", secret_key="test")
        migrator = S3Migrator(
            source,
            target,
            [("curated", target_bucket, "")],
            checkpoint_dir=tmp_path,
            progress=lambda **_kw: _NoBar(),
        )
        (row,) = migrator.verify().rows
        assert row.target_count == 0 and row.missing == row.source_count > 0  # the truth: nothing moved
    finally:
        target.delete_bucket(Bucket=target_bucket)
