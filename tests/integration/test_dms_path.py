"""The DMS path through the sandbox's moto server (HTTP, short timeouts); the size chooser on the source.

moto moves no data and its tasks never finish a full load (see ``runbook_lib.migrate.at_scale.dms``); this
checks the control flow end to end over the wire, with the sandbox's real DSNs as endpoints. What is
real around the task is checked for real: the PostgreSQL schema restored into the sandbox's target
server (pre-data before the task starts, post-data and sequences after), and the MongoDB indexes
created on the sandbox's DocumentDB stand-in after the task. Read back from moto: the endpoints'
engines and settings, the task's table mappings and settings.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fakes import quiet_progress

from runbook_lib.clients import aws_client
from runbook_lib.migrate.at_scale.dms import DmsEndpoint, DmsMigration, choose_path
from runbook_lib.migrate.postgres import PostgresMigrator
from runbook_lib.sandbox.seed import SOURCE_DATABASE

pytestmark = pytest.mark.integration




def test_dms_full_load_and_cdc_against_the_sandbox_moto(sandbox) -> None:
    client = aws_client("dms", endpoint_url=sandbox.url("aws"), region="eu-west-1", max_attempts=1)
    name = f"it-{uuid.uuid4().hex[:6]}"
    source, target = (
        DmsEndpoint.from_pg_endpoint(
            f"{name}-{short}", side, sandbox.url(f"postgres-{side}", with_secret=True), SOURCE_DATABASE, ssl_mode="none"
        )
        for short, side in (("src", "source"), ("tgt", "target"))
    )
    migration = DmsMigration(
        client,
        name=name,
        source=source,
        target=target,
        migration_type="full-load-and-cdc",
        schemas=["sales", "ingest", "ref"],
        progress=quiet_progress,
        poll_s=0.2,
        timeout_s=30,
    )
    try:
        state = migration.start_and_wait()
        assert state.status == "running" and state.percent == 100
        assert migration.table_statistics() is None
        assert migration.stop().status == "stopped"
    finally:
        deleted = migration.teardown()
    assert deleted == [f"{name}-task", f"{name}-src", f"{name}-tgt", f"{name}-ri"]


def test_the_seeded_platform_database_takes_the_native_path(sandbox, tmp_path: Path) -> None:
    from runbook_lib.params import load_params

    threshold = load_params("sandbox").migration.at_scale_threshold_bytes
    migrator = PostgresMigrator(
        sandbox.url("postgres-source", with_secret=True),
        sandbox.url("postgres-target", with_secret=True),
        SOURCE_DATABASE,
        checkpoint_dir=tmp_path,
        progress=quiet_progress,
    )
    size = migrator.source_size_bytes()
    choice = choose_path(size, threshold)
    assert 0 < size < threshold and choice.path == "native"
    assert choose_path(size, threshold, cdc_required=True).path == "dms"


# ----------------------------------------------------------------------------- run_dms: schema and indexes

PG_SCHEMAS = ("sales", "ingest", "ref")
DOCDB_REPORTED = "events.cluster-cq0example.eu-west-1.docdb.amazonaws.com:27017"


def _dms_params(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, cdc: bool, mongo_target: str | None = None):
    """``params/sandbox.yaml`` plus a ``migration.at_scale.dms`` section, from a params dir of the test's own."""
    import yaml

    from runbook_lib.params import load_params
    from runbook_lib.paths import project_root

    data = yaml.safe_load((project_root() / "params" / "sandbox.yaml").read_text())
    data["migration"]["at_scale"] = {
        "dms": {
            "replication_instance_class": "dms.t3.medium",
            "replication_subnet_group_id": "runbook-sandbox-dms",
            "security_group_ids": ["sg-0123456789abcdef0"],
            "cdc_required": cdc,
            "ssl_mode": "none",
        }
    }
    if mongo_target:
        data["migration"]["mongo"] = [{**data["migration"]["mongo"][0], "target_name": mongo_target}]
    params_dir = tmp_path / "params"
    params_dir.mkdir(exist_ok=True)
    (params_dir / "sandbox.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setenv("RUNBOOK_PARAMS_DIR", str(params_dir))
    return load_params("sandbox")


def _delete_dms(client, name: str) -> list[str]:
    """Delete the task, endpoints and instance of a run_dms run named ``name`` (moto forgets them at once)."""
    deleted = []
    for task in client.describe_replication_tasks()["ReplicationTasks"]:
        if task["ReplicationTaskIdentifier"].startswith(f"{name}-"):
            client.delete_replication_task(ReplicationTaskArn=task["ReplicationTaskArn"])
            deleted.append(task["ReplicationTaskIdentifier"])
    for endpoint in client.describe_endpoints()["Endpoints"]:
        if endpoint["EndpointIdentifier"].startswith(f"{name}-"):
            client.delete_endpoint(EndpointArn=endpoint["EndpointArn"])
            deleted.append(endpoint["EndpointIdentifier"])
    for instance in client.describe_replication_instances()["ReplicationInstances"]:
        if instance["ReplicationInstanceIdentifier"].startswith(f"{name}-"):
            client.delete_replication_instance(ReplicationInstanceArn=instance["ReplicationInstanceArn"])
            deleted.append(instance["ReplicationInstanceIdentifier"])
    return deleted


def _schema_counts(conn) -> dict[str, int]:
    """What pre-data creates (tables, sequences, column defaults) and what post-data adds (keys, indexes)."""
    schemas = list(PG_SCHEMAS)
    one = lambda sql: int(conn.execute(sql, (schemas,)).fetchone()[0])  # noqa: E731
    return {
        "tables": one("SELECT count(*) FROM pg_tables WHERE schemaname = ANY(%s)"),
        "sequences": one("SELECT count(*) FROM pg_sequences WHERE schemaname = ANY(%s)"),
        "defaults": one(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = ANY(%s) "
            "AND column_default IS NOT NULL"
        ),
        "keys": one(
            "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = ANY(%s) AND c.contype IN ('p', 'f', 'u')"
        ),
        "indexes": one("SELECT count(*) FROM pg_indexes WHERE schemaname = ANY(%s)"),
        "rows": one("SELECT coalesce(sum(n_live_tup), 0) FROM pg_stat_user_tables WHERE schemaname = ANY(%s)"),
    }


class _SpyDms:
    """The sandbox's moto DMS client, with a look at the target when a task starts.

    ``load`` stands in for what DMS's full load would do (moto moves nothing): it copies each table's
    rows with COPY, so the post-data restore and ``verify()`` afterwards work on real rows.
    """

    def __init__(self, client, on_start) -> None:
        self._client, self._on_start, self.starts = client, on_start, 0

    def start_replication_task(self, **kwargs):
        self.starts += 1
        self._on_start()
        return self._client.start_replication_task(**kwargs)

    def __getattr__(self, name: str):
        return getattr(self._client, name)


def _load_like_dms(source, target) -> None:
    with source.cursor() as cur:
        tables = cur.execute(
            "SELECT format('%%I.%%I', schemaname, tablename) FROM pg_tables WHERE schemaname = ANY(%s)",
            (list(PG_SCHEMAS),),
        ).fetchall()
    for (table,) in tables:
        with (
            source.cursor().copy(f"COPY {table} TO STDOUT") as out,
            target.cursor().copy(f"COPY {table} FROM STDIN") as into,
        ):
            for chunk in out:
                into.write(chunk)


def _fresh_target_migrator(sandbox: Any, tmp_path: Path) -> tuple[PostgresMigrator, Any]:
    """A migrator into a new, uniquely named target database, and a DMS client on the sandbox's moto."""
    migrator = PostgresMigrator(
        sandbox.url("postgres-source", with_secret=True),
        sandbox.url("postgres-target", with_secret=True),
        SOURCE_DATABASE,
        target_database=f"platform_dms_{uuid.uuid4().hex[:6]}",
        checkpoint_dir=tmp_path / "checkpoints",
        progress=quiet_progress,
    )
    return migrator, aws_client("dms", endpoint_url=sandbox.url("aws"), region="eu-west-1", max_attempts=1)


def test_postgres_through_dms_restores_pre_data_before_the_task_and_post_data_after(
    sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runbook_lib.migrate import at_scale

    params = _dms_params(tmp_path, monkeypatch, cdc=True)  # CDC: moto's running task counts as a done full load
    migrator, client = _fresh_target_migrator(sandbox, tmp_path)
    target_db = migrator.target_database
    with migrator.source.connect(SOURCE_DATABASE) as conn:
        source_counts = _schema_counts(conn)
    at_start: dict[str, int] = {}

    def on_start() -> None:
        with migrator.target.connect(target_db) as conn:
            at_start.update(_schema_counts(conn))
            with migrator.source.connect(SOURCE_DATABASE, read_only=True) as src:
                _load_like_dms(src, conn)

    spy = _SpyDms(client, on_start)
    name = "runbook-sandbox-platform"
    try:
        runs = at_scale.run_dms(params, "postgres", migrator, [], clients=lambda s: spy, progress=quiet_progress)
        (run,) = runs
        assert run.unit == SOURCE_DATABASE and run.status == "running" and spy.starts == 1
        # pre-data was restored before the task: tables, sequences and defaults, but no keys, no indexes, no rows
        assert at_start["tables"] == source_counts["tables"] == 5
        assert at_start["sequences"] == source_counts["sequences"] and at_start["defaults"] == source_counts["defaults"]
        assert at_start["keys"] == at_start["indexes"] == at_start["rows"] == 0
        # post-data after the full load: every key and index of the source
        with migrator.target.connect(target_db) as conn:
            after = _schema_counts(conn)
        assert (after["keys"], after["indexes"]) == (source_counts["keys"], source_counts["indexes"]) != (0, 0)
        assert at_scale.SCHEMA_NOTE in run.notes and at_scale.SEQUENCES_CDC_NOTE in run.notes
        assert any(n.startswith("post-data restored after the full load") and "3 sequences set" in n for n in run.notes)
        task = client.describe_replication_tasks(Filters=[{"Name": "replication-task-arn", "Values": [run.task_arn]}])[
            "ReplicationTasks"
        ][0]
        assert json.loads(task["ReplicationTaskSettings"])["FullLoadSettings"]["TargetTablePrepMode"] == (
            "TRUNCATE_BEFORE_LOAD"
        )
        assert task["MigrationType"] == "full-load-and-cdc"
        endpoints = {e["EndpointIdentifier"]: e for e in client.describe_endpoints()["Endpoints"]}
        assert endpoints[f"{name}-tgt"]["DatabaseName"] == target_db
        assert endpoints[f"{name}-src"]["EngineName"] == "postgres"
        # the migrator's verify is the proof: rows, checksums, sequences continuing past their columns
        report = migrator.verify()
        assert report.ok, report.problems
        assert any(r.unit.startswith("sequence sales.orders_id_seq") and r.mismatched == 0 for r in report.rows)
        # a re-run finds every step done and restarts nothing
        (again,) = at_scale.run_dms(params, "postgres", migrator, [], clients=lambda s: spy, progress=quiet_progress)
        assert again.status == "loaded earlier" and spy.starts == 1
        assert "pre-data restored in an earlier run (checkpoint)" in again.notes
        # and the compatibility check knows the non-empty target is this migrator's own
        assert not [f for f in migrator.check().blockers if f.object == "target database"]
    finally:
        assert _delete_dms(client, name)
        migrator.drop_target()


def test_a_full_load_that_never_finishes_leaves_post_data_for_the_re_run(
    sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runbook_lib.errors import DmsTaskError
    from runbook_lib.migrate import at_scale

    params = _dms_params(tmp_path, monkeypatch, cdc=False)
    migrator, client = _fresh_target_migrator(sandbox, tmp_path)
    target_db = migrator.target_database
    now = [0.0]
    runs: list[at_scale.AtScaleRun] = []
    try:
        with pytest.raises(DmsTaskError):  # moto's full-load task never finishes
            at_scale.run_dms(
                params,
                "postgres",
                migrator,
                runs,
                clients=lambda s: client,
                progress=quiet_progress,
                sleep=lambda s: now.__setitem__(0, now[0] + s),
                clock=lambda: now[0],
            )
        (run,) = runs
        assert run.status == "running" and at_scale.POST_DATA_PENDING_NOTE in run.notes
        with migrator.target.connect(target_db) as conn:
            counts = _schema_counts(conn)
        assert counts["tables"] == 5 and counts["keys"] == counts["indexes"] == 0
        checkpoint = migrator.schema_checkpoint()
        assert checkpoint.pre_data == "done" and not checkpoint.loaded and checkpoint.post_data == ""
    finally:
        _delete_dms(client, "runbook-sandbox-platform")
        migrator.drop_target()


def test_mongo_through_dms_builds_document_mode_endpoints_and_recreates_the_indexes(
    sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runbook_lib.clients import mongo_client
    from runbook_lib.migrate import at_scale
    from runbook_lib.migrate.at_scale.dms import DOCUMENTDB_TASK_SETTINGS, collection_mappings
    from runbook_lib.migrate.mongo import MongoMigrator
    from runbook_lib.sandbox.seed import MONGO_DATABASE

    mongo_target = f"{MONGO_DATABASE}_dms_{uuid.uuid4().hex[:6]}"
    params = _dms_params(tmp_path, monkeypatch, cdc=True, mongo_target=mongo_target)
    migrator = MongoMigrator.from_params(
        params,
        sandbox,
        checkpoint_dir=tmp_path / "checkpoints",
        progress=quiet_progress,
        target_endpoint=DOCDB_REPORTED,
    )
    assert isinstance(migrator, MongoMigrator)
    assert migrator.dms_uris == (sandbox.url("mongo-source"), f"mongodb://{DOCDB_REPORTED}/")
    client = aws_client("dms", endpoint_url=sandbox.url("aws"), region="eu-west-1", max_attempts=1)
    name = f"runbook-sandbox-mongo-{MONGO_DATABASE}"
    try:
        (run,) = at_scale.run_dms(params, "mongo", migrator, [], clients=lambda s: client, progress=quiet_progress)
        assert run.unit == f"{MONGO_DATABASE}->{mongo_target}" and run.status == "running"
        assert (
            at_scale.SANDBOX_MONGO_NOTE in run.notes and "4 secondary indexes created after the full load" in run.notes
        )
        endpoints = {e["EndpointIdentifier"]: e for e in client.describe_endpoints()["Endpoints"]}
        source, target = endpoints[f"{name}-src"], endpoints[f"{name}-tgt"]
        assert source["EngineName"] == "mongodb" and source["ServerName"] == "mongomock.sandbox.invalid"
        assert source["MongoDbSettings"]["NestingLevel"] == "none" and source["MongoDbSettings"]["AuthType"] == "no"
        assert target["EngineName"] == "docdb" and target["ServerName"] == DOCDB_REPORTED.split(":")[0]
        assert target["DocDbSettings"] == {
            "ServerName": DOCDB_REPORTED.split(":")[0],
            "Port": 27017,
            "DatabaseName": mongo_target,
        }
        task = client.describe_replication_tasks(Filters=[{"Name": "replication-task-arn", "Values": [run.task_arn]}])[
            "ReplicationTasks"
        ][0]
        assert json.loads(task["TableMappings"]) == collection_mappings(
            MONGO_DATABASE, ["devices", "sessions"], target_database=mongo_target
        )
        assert json.loads(task["ReplicationTaskSettings"]) == DOCUMENTDB_TASK_SETTINGS
        # the index step DMS leaves to us is real on the sandbox's DocumentDB stand-in; moto moved no documents
        report = migrator.verify()
        assert not any("index" in p for p in report.problems)
        assert {r.unit.split("->")[0]: (r.source_count, r.target_count) for r in report.rows} == {
            f"{MONGO_DATABASE}.devices": (1000, 0),
            f"{MONGO_DATABASE}.sessions": (2000, 0),
        }
    finally:
        _delete_dms(client, name)
        mongo_client(sandbox.url("mongo-target")).drop_database(mongo_target)
