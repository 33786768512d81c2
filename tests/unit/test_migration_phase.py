"""MigrationStep's path choice and copy dispatch: direct/native below the threshold, DataSync/DMS at or above.

The migrators are fakes (only their size and copy are needed); the AWS side is moto's in-process
``mock_aws`` where moto goes (DataSync with its S3-location fallback, DMS tasks that jump to running)
and small fake clients where it does not (an object-storage location, an ERROR execution).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
import yaml
from fakes import VALID_PARAMS, mocked_aws

from runbook_lib.errors import AtScalePathUnavailableError, DataSyncError, DmsTaskError, ParamsError
from runbook_lib.migrate import at_scale
from runbook_lib.migrate._group import MigratorGroup
from runbook_lib.migrate.at_scale import datasync as ds
from runbook_lib.migrate.base import CheckReport, CopyReport, Migrator, VerifyReport
from runbook_lib.migrate.objects import BucketPair
from runbook_lib.migrate.postgres import PgEndpoint, SchemaStep
from runbook_lib.params import RunbookParams, parse_params
from runbook_lib.phases.migration import MigrationStep

pytestmark = pytest.mark.unit

THRESHOLD = 1048576  # the fixture's migration.at_scale_threshold_bytes
ROLE = "arn:aws:iam::123456789012:role/datasync-s3"
AGENT = "arn:aws:datasync:eu-west-1:123456789012:agent/agent-0123456789abcdef0"
AT_SCALE: dict[str, Any] = {
    "datasync": {
        "bucket_access_role_arn": ROLE,
        "agent_arns": [AGENT],
        "server_hostname": "minio.platform.internal",
        "server_port": 9000,
        "server_protocol": "HTTP",
    },
    "dms": {
        "replication_instance_class": "dms.t3.medium",
        "replication_subnet_group_id": "runbook-dms",
        "security_group_ids": ["sg-0123456789abcdef0"],
        "cdc_required": False,
        "ssl_mode": "none",
    },
}


def _params(
    *, at_scale_section: dict[str, Any] | None = None, sandbox: bool = True, cdc: bool | None = None
) -> RunbookParams:
    data = yaml.safe_load(VALID_PARAMS.read_text())
    if not sandbox:
        data["env"] = "dev"
        data["aws"]["endpoint_url"] = None
    if at_scale_section is not None:
        data["migration"]["at_scale"] = copy.deepcopy(at_scale_section)
        if cdc is not None:
            data["migration"]["at_scale"]["dms"]["cdc_required"] = cdc
    return parse_params(data)


class FakeSession:
    def __init__(self, params: RunbookParams) -> None:
        self.params = params
        self.tables: dict[str, Any] = {}

    def table(self, name: str, frame: Any) -> Any:
        self.tables[name] = frame
        return frame


class _NoBar:
    def __init__(self, **_: Any) -> None:
        self.total = None

    def update(self, _n: int) -> None:
        pass

    def set_description(self, _text: str) -> None:
        pass

    def set_postfix_str(self, _text: str, refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


class FakeMigrator(Migrator):
    """Just a size and a copy that counts its calls."""

    def __init__(self, kind: str, size: int, tmp: Path) -> None:
        super().__init__(checkpoint_dir=tmp / kind, progress=_NoBar)
        self.kind = kind  # type: ignore[misc]
        self.size = size
        self.copies = 0
        self.mappings = [BucketPair("raw", "platform-raw-test"), BucketPair("curated", "platform-curated-test")]
        self.database = self.target_database = "platform"
        self.source = PgEndpoint.from_dsn("postgresql://mig:src-pass-123@10.0.0.5:5432/platform")
        self.target = PgEndpoint.from_dsn("postgresql://admin:tgt-pass-456@db.example.internal:5432/platform")
        self.schema_calls: list[str] = []  # the PostgreSQL schema steps run_dms asks for, in order

    def source_size_bytes(self) -> int:
        return self.size

    def restore_pre_data(self) -> SchemaStep:
        self.schema_calls.append("pre-data")
        return SchemaStep("pre-data", False, 0.0)

    def schema_checkpoint(self) -> Any:
        return SimpleNamespace(loaded="loaded" in self.schema_calls)

    def mark_loaded(self) -> None:
        self.schema_calls.append("loaded")

    def restore_post_data(self) -> SchemaStep:
        self.schema_calls.append("post-data")
        return SchemaStep("post-data", False, 0.0, sequences_set=2)

    def check(self) -> CheckReport:
        return CheckReport(self.kind)

    def copy(self, *, resume: bool = True) -> CopyReport:
        self.copies += 1
        return CopyReport(self.kind, items_copied=3, bytes_copied=self.size)

    def verify(self) -> VerifyReport:
        return VerifyReport(self.kind)


def _no_clients(service: str) -> Any:
    raise AssertionError(f"no AWS client may be made ({service})")


def _step(kind: str, size: int, params: RunbookParams, tmp: Path, clients: Any = _no_clients) -> MigrationStep:
    return MigrationStep(FakeSession(params), kind, FakeMigrator(kind, size, tmp), aws_clients=clients)  # type: ignore[arg-type]


@pytest.fixture()
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with mocked_aws(monkeypatch, region=None):
        yield


# ----------------------------------------------------------------------------- the choice


@pytest.mark.parametrize(
    ("kind", "below", "above"),
    [("s3", "direct", "datasync"), ("postgres", "native", "dms"), ("mongo", "native", "dms")],
)
def test_the_path_flips_at_the_threshold(kind: str, below: str, above: str, tmp_path: Path) -> None:
    params = _params()
    for size, expected in ((0, below), (THRESHOLD - 1, below), (THRESHOLD, above), (THRESHOLD * 50, above)):
        step = _step(kind, size, params, tmp_path)
        frame = step.choose_path()
        assert step.path_decision is not None and step.path_decision.path == expected
        (row,) = frame.to_dict("records")
        assert row["kind"] == kind and row["size_bytes"] == size and row["threshold_bytes"] == THRESHOLD
        assert row["path"] == expected and row["reason"]
        assert step.session.tables[f"{kind}_path"] is frame  # type: ignore[attr-defined]


def test_cdc_required_sends_a_small_database_to_dms_but_not_objects(tmp_path: Path) -> None:
    params = _params(at_scale_section=AT_SCALE, cdc=True)
    assert at_scale.decide("postgres", 10, params).path == "dms"
    assert "CDC" in at_scale.decide("postgres", 10, params).reason
    assert at_scale.decide("s3", 10, params).path == "direct"
    assert at_scale.decide("kafka", THRESHOLD * 9, params).path == "msk-connect"  # MirrorMaker 2 on MSK Connect


def test_sizes_come_from_the_migrators_and_groups_sum_them(tmp_path: Path) -> None:
    group = MigratorGroup(
        "postgres",
        [("a", FakeMigrator("postgres", 5, tmp_path)), ("b", FakeMigrator("postgres", 7, tmp_path))],
        checkpoint_dir=tmp_path / "g",
        progress=_NoBar,
    )
    assert at_scale.estimate_size(group) == 12


def test_mongo_size_falls_back_to_bson_sizes_without_collstats(tmp_path: Path) -> None:
    import bson

    from runbook_lib.clients import mongo_client
    from runbook_lib.migrate.mongo import MongoMigrator

    source = mongo_client(f"mongomock://{tmp_path}/source")
    docs = [{"_id": i, "v": "x" * i} for i in range(20)]
    source["events"]["orders"].insert_many(docs)
    migrator = MongoMigrator(
        source,
        mongo_client(f"mongomock://{tmp_path}/target"),
        ["events"],
        checkpoint_dir=tmp_path / "cp",
        progress=_NoBar,
    )
    assert migrator.source_size_bytes() == sum(len(bson.encode(d)) for d in docs)


def test_s3_size_reuses_what_the_check_listed(aws: None, tmp_path: Path) -> None:
    from runbook_lib.migrate.objects import S3Migrator

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="raw")
    s3.create_bucket(Bucket="platform-raw-test")
    for i in range(3):
        s3.put_object(Bucket="raw", Key=f"k{i}", Body=b"x" * 100)
    migrator = S3Migrator(
        s3,
        s3,
        [("raw", "platform-raw-test", "")],
        checkpoint_dir=tmp_path,
        progress=_NoBar,
        at_scale_threshold_bytes=THRESHOLD,
    )
    assert migrator.source_size_bytes() == 300
    s3.put_object(Bucket="raw", Key="late", Body=b"y" * 50)
    assert migrator.source_size_bytes() == 300  # cached
    migrator.check()
    assert migrator.checked_bytes == 350 and migrator.source_size_bytes() == 350


# ----------------------------------------------------------------------------- copy dispatch


@pytest.mark.parametrize("kind", ["s3", "postgres", "mongo"])
def test_below_the_threshold_copy_is_the_direct_copy(kind: str, tmp_path: Path) -> None:
    step = _step(kind, THRESHOLD - 1, _params(), tmp_path)
    frame = step.copy()  # chooses first when choose_path() was not called
    assert step.migrator.copies == 1  # type: ignore[attr-defined]
    assert f"{kind}_path" in step.session.tables  # type: ignore[attr-defined]
    (row,) = frame.to_dict("records")
    assert row["path"] in ("direct", "native") and row["copied"] == 3
    assert f"{kind}_at_scale_runs" not in step.session.tables  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kind", "section", "key"),
    [
        ("s3", None, "migration.at_scale"),
        ("postgres", None, "migration.at_scale"),
        ("s3", {"dms": AT_SCALE["dms"]}, "migration.at_scale.datasync"),
        ("postgres", {"datasync": AT_SCALE["datasync"]}, "migration.at_scale.dms"),
    ],
)
def test_at_scale_without_its_parameters_stops_before_anything_moves(
    kind: str, section: dict[str, Any] | None, key: str, tmp_path: Path
) -> None:
    step = _step(kind, THRESHOLD, _params(at_scale_section=section), tmp_path)
    step.choose_path()
    with pytest.raises(ParamsError) as info:
        step.copy()
    assert info.value.key == key and info.value.exit_code == 2
    section_name = key.rsplit(".", 1)[-1] if key != "migration.at_scale" else ("datasync" if kind == "s3" else "dms")
    assert f"migration.at_scale.{section_name}" in str(info.value.allowed)
    assert "threshold" in str(info.value)  # the reason for the choice travels with the error
    assert step.migrator.copies == 0  # type: ignore[attr-defined]
    assert f"{kind}_copy" not in step.session.tables and f"{kind}_at_scale_runs" not in step.session.tables  # type: ignore[attr-defined]


def test_mongo_at_scale_is_dms_and_stops_without_its_parameters(tmp_path: Path) -> None:
    # The MongoDB -> DocumentDB DMS run itself is tested in test_migrate_dms.py (real migrator, moto).
    step = _step("mongo", THRESHOLD, _params(), tmp_path)
    with pytest.raises(ParamsError) as info:
        step.copy()
    assert info.value.key == "migration.at_scale" and "migration.at_scale.dms" in str(info.value.allowed)
    assert step.migrator.copies == 0  # type: ignore[attr-defined]
    with pytest.raises(AtScalePathUnavailableError) as unavailable:  # a kind DMS has no endpoints for
        at_scale.run_dms(_params(at_scale_section=AT_SCALE), "kafka", step.migrator, [], clients=_no_clients)
    assert unavailable.value.path == "dms" and "postgres, mongo" in str(unavailable.value)


def test_datasync_in_moto_runs_one_task_per_mapping_and_says_no_data_moved(aws: None, tmp_path: Path) -> None:
    client = boto3.client("datasync", region_name="eu-west-1")
    step = _step("s3", THRESHOLD * 2, _params(at_scale_section=AT_SCALE), tmp_path, lambda service: client)
    step.choose_path()
    frame = step.copy()
    rows = frame.to_dict("records")
    assert [r["unit"] for r in rows] == ["raw -> platform-raw-test", "curated -> platform-curated-test"]
    for row in rows:
        assert row["service"] == "datasync" and row["status"] == "SUCCESS"
        assert row["statuses"].endswith("SUCCESS") and row["bytes"] == 0
        assert ds.SANDBOX_SOURCE_NOTE in row["notes"] and ds.SANDBOX_EXECUTION_NOTE in row["notes"]
        task = client.describe_task(TaskArn=row["task_arn"])
        assert task["Name"] == f"runbook-sandbox-{row['unit'].split(' ')[0]}"
        assert task["Options"]["VerifyMode"] == "POINT_IN_TIME_CONSISTENT"
    tables = step.session.tables  # type: ignore[attr-defined]
    assert tables["s3_at_scale_runs"] is frame
    (copy_row,) = tables["s3_copy"].to_dict("records")
    assert copy_row["path"] == "datasync" and copy_row["bytes"] == 0
    assert step.migrator.copies == 0  # type: ignore[attr-defined]
    assert step.copy_report is not None and step.copy_report.details["path"] == "datasync"


class FakeDataSync:
    """The real-AWS calls moto cannot answer: an object-storage location and a chosen final status."""

    def __init__(self, final: str = "SUCCESS") -> None:
        self.final = final
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.polls = 0

    def create_location_object_storage(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("object_storage", kwargs))
        return {"LocationArn": "arn:aws:datasync:eu-west-1:123456789012:location/loc-src"}

    def create_location_s3(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("s3", kwargs))
        return {"LocationArn": "arn:aws:datasync:eu-west-1:123456789012:location/loc-dst"}

    def create_task(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("task", kwargs))
        return {"TaskArn": f"arn:aws:datasync:eu-west-1:123456789012:task/task-{kwargs['Name']}"}

    def start_task_execution(self, TaskArn: str) -> dict[str, Any]:  # noqa: N803 - boto3's spelling
        return {"TaskExecutionArn": f"{TaskArn}/execution/exec-1"}

    def describe_task_execution(self, TaskExecutionArn: str) -> dict[str, Any]:  # noqa: N803
        self.polls += 1
        if self.polls % 2:
            return {"Status": "TRANSFERRING", "BytesTransferred": 100, "FilesTransferred": 1}
        if self.final == "ERROR":
            return {"Status": "ERROR", "Result": {"ErrorCode": "AccessDenied", "ErrorDetail": "agent cannot read"}}
        return {"Status": "SUCCESS", "BytesTransferred": 4096, "FilesTransferred": 7}


def test_datasync_against_aws_uses_the_agents_and_the_minio_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MINIO_AK", "minio-access-key-1")
    monkeypatch.setenv("MINIO_SK", "minio-secret-key-very-secret")
    section = copy.deepcopy(AT_SCALE)
    section["datasync"].update(
        access_key_ref={"env": "MINIO_AK"}, secret_key_ref={"env": "MINIO_SK"}, poll_interval_s=0.001
    )
    fake = FakeDataSync()
    step = _step("s3", THRESHOLD, _params(at_scale_section=section, sandbox=False), tmp_path, lambda s: fake)
    frame = step.copy()
    sources = [kw for name, kw in fake.calls if name == "object_storage"]
    assert [s["BucketName"] for s in sources] == ["raw", "curated"]
    assert sources[0]["AgentArns"] == [AGENT] and sources[0]["ServerHostname"] == "minio.platform.internal"
    assert sources[0]["ServerPort"] == 9000 and sources[0]["ServerProtocol"] == "HTTP"
    assert sources[0]["AccessKey"] == "minio-access-key-1" and sources[0]["SecretKey"] == "minio-secret-key-very-secret"
    destinations = [kw for name, kw in fake.calls if name == "s3"]
    assert destinations[0]["S3Config"] == {"BucketAccessRoleArn": ROLE}
    rows = frame.to_dict("records")
    assert [r["bytes"] for r in rows] == [4096, 4096] and [r["items"] for r in rows] == [7, 7]
    assert all(r["notes"] == "" for r in rows)  # no sandbox notes against AWS
    assert "minio-secret-key-very-secret" not in frame.to_string()
    assert step.copy_report is not None and step.copy_report.bytes_copied == 8192


def test_a_failed_datasync_execution_is_recorded_before_it_raises(tmp_path: Path) -> None:
    section = copy.deepcopy(AT_SCALE)
    section["datasync"]["poll_interval_s"] = 0.001
    step = _step(
        "s3", THRESHOLD, _params(at_scale_section=section, sandbox=False), tmp_path, lambda s: FakeDataSync("ERROR")
    )
    with pytest.raises(DataSyncError) as info:
        step.copy()
    assert info.value.error_code == "AccessDenied"
    (row,) = step.session.tables["s3_at_scale_runs"].to_dict("records")  # type: ignore[attr-defined]
    assert row["status"] == "ERROR" and "AccessDenied" in row["notes"] and row["execution_arn"].endswith("exec-1")
    assert "s3_copy" not in step.session.tables  # type: ignore[attr-defined]


def test_dms_in_moto_runs_a_cdc_task_per_database(aws: None, tmp_path: Path) -> None:
    client = boto3.client("dms", region_name="eu-west-1")
    step = _step("postgres", 10, _params(at_scale_section=AT_SCALE, cdc=True), tmp_path, lambda s: client)
    choice = step.choose_path()
    assert choice.to_dict("records")[0]["path"] == "dms"  # cdc_required, whatever the size
    frame = step.copy()
    (row,) = frame.to_dict("records")
    assert row["unit"] == "platform" and row["service"] == "dms" and row["status"] == "running"
    assert row["statuses"] == "running (100 % loaded)" and row["items"] == 1  # moto's fixed statistics
    assert at_scale.SANDBOX_DMS_NOTE in row["notes"] and at_scale.SCHEMA_NOTE in row["notes"]
    assert at_scale.CDC_NOTE in row["notes"]
    (task,) = client.describe_replication_tasks()["ReplicationTasks"]
    assert task["ReplicationTaskArn"] == row["task_arn"] and task["MigrationType"] == "full-load-and-cdc"
    (instance,) = client.describe_replication_instances()["ReplicationInstances"]
    assert instance["ReplicationInstanceClass"] == "dms.t3.medium"
    endpoints = {e["EndpointIdentifier"]: e for e in client.describe_endpoints()["Endpoints"]}
    assert endpoints["runbook-sandbox-platform-src"]["ServerName"] == "10.0.0.5"
    assert endpoints["runbook-sandbox-platform-tgt"]["ServerName"] == "db.example.internal"
    assert "src-pass-123" not in frame.to_string() and "tgt-pass-456" not in frame.to_string()
    assert step.migrator.copies == 0  # type: ignore[attr-defined]
    assert step.migrator.schema_calls == ["pre-data", "loaded", "post-data"]  # type: ignore[attr-defined]
    assert step.session.tables["postgres_copy"].to_dict("records")[0]["path"] == "dms"  # type: ignore[attr-defined]


def test_a_dms_full_load_that_never_finishes_in_moto_is_recorded_and_raised(aws: None, tmp_path: Path) -> None:
    client = boto3.client("dms", region_name="eu-west-1")
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    runs: list[at_scale.AtScaleRun] = []
    migrator = FakeMigrator("postgres", THRESHOLD, tmp_path)
    with pytest.raises(DmsTaskError) as info:
        at_scale.run_dms(
            _params(at_scale_section=AT_SCALE),
            "postgres",
            migrator,
            runs,
            clients=lambda s: client,
            progress=_NoBar,
            sleep=sleep,
            clock=lambda: now[0],
        )
    assert "not finished" in info.value.last_failure_message
    (run,) = runs
    assert run.status == "running" and run.task_arn and any("not finished" in n for n in run.notes)
    assert migrator.schema_calls == ["pre-data"] and at_scale.POST_DATA_PENDING_NOTE in run.notes


# ----------------------------------------------------------------------------- where checkpoints go


class _BuiltFromParams(FakeMigrator):
    """Remembers the checkpoint folder ``MigrationStep.open`` asked for."""

    kind = "fake"  # type: ignore[misc]
    given: Path | None = None

    @classmethod
    def from_params(
        cls, params: Any, sandbox_state: Any, *, checkpoint_dir: Path | None = None, progress: Any = None
    ) -> Migrator:
        assert checkpoint_dir is not None
        cls.given = checkpoint_dir
        return cls("fake", 0, checkpoint_dir.parent)


def _session_in(outputs: Path) -> Any:
    from runbook_lib.evidence.ledger import EvidenceLedger
    from runbook_lib.phases.session import PhaseSession

    params = _params(sandbox=False)  # env "dev": no running sandbox needed
    ledger = EvidenceLedger("dev-run-1", outputs, params=params, phases=["02_data"])
    return PhaseSession(phase="02_data", params=params, ledger=ledger, owns_phase=True)


@pytest.fixture()
def built(monkeypatch: pytest.MonkeyPatch) -> type[_BuiltFromParams]:
    from runbook_lib.migrate import registry

    monkeypatch.setitem(registry._KINDS, "fake", _BuiltFromParams)
    _BuiltFromParams.given = None
    return _BuiltFromParams


def test_checkpoints_live_beside_the_run_folder_not_in_the_params_outputs(
    built: type[_BuiltFromParams], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fixture's evidence.outputs_dir is the project's "outputs"; the run folder here is elsewhere (what
    # `runbook run --outputs-dir` does), and the checkpoints must follow the run folder.
    monkeypatch.delenv("RUNBOOK_CHECKPOINT_DIR", raising=False)
    step = MigrationStep.open(_session_in(tmp_path / "outs"), "fake")
    expected = tmp_path / "outs" / ".checkpoints" / "dev" / "fake"
    assert built.given == expected and step.migrator.checkpoint_dir == expected and expected.is_dir()


def test_an_operator_set_checkpoint_dir_wins_over_the_run_folder(
    built: type[_BuiltFromParams], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNBOOK_CHECKPOINT_DIR", str(tmp_path / "volume"))
    MigrationStep.open(_session_in(tmp_path / "outs"), "fake")
    assert built.given == tmp_path / "volume" / "dev" / "fake"
    assert not (tmp_path / "outs" / ".checkpoints").exists()


@pytest.mark.parametrize(
    ("kind", "keyword"),
    [
        ("s3", "target_endpoint"),
        ("s3", "checkpoint_dri"),
        ("postgres", "rds_endpoint"),
        ("mongo", "docdb_endpoint"),
        ("kafka", "target_endpoint"),
    ],
)
def test_from_params_refuses_a_keyword_its_kind_does_not_take(kind: str, keyword: str) -> None:
    """The kinds' from_params take typed keywords (BuildOptions); one they do not declare fails as a signature would."""
    from runbook_lib.migrate.registry import get_migrator

    with pytest.raises(TypeError, match=keyword):
        get_migrator(kind).from_params(SimpleNamespace(env="unit"), None, **{keyword: "x"})


