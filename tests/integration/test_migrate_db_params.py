"""The PostgreSQL and MongoDB migrators built from params: ``runbook migrate {postgres,mongo} --env ...``.

A params file of the test's own (a copy of ``params/sandbox.yaml`` whose mappings name scratch
databases) goes in a temporary ``RUNBOOK_PARAMS_DIR``, so the CLI run writes only to databases the
test creates and drops. The RDS binding is exercised with an RDS instance created in the sandbox's
moto: ``from_params`` must follow its endpoint to the ``postgres-target`` service.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from runbook_lib.clients import aws_client, mongo_client
from runbook_lib.migrate.mongo import MongoMigrator
from runbook_lib.migrate.postgres import PgEndpoint, PostgresMigrator, quote_ident
from runbook_lib.params import load_params
from runbook_lib.paths import project_root

pytestmark = pytest.mark.integration


@pytest.fixture()
def scratch(sandbox, tmp_path: Path):
    """A scratch source database, a params dir whose mappings use it, and cleanup of both sides."""
    name = f"it_params_{uuid.uuid4().hex[:8]}"
    mongo_target = f"events_it_{uuid.uuid4().hex[:6]}"
    source = PgEndpoint.from_dsn(sandbox.url("postgres-source", with_secret=True))
    target = PgEndpoint.from_dsn(sandbox.url("postgres-target", with_secret=True))
    with source.connect("postgres") as conn:
        conn.execute(f"CREATE DATABASE {quote_ident(name)}")
    with source.connect(name) as conn:
        conn.execute("CREATE TABLE items (id bigserial PRIMARY KEY, label text NOT NULL)")
        conn.execute("INSERT INTO items (label) SELECT 'item ' || g FROM generate_series(1, 500) g")
    data = yaml.safe_load((project_root() / "params" / "sandbox.yaml").read_text())
    data["migration"]["postgres"] = [{**data["migration"]["postgres"][0], "name": name}]
    data["migration"]["mongo"] = [{**data["migration"]["mongo"][0], "target_name": mongo_target}]
    params_dir = tmp_path / "params"
    params_dir.mkdir()
    (params_dir / "sandbox.yaml").write_text(yaml.safe_dump(data))
    yield name, mongo_target, params_dir
    for endpoint in (source, target):
        with endpoint.connect("postgres") as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
    mongo_client(sandbox.url("mongo-target")).drop_database(mongo_target)


def _migrate(kind: str, checkpoints: Path, *extra: str, params_dir: Path) -> tuple[dict[str, Any], str]:
    """``runbook migrate KIND --env sandbox --json`` in a child with these params: its document and all it printed."""
    env = {**os.environ, "RUNBOOK_PARAMS_DIR": str(params_dir)}
    args = ["migrate", kind, "--env", "sandbox", "--json", *extra, "--checkpoint-dir", str(checkpoints)]
    result = subprocess.run(
        [sys.executable, "-m", "runbook_lib.cli", *args], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout), result.stdout + result.stderr


def test_cli_migrates_postgres_from_params_then_verifies_only(scratch, tmp_path: Path) -> None:
    name, _, params_dir = scratch
    document, first = _migrate("postgres", tmp_path / "checkpoints", params_dir=params_dir)
    assert document["ok"] is True and document["check"]["ok"] is True
    [row] = [r for r in document["verify"]["rows"] if r["unit"] == "public.items"]
    assert row["source_count"] == row["target_count"] == row["matched"] == 500
    again, printed = _migrate("postgres", tmp_path / "checkpoints", "--verify-only", params_dir=params_dir)
    assert again["verify"]["ok"] is True
    password = PgEndpoint.from_dsn(load_params_secret_dsn()).password
    assert password and password not in first + printed


def load_params_secret_dsn() -> str:
    from runbook_lib.sandbox import load_state

    return load_state().url("postgres-target", with_secret=True)


def test_cli_migrates_mongo_from_params(scratch, tmp_path: Path) -> None:
    _, mongo_target, params_dir = scratch
    document, _ = _migrate("mongo", tmp_path / "cp", params_dir=params_dir)
    assert document["ok"] is True
    units = {r["unit"]: r for r in document["verify"]["rows"]}
    assert units[f"events.devices->{mongo_target}.devices"]["matched"] == 1000


def test_from_params_follows_the_rds_endpoint_binding(sandbox, scratch, monkeypatch, tmp_path: Path, caplog) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="runbook_lib.migrate.postgres")
    name, _, params_dir = scratch
    monkeypatch.setenv("RUNBOOK_PARAMS_DIR", str(params_dir))
    params = load_params("sandbox")
    rds = aws_client("rds", endpoint_url=sandbox.url("aws"), region=params.aws.region, max_attempts=1)
    identifier = f"it-{uuid.uuid4().hex[:8]}"
    rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        EngineVersion="15.7",
        DBName=name,
        MasterUsername="runbook",
        MasterUserPassword="x" * 12,
        AllocatedStorage=20,
    )
    try:
        reported = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]["Endpoint"]
        assert "127.0.0.1" not in reported["Address"]  # moto reports an AWS-style name
        migrator = PostgresMigrator.from_params(params, sandbox, checkpoint_dir=tmp_path)
        assert isinstance(migrator, PostgresMigrator) and migrator.database == name
        assert f"RDS endpoint {reported['Address']}:{reported['Port']} binds to" in caplog.text
        target = sandbox.services["postgres-target"]
        assert f"{migrator.target.get('host')}:{migrator.target.get('port')}" == target.address
        assert migrator.check().ok
        explicit = PostgresMigrator.from_params(
            params,
            sandbox,
            checkpoint_dir=tmp_path,
            target_endpoint="other.cluster-x.eu-west-1.rds.amazonaws.com:5432",
        )
        assert f"{explicit.target.get('host')}:{explicit.target.get('port')}" == target.address
    finally:
        rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)
    mongo = MongoMigrator.from_params(params, sandbox, checkpoint_dir=tmp_path)
    assert isinstance(mongo, MongoMigrator) and mongo.databases[0].target.startswith("events_it_")
