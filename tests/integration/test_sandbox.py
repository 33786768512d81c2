"""The sandbox with real parts: moto servers, PostgreSQL 15, Tansu brokers; mongomock is the one mock."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from runbook_lib import sandbox as sb
from runbook_lib.errors import PortInUseError, SandboxDownError
from runbook_lib.sandbox import services as svc

pytestmark = pytest.mark.integration


def runbook(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runbook_lib.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_status_json_lists_every_service_healthy_with_role_and_url(sandbox) -> None:
    result = runbook("sandbox", "status", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["healthy"] is True
    by_name = {s["name"]: s for s in report["services"]}
    assert set(by_name) == {name for name, *_ in sb.SERVICES}
    assert {s["role"] for s in report["services"]} == {"source", "target", "aws-stand-in"}
    assert by_name["postgres-source"]["url"].startswith("postgresql://postgres@127.0.0.1:")
    assert ":" not in by_name["postgres-source"]["url"].split("//")[1].split("@")[0]  # no password in status
    assert by_name["kafka-target"]["url"].startswith("kafka://127.0.0.1:")
    assert by_name["aws"]["url"].startswith("http://127.0.0.1:")
    assert by_name["mongo-source"]["mocked"] is True and by_name["mongo-source"]["url"].startswith("mongomock://")
    assert [s for s in report["services"] if s["mocked"]] == [by_name["mongo-source"], by_name["mongo-target"]]


def test_source_is_seeded_deterministically(sandbox) -> None:
    import boto3
    import psycopg
    from confluent_kafka import Consumer, TopicPartition

    from runbook_lib.clients import mongo_client
    from runbook_lib.sandbox import seed

    assert sandbox.seeded["postgres-source"] > 7000
    s3 = boto3.client(
        "s3",
        endpoint_url=sandbox.url("s3-source"),
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="raw") for o in page["Contents"]]
    for awkward in seed.AWKWARD_KEYS:
        assert awkward in keys
    with psycopg.connect(sandbox.url("postgres-source", with_secret=True, dbname="platform")) as conn:
        assert conn.execute("select count(*) from ingest.events").fetchone() == (5000,)
        dupes = conn.execute("select count(*) - count(distinct (actor, action, at)) from sales.audit_log").fetchone()
        assert dupes[0] == 30
    assert mongo_client(sandbox.url("mongo-source"))["events"]["sessions"].count_documents({}) == 2000
    consumer = Consumer(
        {"bootstrap.servers": sandbox.services["kafka-source"].address, "group.id": "t", "enable.auto.commit": False}
    )
    consumer.assign([TopicPartition("ingest.dlq", 0, 0)])
    seen = 0
    while (msg := consumer.poll(3)) is not None:
        assert msg.error() is None and msg.key().startswith(b"dev-")
        seen += 1
    consumer.close()
    assert seen == 50


def test_bindings_map_aws_endpoints_to_local_targets(sandbox) -> None:
    bindings = json.loads((Path(sandbox.root) / "bindings.json").read_text())
    assert bindings["rds"]["*"] == sandbox.services["postgres-target"].address
    assert bindings["msk"]["*"] == sandbox.services["kafka-target"].address
    assert bindings["docdb"]["*"] == sandbox.url("mongo-target")
    assert oct(os.stat(Path(sandbox.root) / "state.json").st_mode & 0o777) == "0o600"


def test_up_twice_is_safe_and_keeps_the_same_processes(sandbox) -> None:
    before = {n: s.pid for n, s in sandbox.services.items()}
    again = sb.up("small")
    assert {n: s.pid for n, s in again.services.items()} == before
    assert again.seeded == sandbox.seeded


def test_lifecycle_leaves_no_process_or_port_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNBOOK_SANDBOX_DIR", str(tmp_path / "sb"))
    state = sb.up("small", seed=False)
    pids = [s.pid for s in state.services.values() if s.pid]
    ports = [s.port for s in state.services.values() if s.port]
    assert len(pids) == 6 and all(svc.pid_alive(p) for p in pids)
    report = sb.down()
    assert sorted(report.stopped) == sorted(n for n, s in state.services.items() if s.pid)
    assert report.ports_still_listening == []
    assert not any(svc.pid_alive(p) for p in pids)
    assert not any(svc.port_is_listening(p) for p in ports)
    assert not (tmp_path / "sb").exists()
    with pytest.raises(SandboxDownError):
        sb.status()


def test_a_taken_port_is_a_one_line_error_naming_it(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(PortInUseError) as caught:
            svc.claim_port("aws", port)
        assert caught.value.port == port and str(port) in caught.value.one_line()
        result = runbook(
            "sandbox", "up", "--base-port", str(port), "--no-seed", env={"RUNBOOK_SANDBOX_DIR": str(tmp_path / "sb2")}
        )
    assert result.returncode == 5
    assert result.stderr.strip().count("\n") == 0 and f"port {port}" in result.stderr


def test_commands_while_down_say_how_to_fix(tmp_path: Path) -> None:
    result = runbook("sandbox", "status", env={"RUNBOOK_SANDBOX_DIR": str(tmp_path / "never")})
    assert result.returncode == 5 and "runbook sandbox up" in result.stderr


def test_unknown_scale_is_rejected_with_the_choices() -> None:
    result = runbook("sandbox", "up", "--scale", "huge")
    assert result.returncode == 2 and "small" in result.stderr and "large" in result.stderr
