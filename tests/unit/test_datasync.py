"""The DataSync path: the choice of path, the sandbox fallback under moto, and the real-AWS calls (stubbed).

moto 5.2 has no object-storage location and its executions always succeed without moving data, so
the real-AWS request shapes (object-storage source, byte counters, an ERROR result) are checked with
botocore's Stubber, which validates every request against the DataSync service model offline.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from fakes import RecordingBars, mocked_aws

from runbook_lib.errors import DataSyncError, ParamsError
from runbook_lib.migrate.at_scale import datasync as ds

pytestmark = pytest.mark.unit

ROLE = "arn:aws:iam::123456789012:role/datasync-s3"
AGENT = "arn:aws:datasync:eu-west-1:123456789012:agent/agent-0123456789abcdef0"
TASK = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"
EXECUTION = f"{TASK}/execution/exec-0123456789abcdef0"
SOURCE_LOC = "arn:aws:datasync:eu-west-1:123456789012:location/loc-0123456789abcdef0"
DEST_LOC = "arn:aws:datasync:eu-west-1:123456789012:location/loc-0123456789abcdef1"


def _minio_source() -> ds.ObjectStorageSource:
    """The object-storage source of the stubbed real-AWS tests: MinIO through a DataSync agent."""
    return ds.ObjectStorageSource(
        "minio.internal",
        "raw",
        agent_arns=(AGENT,),
        server_port=9000,
        access_key="minio-reader",
        secret_key="s3cr3t",
    )


@pytest.fixture()
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with mocked_aws(monkeypatch, region=None):
        yield boto3.client("datasync", region_name="eu-west-1")


def test_choose_path_at_the_threshold() -> None:
    assert ds.choose_path(0, 10) == "direct"
    assert ds.choose_path(9, 10) == "direct"
    assert ds.choose_path(10, 10) == "datasync"
    with pytest.raises(ParamsError):
        ds.choose_path(5, 0)
    with pytest.raises(ParamsError):
        ds.choose_path(-1, 10)


def test_sandbox_run_falls_back_to_an_s3_source_and_says_so(client: Any) -> None:
    bars = RecordingBars()
    run = ds.migrate_bucket(
        client,
        ds.ObjectStorageSource("minio.local", "raw"),
        ds.S3Destination("platform-raw-sandbox", ROLE),
        sandbox=True,
        name="raw",
        progress=bars,
        poll_interval=0,
    )
    # moto advances one state per DescribeTaskExecution and always ends in SUCCESS
    assert run.ok and run.statuses == ["INITIALIZING", "PREPARING", "TRANSFERRING", "VERIFYING", "SUCCESS"]
    assert run.polls == 5 and run.bytes_transferred == 0
    assert run.source_kind == "s3 (sandbox fallback)"
    assert run.notes == [ds.SANDBOX_SOURCE_NOTE, ds.SANDBOX_EXECUTION_NOTE]
    task = client.describe_task(TaskArn=run.task_arn)
    assert task["Options"]["VerifyMode"] == "POINT_IN_TIME_CONSISTENT"
    source = client.describe_location_s3(LocationArn=task["SourceLocationArn"])
    destination = client.describe_location_s3(LocationArn=task["DestinationLocationArn"])
    assert source["LocationUri"].startswith("s3://raw") and destination["LocationUri"].startswith("s3://platform-raw")
    assert bars.bars[0].descriptions[-1] == "DataSync SUCCESS" and bars.bars[0].closed


def real_aws_stub(client: Any, final: dict[str, Any]) -> Stubber:
    stub = Stubber(client)
    stub.add_response(
        "create_location_object_storage",
        {"LocationArn": SOURCE_LOC},
        {
            "ServerHostname": "minio.internal",
            "ServerPort": 9000,
            "ServerProtocol": "HTTPS",
            "Subdirectory": "/",
            "BucketName": "raw",
            "AgentArns": [AGENT],
            "Tags": [{"Key": "phase", "Value": "03"}],
            "AccessKey": "minio-reader",
            "SecretKey": "s3cr3t",
        },
    )
    stub.add_response(
        "create_location_s3",
        {"LocationArn": DEST_LOC},
        {
            "S3BucketArn": "arn:aws:s3:::platform-raw-prod",
            "Subdirectory": "/",
            "S3StorageClass": "STANDARD",
            "S3Config": {"BucketAccessRoleArn": ROLE},
            "Tags": [{"Key": "phase", "Value": "03"}],
        },
    )
    stub.add_response(
        "create_task",
        {"TaskArn": TASK},
        {
            "SourceLocationArn": SOURCE_LOC,
            "DestinationLocationArn": DEST_LOC,
            "Name": "raw",
            "Options": ds.DEFAULT_OPTIONS,
            "Tags": [{"Key": "phase", "Value": "03"}],
        },
    )
    stub.add_response("start_task_execution", {"TaskExecutionArn": EXECUTION}, {"TaskArn": TASK})
    stub.add_response(
        "describe_task_execution",
        {"TaskExecutionArn": EXECUTION, "Status": "PREPARING"},
        {"TaskExecutionArn": EXECUTION},
    )
    stub.add_response(
        "describe_task_execution",
        {
            "TaskExecutionArn": EXECUTION,
            "Status": "TRANSFERRING",
            "EstimatedBytesToTransfer": 300,
            "EstimatedFilesToTransfer": 3,
            "BytesTransferred": 100,
            "FilesTransferred": 1,
        },
        {"TaskExecutionArn": ANY},
    )
    stub.add_response("describe_task_execution", final, {"TaskExecutionArn": ANY})
    return stub


def test_real_aws_uses_an_object_storage_source_and_follows_the_bytes() -> None:
    client = boto3.client("datasync", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    final = {
        "TaskExecutionArn": EXECUTION,
        "Status": "SUCCESS",
        "EstimatedBytesToTransfer": 300,
        "BytesTransferred": 300,
        "BytesWritten": 300,
        "FilesTransferred": 3,
        "FilesVerified": 3,
        "Result": {"TransferStatus": "SUCCESS", "VerifyStatus": "SUCCESS"},
    }
    bars = RecordingBars()
    sleeps: list[float] = []
    source = _minio_source()
    assert "s3cr3t" not in repr(source)
    with real_aws_stub(client, final) as stub:
        locations = ds.create_locations(
            client, source, ds.S3Destination("platform-raw-prod", ROLE), sandbox=False, tags={"phase": "03"}
        )
        task = ds.create_task(client, locations, name="raw", tags={"phase": "03"})
        run = ds.run_task(
            client,
            task,
            progress=bars,
            poll_interval=7,
            source_kind=locations.source_kind,
            sleep=sleeps.append,
        )
        stub.assert_no_pending_responses()
    assert locations.source_kind == "object-storage" and locations.notes == []
    assert run.ok and run.statuses == ["PREPARING", "TRANSFERRING", "SUCCESS"] and sleeps == [7, 7]
    assert (run.bytes_transferred, run.files_transferred, run.files_verified) == (300, 3, 3)
    assert bars.bars[0].total == 300 and bars.bars[0].n == 300


def test_an_error_result_raises_with_datasyncs_code() -> None:
    client = boto3.client("datasync", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    final = {
        "TaskExecutionArn": EXECUTION,
        "Status": "ERROR",
        "Result": {"ErrorCode": "VerificationFailed", "ErrorDetail": "3 files differ"},
    }
    source = _minio_source()
    with real_aws_stub(client, final):
        locations = ds.create_locations(
            client, source, ds.S3Destination("platform-raw-prod", ROLE), sandbox=False, tags={"phase": "03"}
        )
        task = ds.create_task(client, locations, name="raw", tags={"phase": "03"})
        with pytest.raises(DataSyncError) as caught:
            ds.run_task(client, task, progress=RecordingBars(), poll_interval=0, sleep=lambda _s: None)
    error = caught.value
    assert (error.execution_arn, error.status, error.error_code, error.error_detail) == (
        EXECUTION,
        "ERROR",
        "VerificationFailed",
        "3 files differ",
    )


def test_a_timeout_leaves_the_execution_running_and_names_it(client: Any) -> None:
    locations = ds.create_locations(
        client,
        ds.ObjectStorageSource("minio.local", "raw"),
        ds.S3Destination("platform-raw-sandbox", ROLE),
        sandbox=True,
    )
    task = ds.create_task(client, locations, name="raw")
    ticks = iter(range(100))
    with pytest.raises(DataSyncError) as caught:
        ds.run_task(
            client,
            task,
            progress=RecordingBars(),
            poll_interval=0,
            timeout=1.5,
            clock=lambda: float(next(ticks)),
            sleep=lambda _s: None,
        )
    assert caught.value.status == "TIMEOUT" and caught.value.execution_arn.startswith(task)
    assert "still PREPARING" in caught.value.error_detail


def test_object_storage_needs_an_agent() -> None:
    client = boto3.client("datasync", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    with pytest.raises(ParamsError) as caught:
        ds.create_locations(client, ds.ObjectStorageSource("minio", "raw"), ds.S3Destination("t", ROLE), sandbox=False)
    assert caught.value.key == "agent_arns"
