"""Cutover against the sandbox: the go/no-go turns red when one target row is corrupted; a wave freezes the real
PostgreSQL source, syncs, verifies, switches the SSM parameter (moto) and unfreezes the target; the rollback
rehearsal switches back and proves the source takes writes again.

Each test works on scratch databases of its own (a small source on the source server, its copy on the target
server) and its own SSM prefix, and removes them afterwards: the seeded ``platform`` database is never frozen.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from fakes import quiet_progress
from pg_scratch import create_filled_database, drop_database

from runbook_lib.clients import aws_client
from runbook_lib.cutover.evidence_view import RunEvidence
from runbook_lib.cutover.freeze import PgDatabase, probe
from runbook_lib.cutover.gonogo import GoNoGo, GoNoGoRow, build_go_no_go
from runbook_lib.cutover.sequence import rehearse_rollback, run_wave
from runbook_lib.cutover.signoff import SignOff
from runbook_lib.cutover.steps import CutoverContext
from runbook_lib.cutover.switch import PRODUCERS, EndpointSwitch
from runbook_lib.errors import NoGoError
from runbook_lib.evidence import EvidenceLedger
from runbook_lib.migrate.postgres import PgEndpoint, PostgresMigrator
from runbook_lib.terraform.approval import DecisionLog

pytestmark = pytest.mark.integration

PHASES = ["02_data_lake_databases", "08_cutover"]  # 03_reverify joins when it starts


@pytest.fixture()
def pair(sandbox, tmp_path: Path):
    """A 40-row scratch source database and the migrator that moves it to a scratch target database."""
    source = PgEndpoint.from_dsn(sandbox.url("postgres-source", with_secret=True))
    target = PgEndpoint.from_dsn(sandbox.url("postgres-target", with_secret=True))
    name = f"it_cut_{uuid.uuid4().hex[:8]}"
    create_filled_database(source, name, "CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric)",
                           "INSERT INTO accounts SELECT g, 'owner-' || g, g * 1.5 FROM generate_series(1, 40) g")
    migrator = PostgresMigrator(
        sandbox.url("postgres-source", with_secret=True), sandbox.url("postgres-target", with_secret=True), name, 1,
        target_database=f"{name}_t", checkpoint_dir=tmp_path / "checkpoints", progress=quiet_progress)
    yield migrator
    drop_database(source, name, reset_read_only=True)
    drop_database(target, f"{name}_t")


def _record_green_others(ledger: EvidenceLedger) -> None:
    """The rows this test does not exercise (alarms, canary, cost) recorded green, so the verdict is the parity's."""
    ledger.record_table(None, "alarms", pd.DataFrame([{"alarm": "a", "state": "OK"}]))
    ledger.record_table(None, "canary", pd.DataFrame([{"path": "new", "success": 3, "errors": 0}]))
    ledger.record_table(None, "cost_estimate", pd.DataFrame([{"item": "rds", "monthly_usd": 1.0}]))


def _params() -> SimpleNamespace:
    return SimpleNamespace(migration=SimpleNamespace(postgres=[1]), terraform=SimpleNamespace(env_dir=None),
                           cost=SimpleNamespace(monthly_budget_usd=100.0))


def test_go_no_go_turns_red_when_one_target_row_is_corrupted(pair: PostgresMigrator, tmp_path: Path) -> None:
    ledger = EvidenceLedger("it-cutover", tmp_path / "outputs", phases=PHASES, html_export=False)
    ledger.start_phase("02_data_lake_databases")
    pair.copy()
    ledger.record_table(None, "postgres_verification", pair.verify().to_frame())
    _record_green_others(ledger)
    ledger.finish_phase("succeeded")
    before = build_go_no_go(RunEvidence(ledger.run_dir), _params(), phase="08_cutover", kinds=["postgres"])
    assert before.go, before.to_frame().to_string()

    with pair.target.connect(pair.target_database) as conn:  # one row of the target changes behind our back
        conn.execute("UPDATE accounts SET balance = balance + 0.01 WHERE id = 17")
    ledger.start_phase("03_reverify")
    report = pair.verify()
    ledger.record_table(None, "postgres_verification", report.to_frame())
    ledger.finish_phase("succeeded")
    after = build_go_no_go(RunEvidence(ledger.run_dir), _params(), phase="08_cutover", kinds=["postgres"])
    assert not after.go
    assert [r.check for r in after.red] == ["postgres parity (rows)"]
    row = after.red[0]
    assert "public.accounts" in row.detail and "1 differ" in row.detail
    assert row.source == "tables/03_reverify/postgres_verification.csv" and (ledger.run_dir / row.source).is_file()
    with pytest.raises(NoGoError):
        after.require_go()
    with pytest.raises(Exception, match="NO-GO"):
        SignOff(after, protected=False, decisions=DecisionLog()).approve("lead")


def test_wave_freezes_switches_and_the_rollback_rehearsal_proves_the_source(sandbox, pair: PostgresMigrator) -> None:
    pair.copy()
    ssm = aws_client("ssm", SimpleNamespace(region="eu-west-1", endpoint_url=sandbox.url("aws")))
    prefix = f"/it-{uuid.uuid4().hex[:6]}/{{env}}/endpoints"
    switch = EndpointSwitch(ssm, prefix, "sandbox")
    context = CutoverContext({"postgres": pair}, switch)
    table = GoNoGo("it", [GoNoGoRow("parity", "postgres parity (rows)", "green", "copied above", "tables/x.csv")])
    signoff = SignOff(table, protected=True, env="it", decisions=DecisionLog())
    signoff.approve("alice")
    signoff.approve("bob")
    source = PgDatabase(pair.source, pair.database, "source")
    target = PgDatabase(pair.target, pair.target_database, "target")
    try:
        wave = run_wave(context, ["postgres"], signoff, wave="1", timeout_s=300)
        assert wave.ok, wave.to_frame().to_string()
        assert [r.step for r in wave.results] == ["freeze writes on the source", "final incremental sync",
                                                 "verify again", "switch endpoints", "unfreeze on the target"]
        assert all(r.seconds >= 0 and r.started_at for r in wave.results)
        frozen = probe(source)
        assert not frozen.writable and frozen.readable and "read-only" in frozen.detail
        assert probe(target).writable
        assert switch.read("postgres")["side"] == "target"
        assert switch.read(PRODUCERS)["state"] == "running"

        rollback = rehearse_rollback(context, ["postgres"], timeout_s=300)
        assert rollback.ok, rollback.to_frame().to_string()
        assert probe(source).writable  # the source serves writes again
        assert switch.read("postgres")["side"] == "source"
        with pair.source.connect(pair.database) as conn:
            assert conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == 40  # and reads answer
    finally:
        switch.delete(["postgres", PRODUCERS])
