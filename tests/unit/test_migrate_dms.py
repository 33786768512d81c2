"""The DMS at-scale path against moto's DMS (in-process ``mock_aws``), as far as moto goes.

moto's limits (see ``runbook_lib.migrate.at_scale.dms``): tasks jump to ``running`` with fixed statistics,
never finish a full load, and table statistics are not implemented; the tests assert exactly that
behaviour so a moto upgrade that changes it is noticed. The endpoint builders (PostgreSQL DSN,
MongoDB / DocumentDB URI) and the table mappings are pure and tested offline; the MongoDB ->
DocumentDB run drives a real Mongo migrator on mongomock stores against moto's DMS.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import boto3
import pytest
from fakes import VALID_PARAMS, StubBar
from moto import mock_aws

from runbook_lib.errors import DmsTaskError, MigrationError, ParamsError
from runbook_lib.migrate.at_scale.dms import (
    DEFAULT_TASK_SETTINGS,
    DOCUMENTDB_TASK_SETTINGS,
    DmsEndpoint,
    DmsMigration,
    TaskProgress,
    choose_path,
    collection_mappings,
    dms_identifier,
    parse_mongo_uri,
    table_mappings,
)

pytestmark = pytest.mark.unit

GiB = 1024**3


class _Clock:
    """A fake clock that advances by each sleep, so timeouts are tested without waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _endpoints() -> tuple[DmsEndpoint, DmsEndpoint]:
    source = DmsEndpoint.from_pg_endpoint(
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


def _migration(client: Any, clock: _Clock, bars: list[StubBar], **kwargs: Any) -> DmsMigration:
    source, target = _endpoints()

    def bar(**kw: Any) -> StubBar:
        bars.append(StubBar(**kw))
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
    state = migration.start_and_wait()
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
    # idempotent: finds everything by identifier (moto 5.2 crashes on a re-test)
    again.start_and_wait(test_connections=False)
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
        migration.start_and_wait()
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


def test_default_task_settings_keep_the_tables_the_native_tools_created() -> None:
    # TRUNCATE_BEFORE_LOAD: the pre-data tables stay, and a reloaded table never holds rows twice.
    assert DEFAULT_TASK_SETTINGS["FullLoadSettings"]["TargetTablePrepMode"] == "TRUNCATE_BEFORE_LOAD"
    assert "TargetTablePrepMode" not in DEFAULT_TASK_SETTINGS["TargetMetadata"]  # not a TargetMetadata key
    assert DEFAULT_TASK_SETTINGS["ValidationSettings"]["EnableValidation"] is True
    assert DOCUMENTDB_TASK_SETTINGS["FullLoadSettings"]["TargetTablePrepMode"] == "TRUNCATE_BEFORE_LOAD"
    assert DOCUMENTDB_TASK_SETTINGS["ValidationSettings"] == {"EnableValidation": False}  # verify() is the proof
    assert DEFAULT_TASK_SETTINGS["ValidationSettings"]["EnableValidation"] is True  # the copy left it alone


# ----------------------------------------------------------------------------- MongoDB / DocumentDB endpoints

SOURCE_URI = "mongodb://dms%40reader:p%3Aw-sekret-42@mongo1.platform.internal:27018,mongo2:27019/events?replicaSet=rs0&authSource=admin&authMechanism=SCRAM-SHA-1"
DOCDB_URI = "mongodb://docdbadmin:docdb-pass-77@events.cluster-abc.eu-west-1.docdb.amazonaws.com:27017/?tls=true&replicaSet=rs0&retryWrites=false"
CERT = "arn:aws:dms:eu-west-1:123456789012:cert:RDSGLOBALBUNDLE"


def test_mongo_uris_are_parsed_without_pymongo_and_keep_the_password_out_of_repr() -> None:
    uri = parse_mongo_uri(SOURCE_URI)
    assert uri.hosts == (("mongo1.platform.internal", 27018), ("mongo2", 27019))
    assert (uri.username, uri.password, uri.database) == ("dms@reader", "p:w-sekret-42", "events")
    assert uri.options["replicaset"] == "rs0" and uri.auth_source == "admin" and not uri.tls
    assert "sekret" not in repr(uri)
    bare = parse_mongo_uri("mongodb://[::1]?ssl=true")
    assert bare.hosts == (("::1", 27017),) and bare.tls and bare.username == "" and bare.auth_source == "admin"
    assert parse_mongo_uri("mongodb://u:pw12@h/app").auth_source == "app"  # MongoDB: the URI's database
    for bad in ("mongodb+srv://u:pw@cluster.example.net/", "mongomock:///tmp/store", "mongodb://", "h:1"):
        with pytest.raises(ParamsError) as info:
            parse_mongo_uri(bad)
        assert "pw" not in str(info.value)
    with pytest.raises(ParamsError):
        parse_mongo_uri("mongodb://h:port/")


def test_mongodb_source_endpoint_is_document_mode_with_the_uris_auth() -> None:
    endpoint = DmsEndpoint.from_mongo_uri("events-src", "source", SOURCE_URI, "events")
    kwargs = endpoint.create_kwargs()
    assert kwargs["EngineName"] == "mongodb" and kwargs["EndpointType"] == "source"
    assert (kwargs["ServerName"], kwargs["Port"], kwargs["DatabaseName"]) == (
        "mongo1.platform.internal",
        27018,
        "events",
    )
    assert kwargs["Username"] == "dms@reader" and kwargs["Password"] == "p:w-sekret-42"
    assert kwargs["SslMode"] == "none" and "CertificateArn" not in kwargs
    assert kwargs["MongoDbSettings"] == {
        "ServerName": "mongo1.platform.internal",
        "Port": 27018,
        "DatabaseName": "events",
        "AuthType": "password",
        "AuthMechanism": "scram_sha_1",
        "AuthSource": "admin",
        "NestingLevel": "none",
        "ExtractDocId": "false",
    }
    assert "sekret" not in repr(endpoint)
    anonymous = DmsEndpoint.from_mongo_uri("a", "source", "mongodb://10.0.0.9/?tls=true", "events").create_kwargs()
    assert anonymous["MongoDbSettings"]["AuthType"] == "no" and "AuthMechanism" not in anonymous["MongoDbSettings"]
    assert "Username" not in anonymous and "Password" not in anonymous and anonymous["SslMode"] == "require"
    with pytest.raises(ParamsError) as info:
        DmsEndpoint.from_mongo_uri("x", "source", "mongodb://u:pw99@h/?authMechanism=SCRAM-SHA-256", "events")
    assert info.value.key == "authMechanism" and info.value.value == "SCRAM-SHA-256"


def test_documentdb_target_endpoint_needs_the_certificate_for_tls() -> None:
    with pytest.raises(ParamsError) as info:
        DmsEndpoint.from_mongo_uri("t", "target", DOCDB_URI, "events", engine="docdb")
    assert info.value.key == "migration.at_scale.dms.docdb_certificate_arn" and "docdb-pass" not in str(info.value)
    kwargs = DmsEndpoint.from_mongo_uri(
        "t", "target", DOCDB_URI, "events_v2", engine="docdb", certificate_arn=CERT
    ).create_kwargs()
    assert kwargs["EngineName"] == "docdb" and kwargs["SslMode"] == "verify-full" and kwargs["CertificateArn"] == CERT
    assert kwargs["DocDbSettings"] == {
        "ServerName": "events.cluster-abc.eu-west-1.docdb.amazonaws.com",
        "Port": 27017,
        "DatabaseName": "events_v2",
    }
    assert kwargs["Password"] == "docdb-pass-77" and "Password" not in kwargs["DocDbSettings"]
    plain = DmsEndpoint.from_mongo_uri(
        "t", "target", "mongodb://d:pw55@10.1.1.1:27017/", "e", engine="docdb", certificate_arn=CERT
    ).create_kwargs()
    assert plain["SslMode"] == "none" and "CertificateArn" not in plain


def test_collection_mappings_select_each_collection_and_rename_the_database() -> None:
    rules = collection_mappings("events", ["devices", "sessions"])["rules"]
    assert [(r["rule-type"], r["object-locator"]) for r in rules] == [
        ("selection", {"schema-name": "events", "table-name": "devices"}),
        ("selection", {"schema-name": "events", "table-name": "sessions"}),
    ]
    assert [r["rule-id"] for r in rules] == ["1", "2"] and {r["rule-action"] for r in rules} == {"include"}
    renamed = collection_mappings("events", ["devices"], target_database="events_v2")["rules"]
    assert renamed[-1] == {
        "rule-type": "transformation",
        "rule-id": "2",
        "rule-name": "rename-events",
        "rule-target": "schema",
        "object-locator": {"schema-name": "events"},
        "rule-action": "rename",
        "value": "events_v2",
    }
    assert len(collection_mappings("events", ["devices"], target_database="events")["rules"]) == 1
    with pytest.raises(ParamsError):
        collection_mappings("events", [])


# ----------------------------------------------------------------------------- run_dms: MongoDB -> DocumentDB


def _mongo_params(*, cdc: bool = False, certificate: bool = True) -> Any:
    import yaml

    from runbook_lib.params import parse_params

    data = yaml.safe_load(VALID_PARAMS.read_text())
    dms: dict[str, Any] = {
        "replication_instance_class": "dms.r5.large",
        "replication_subnet_group_id": "runbook-dms",
        "security_group_ids": ["sg-0123456789abcdef0"],
        "cdc_required": cdc,
    }
    if certificate:
        dms["docdb_certificate_arn"] = CERT
    data["migration"]["at_scale"] = {"dms": dms}
    return parse_params(data)


@pytest.fixture()
def mongo_stores(tmp_path: Path) -> tuple[Any, Any]:
    from runbook_lib.clients import mongo_client

    source = mongo_client(f"mongomock://{tmp_path}/source")
    source["events"]["devices"].insert_many([{"_id": f"d{i}", "model": "t1", "country": "DE"} for i in range(5)])
    source["events"]["devices"].create_index([("country", 1), ("model", 1)], name="country_model")
    source["events"]["sessions"].insert_many([{"session_id": f"s{i}", "device_id": f"d{i}"} for i in range(3)])
    source["events"]["sessions"].create_index([("session_id", 1)], unique=True, name="session_id_unique")
    return source, mongo_client(f"mongomock://{tmp_path}/target")


def _mongo_migrator(stores: tuple[Any, Any], tmp_path: Path, **uris: Any) -> Any:
    from runbook_lib.migrate.mongo import DatabaseSpec, MongoMigrator

    return MongoMigrator(
        stores[0],
        stores[1],
        [DatabaseSpec("events", "events_v2")],
        checkpoint_dir=tmp_path / "cp",
        progress=lambda **kw: StubBar(**kw),
        **uris,
    )


@mock_aws
def test_run_dms_moves_mongo_with_document_mode_endpoints_then_creates_the_indexes(
    mongo_stores: tuple[Any, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from runbook_lib.migrate import at_scale

    caplog.set_level(logging.DEBUG, logger="runbook_lib")
    client = boto3.client("dms", region_name="eu-west-1")
    migrator = _mongo_migrator(mongo_stores, tmp_path, source_uri=SOURCE_URI, target_uri=DOCDB_URI)
    runs: list[at_scale.AtScaleRun] = []
    at_scale.run_dms(
        _mongo_params(cdc=True), "mongo", migrator, runs, clients=lambda s: client, progress=lambda **kw: StubBar(**kw)
    )
    (run,) = runs
    assert run.unit == "events->events_v2" and run.status == "running" and run.statuses == ["running (100 % loaded)"]
    assert at_scale.MONGO_INDEX_NOTE in run.notes and at_scale.CDC_NOTE in run.notes
    assert "2 secondary indexes created after the full load" in run.notes
    endpoints = {e["EndpointIdentifier"]: e for e in client.describe_endpoints()["Endpoints"]}
    source, target = endpoints["runbook-sandbox-mongo-events-src"], endpoints["runbook-sandbox-mongo-events-tgt"]
    assert source["EngineName"] == "mongodb" and source["MongoDbSettings"]["NestingLevel"] == "none"
    assert source["MongoDbSettings"]["AuthMechanism"] == "scram_sha_1" and source["DatabaseName"] == "events"
    assert target["EngineName"] == "docdb" and target["SslMode"] == "verify-full" and target["CertificateArn"] == CERT
    assert target["DocDbSettings"]["DatabaseName"] == "events_v2"
    (task,) = client.describe_replication_tasks()["ReplicationTasks"]
    assert task["MigrationType"] == "full-load-and-cdc" and task["ReplicationTaskArn"] == run.task_arn
    assert json.loads(task["TableMappings"]) == collection_mappings(
        "events", ["devices", "sessions"], target_database="events_v2"
    )
    assert json.loads(task["ReplicationTaskSettings"]) == DOCUMENTDB_TASK_SETTINGS
    # moto moved no documents; the indexes DMS would not copy are there, and verify() says the rest
    target_db = mongo_stores[1]["events_v2"]
    assert target_db["sessions"].index_information()["session_id_unique"]["unique"] is True
    assert "country_model" in target_db["devices"].index_information()
    report = migrator.verify()
    assert not any("index" in p for p in report.problems)
    assert {r.unit: r.missing for r in report.rows} == {
        "events.devices->events_v2.devices": 5,
        "events.sessions->events_v2.sessions": 3,
    }
    text = caplog.text + repr(runs) + json.dumps(client.describe_endpoints(), default=str)
    assert "sekret" not in text and "docdb-pass-77" not in text  # moto echoes settings: none holds a password


@mock_aws
def test_run_dms_for_mongo_stops_before_anything_moves_when_a_parameter_is_missing(
    mongo_stores: tuple[Any, Any], tmp_path: Path
) -> None:
    from runbook_lib.migrate import at_scale

    client = boto3.client("dms", region_name="eu-west-1")
    runs: list[at_scale.AtScaleRun] = []
    no_cert = _mongo_migrator(mongo_stores, tmp_path, source_uri=SOURCE_URI, target_uri=DOCDB_URI)
    with pytest.raises(ParamsError) as info:
        at_scale.run_dms(_mongo_params(certificate=False), "mongo", no_cert, runs, clients=lambda s: client)
    assert info.value.key == "migration.at_scale.dms.docdb_certificate_arn"
    with pytest.raises(ParamsError) as info:  # built from clients only: no URIs for DMS
        at_scale.run_dms(
            _mongo_params(), "mongo", _mongo_migrator(mongo_stores, tmp_path), runs, clients=lambda s: client
        )
    assert info.value.key == "migration.mongo[].source_uri_ref"
    assert runs == [] and client.describe_replication_instances()["ReplicationInstances"] == []


@mock_aws
def test_run_dms_for_mongo_in_the_sandbox_names_a_placeholder_for_mongomock(
    mongo_stores: tuple[Any, Any], tmp_path: Path
) -> None:
    from runbook_lib.migrate import at_scale

    client = boto3.client("dms", region_name="eu-west-1")
    migrator = _mongo_migrator(
        mongo_stores, tmp_path, source_uri=f"mongomock://{tmp_path}/source", target_uri=f"mongomock://{tmp_path}/target"
    )
    now = [0.0]
    runs: list[at_scale.AtScaleRun] = []
    with pytest.raises(DmsTaskError):  # a full-load task never finishes in moto
        at_scale.run_dms(
            _mongo_params(),
            "mongo",
            migrator,
            runs,
            clients=lambda s: client,
            progress=lambda **kw: StubBar(**kw),
            sleep=lambda s: now.__setitem__(0, now[0] + s),
            clock=lambda: now[0],
        )
    (run,) = runs
    assert at_scale.SANDBOX_MONGO_NOTE in run.notes and at_scale.SANDBOX_DMS_NOTE in run.notes
    servers = {e["EndpointType"]: (e["ServerName"], e["SslMode"]) for e in client.describe_endpoints()["Endpoints"]}
    assert servers == {"source": ("mongomock.sandbox.invalid", "none"), "target": ("mongomock.sandbox.invalid", "none")}
    assert mongo_stores[1]["events_v2"].list_collection_names() == []  # no index step after a failed load


# ----------------------------------------------------------------------------- the PostgreSQL schema steps


def test_post_data_before_pre_data_is_refused_and_checkpoints_belong_to_one_pair(tmp_path: Path) -> None:
    from runbook_lib.migrate.postgres import PostgresMigrator, SchemaCheckpoint

    def migrator(target_host: str) -> PostgresMigrator:
        return PostgresMigrator(
            "postgresql://mig:src-pass-123@10.0.0.5:5432/x",
            f"postgresql://admin:tgt-pass-456@{target_host}:5432/x",
            "platform",
            checkpoint_dir=tmp_path,
        )

    first = migrator("db-a.internal")
    with pytest.raises(MigrationError) as info:
        first.restore_post_data()  # no connection is made: the checkpoint says pre-data never ran
    assert "before its pre-data" in str(info.value)
    first.mark_loaded()
    saved = SchemaCheckpoint.load(first.schema_checkpoint_path)
    assert saved is not None and saved.loaded and saved.target == "db-a.internal:5432/platform"
    assert not first.checkpoint_path.exists()  # the native copy's checkpoint is another file
    with pytest.raises(MigrationError):
        migrator("db-b.internal").schema_checkpoint()