# ----------------------------------------------------------------------------- the migrators' own metrics


def test_copy_and_verify_publish_their_metrics_and_they_read_back(aws: None, tmp_path: Path) -> None:
    import datetime as dt

    import boto3

    cloudwatch = boto3.client("cloudwatch", region_name="eu-west-1")
    params = _params()
    step = _step("s3", 4096, params, tmp_path, clients=lambda service: cloudwatch)
    step.copy()
    step.verify()
    copied = step.session.tables["s3_copy_metrics"].to_dict("records")  # type: ignore[attr-defined]
    verified = step.session.tables["s3_verify_metrics"].to_dict("records")  # type: ignore[attr-defined]
    assert copied[0]["points"] == 2 and copied[0]["error"] == ""  # a 0 s copy gives no throughput point
    assert verified[0]["points"] == 2 and verified[0]["error"] == ""
    now = dt.datetime.now(dt.UTC)
    dims = [{"Name": "Env", "Value": params.env}, {"Name": "Kind", "Value": "s3"}]
    stats = cloudwatch.get_metric_statistics(
        Namespace="Runbook/Migration", MetricName="ItemsCopied", Dimensions=dims, Statistics=["Sum"], Period=60,
        StartTime=now - dt.timedelta(minutes=5), EndTime=now + dt.timedelta(minutes=1))
    assert sum(p["Sum"] for p in stats["Datapoints"]) == 3  # FakeMigrator.copy copied 3 items


def test_metrics_that_cannot_be_published_are_recorded_and_the_copy_stands(tmp_path: Path) -> None:
    step = _step("s3", 4096, _params(), tmp_path)  # every AWS client refused
    step.copy()
    (row,) = step.session.tables["s3_copy_metrics"].to_dict("records")  # type: ignore[attr-defined]
    assert row["points"] == 0 and "no AWS client may be made (cloudwatch)" in row["error"]
    assert step.migrator.copies == 1  # type: ignore[attr-defined]
