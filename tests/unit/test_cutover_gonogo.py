"""runbook_lib.cutover: the go/no-go read from a run folder's evidence, the sign-off, the progressive plan."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from runbook_lib.cutover.evidence_view import RunEvidence
from runbook_lib.cutover.gonogo import GoNoGo, GoNoGoRow, build_go_no_go
from runbook_lib.cutover.sequence import plan_waves
from runbook_lib.cutover.signoff import SignOff
from runbook_lib.errors import NoGoError, ParamsError, SignOffError
from runbook_lib.evidence import EvidenceLedger
from runbook_lib.terraform.approval import NO_CHANGES_MODE, NOTHING_TO_APPLY, DecisionLog, GateDecision

pytestmark = pytest.mark.unit

PHASES = ["01_network_iam", "02_data_lake_databases", "07_health", "08_cutover"]


def _params(tmp_path: Path, *, budget: float | None = 200.0) -> SimpleNamespace:
    env_dir = tmp_path / "env"
    env_dir.mkdir(exist_ok=True)
    (env_dir / "05_orchestration_observability.tfvars").write_text("monthly_budget_usd = 150\n")
    return SimpleNamespace(
        migration=SimpleNamespace(s3=[object()], postgres=[object()], mongo=[], kafka=[]),
        terraform=SimpleNamespace(env_dir=env_dir),
        cost=SimpleNamespace(monthly_budget_usd=budget),
    )


def _verify_rows(ok: bool = True) -> pd.DataFrame:
    return pd.DataFrame([
        {"unit": "sales.orders", "source_count": 10, "target_count": 10, "matched": 10 if ok else 9, "missing": 0,
         "mismatched": 0 if ok else 1, "extra": 0, "source_checksum": "a", "target_checksum": "a" if ok else "b",
         "bytes": 0, "ok": ok},
    ])


def _green_run(tmp_path: Path) -> EvidenceLedger:
    ledger = EvidenceLedger("run-1", tmp_path / "outputs", phases=PHASES, html_export=False)
    ledger.start_phase("01_network_iam")
    ledger.record_apply({"status": "applied"}, stack="01_network_iam")
    ledger.record_table(None, "01_network_iam_verification", pd.DataFrame(
        [{"address": "aws_vpc.this", "check": "exists", "ok": True}, {"address": "aws_x.y", "check": "w", "ok": None}]))
    ledger.record_table(None, "01_network_iam_drift", pd.DataFrame(columns=["address", "type", "action"]))
    ledger.finish_phase("succeeded")
    ledger.start_phase("02_data_lake_databases")
    ledger.record_table(None, "s3_verification", _verify_rows())
    ledger.record_table(None, "postgres_verification", _verify_rows())
    ledger.finish_phase("succeeded")
    ledger.start_phase("07_health")
    ledger.record_table(None, "alarms", pd.DataFrame([{"alarm": "ingest-5xx", "state": "OK"}]))
    ledger.record_table(None, "canary", pd.DataFrame([{"path": "old", "success": 5, "errors": 0},
                                                       {"path": "new", "success": 5, "errors": 0}]))
    ledger.record_table(None, "cost_estimate", pd.DataFrame([{"item": "rds", "monthly_usd": 90.0},
                                                              {"item": "s3", "monthly_usd": 10.0},
                                                              {"item": "total", "monthly_usd": 100.0}]))
    ledger.finish_phase("succeeded")
    return ledger


def _table(ledger: EvidenceLedger, params: SimpleNamespace) -> GoNoGo:
    return build_go_no_go(RunEvidence(ledger.run_dir), params, phase="08_cutover")


def test_all_green_is_go_and_every_row_names_its_source(tmp_path: Path) -> None:
    ledger = _green_run(tmp_path)
    table = _table(ledger, _params(tmp_path))
    assert table.go, table.to_frame().to_string()
    areas = {r.area for r in table.rows}
    assert {"phase", "verification", "drift", "parity", "alarms", "canary", "cost"} <= areas
    for row in table.rows:
        if row.area not in ("phase",):
            assert (ledger.run_dir / row.source).is_file(), row
    cost = next(r for r in table.rows if r.area == "cost")
    assert "USD 100.00" in cost.detail and "200.00" in cost.detail  # the 'total' row is not counted twice
    table.require_go()


def test_one_red_verification_row_makes_it_no_go(tmp_path: Path) -> None:
    ledger = _green_run(tmp_path)
    ledger.start_phase("02_data_lake_databases")  # a re-run whose verification found one differing row
    ledger.record_table(None, "s3_verification", _verify_rows())
    ledger.record_table(None, "postgres_verification", _verify_rows(ok=False))
    ledger.finish_phase("failed", "one row differs")
    table = _table(ledger, _params(tmp_path))
    assert not table.go
    red = {r.check: r for r in table.red}
    parity = red["postgres parity (rows)"]
    assert parity.source.endswith("postgres_verification.csv") and "sales.orders" in parity.detail
    with pytest.raises(NoGoError, match="postgres parity"):
        table.require_go()


def test_missing_sources_are_red_never_green(tmp_path: Path) -> None:
    ledger = EvidenceLedger("run-2", tmp_path / "outputs", phases=PHASES, html_export=False)
    ledger.start_phase("02_data_lake_databases")
    ledger.record_table(None, "s3_verification", _verify_rows())
    ledger.finish_phase("succeeded")
    table = _table(ledger, _params(tmp_path))
    missing = {r.check for r in table.red if r.detail.startswith("missing")}
    assert {"postgres parity (rows)", "alarms", "canary on the new path", "cost estimate vs budget"} <= missing
    assert any(r.check == "phase 01_network_iam" and r.detail == "pending" for r in table.red)


def test_firing_alarm_failing_canary_and_over_budget_are_red(tmp_path: Path) -> None:
    ledger = _green_run(tmp_path)
    ledger.start_phase("07_health")
    ledger.record_table(None, "alarms", pd.DataFrame([{"alarm": "ingest-5xx", "state": "ALARM"}]))
    ledger.record_table(None, "canary", pd.DataFrame([{"path": "new", "success": 4, "errors": 1}]))
    ledger.record_table(None, "cost_estimate", pd.DataFrame([{"item": "rds", "monthly_usd": 180.0}]))
    ledger.finish_phase("succeeded")
    table = _table(ledger, _params(tmp_path, budget=None))  # budget from the tfvars: 150
    red = {r.area: r for r in table.red}
    assert set(red) == {"alarms", "canary", "cost"}
    assert "ingest-5xx" in red["alarms"].detail and "150.00" in red["cost"].detail


def _go() -> GoNoGo:
    return GoNoGo("run", [GoNoGoRow("parity", "postgres parity (rows)", "green", "ok", "tables/x.csv")])


def test_protected_env_needs_two_distinct_approvers() -> None:
    signoff = SignOff(_go(), protected=True, env="prod", decisions=DecisionLog())
    signoff.approve("Alice")
    with pytest.raises(SignOffError, match="signed by 1 of the 2"):
        signoff.require_complete()
    with pytest.raises(SignOffError, match="already approved"):
        signoff.approve("alice ")  # the same person, whatever the case or spaces
    assert not signoff.complete
    signoff.approve("Bob")
    assert signoff.complete and signoff.approvers == ["Alice", "Bob"]
    assert all(a.plan_sha256 == _go().digest() for a in signoff.approvals)


def test_sign_off_refuses_no_go_headless_protected_and_a_changed_table() -> None:
    red = GoNoGo("run", [GoNoGoRow("alarms", "alarms", "red", "firing", "tables/a.csv")])
    with pytest.raises(SignOffError, match="NO-GO"):
        SignOff(red, protected=False, decisions=DecisionLog()).approve("Alice")
    with pytest.raises(SignOffError, match="protected"):
        SignOff(_go(), protected=True, env="prod", decisions=DecisionLog()).approve_from_params(
            ["Alice", "Bob"], gates_mode="headless")
    signoff = SignOff(_go(), protected=False, env="sandbox", decisions=DecisionLog())
    signoff.approve_from_params(["lead"], gates_mode="headless")
    signoff.require_complete(_go())
    changed = GoNoGo("run", [*_go().rows, GoNoGoRow("cost", "cost", "green", "ok", "t.csv")])
    with pytest.raises(SignOffError, match="changed after it was signed"):
        signoff.require_complete(changed)


def test_progressive_plan_moves_one_pipeline_first() -> None:
    assert plan_waves(["s3", "postgres", "mongo"], "postgres") == [["postgres"], ["s3", "mongo"]]
    assert plan_waves(["s3"]) == [["s3"]]
    with pytest.raises(ParamsError, match="cutover.first_pipeline"):
        plan_waves(["s3", "postgres"], "kafka")


def test_index_summary_tells_what_moved_who_decided_and_how_long(tmp_path: Path) -> None:
    ledger = _green_run(tmp_path)
    ledger.start_phase("08_cutover")
    table = _table(ledger, _params(tmp_path))
    ledger.record_table(None, "go_no_go", table.to_frame())
    ledger.record_gate({"gate": "cutover-sign-off", "approved": True, "decided_by": "Alice",
                        "plan_sha256": table.digest()})
    ledger.finish_phase("succeeded")
    page = (ledger.run_dir / "index.html").read_text()
    summary = page[page.index('<section id="summary">'):page.index("</section>")]
    assert "10 rows" in summary and "10 objects" in summary and "DIFFERS" not in summary  # postgres and s3 parity
    assert ">GO<" in summary and "Alice" in summary and "USD 100.00 per month" in summary
    assert '<svg id="phase-times"' in summary and "08_cutover" in summary
    assert "no DR drill in this run" in summary
    for href in __import__("re").findall(r'href="([^"]+)"', summary):
        assert (ledger.run_dir / href).is_file(), href


def test_reads_phase_07s_own_tables_canary_metrics_and_estimate(tmp_path: Path) -> None:
    """Phase 07 records ``health_metrics`` (canary series among them) and ``cost_estimate_vs_actual``."""
    ledger = _green_run(tmp_path)
    ledger.start_phase("07_health")
    ledger.record_table(None, "alarms", pd.DataFrame([{"alarm": "ingest-5xx", "state": "OK", "colour": "green"}]))
    metrics = [{"phase": "canary", "metric": "SuccessCount", "dimensions": "Env=sandbox, Path=new", "last": 12.0},
               {"phase": "canary", "metric": "ErrorCount", "dimensions": "Env=sandbox, Path=new", "last": 0.0}]
    ledger.record_table(None, "health_metrics", pd.DataFrame(metrics))
    ledger.record_table(None, "cost_estimate_vs_actual", pd.DataFrame([{"estimate_usd_month": 120.5}]))
    ledger.finish_phase("succeeded")
    table = _table(ledger, _params(tmp_path))
    assert table.go, table.to_frame().to_string()
    canary = next(r for r in table.rows if r.area == "canary")
    assert canary.source.endswith("health_metrics.csv") and "12 events" in canary.detail
    assert "USD 120.50" in next(r for r in table.rows if r.area == "cost").detail

    ledger.start_phase("07_health")  # the canary published nothing: no data is red, never green
    ledger.record_table(None, "alarms", pd.DataFrame([{"alarm": "ingest-5xx", "state": "OK"}]))
    ledger.record_table(None, "health_metrics", pd.DataFrame([{**metrics[0], "last": None}]))
    ledger.record_table(None, "cost_estimate_vs_actual", pd.DataFrame([{"estimate_usd_month": 120.5}]))
    ledger.finish_phase("succeeded")
    red = {r.area: r for r in _table(ledger, _params(tmp_path)).red}
    assert set(red) == {"canary"} and "no data" in red["canary"].detail


def test_a_waived_check_is_green_and_says_why(tmp_path: Path) -> None:
    ledger = _green_run(tmp_path)
    ledger.start_phase("01_network_iam")
    ledger.record_apply({"status": "applied"}, stack="01_network_iam")
    ledger.record_table(None, "01_network_iam_verification", pd.DataFrame([{"address": "a", "check": "c", "ok": True}]))
    drifted = pd.DataFrame([{"address": "aws_s3_bucket.x", "changed": "policy"}])
    ledger.record_table(None, "01_network_iam_drift", drifted)
    ledger.finish_phase("succeeded")
    params = _params(tmp_path)
    assert [r.check for r in _table(ledger, params).red] == ["drift of 01_network_iam"]
    params.cutover = SimpleNamespace(waived_checks=[SimpleNamespace(check="drift of 01_network_iam",
                                                                    reason="moto does not store bucket policies")])
    table = _table(ledger, params)
    assert table.go
    drift = next(r for r in table.rows if r.check == "drift of 01_network_iam")
    assert drift.detail.startswith("WAIVED") and "moto does not store" in drift.detail
    assert "aws_s3_bucket.x" in drift.detail  # what was waived stays visible



def test_a_gate_passed_because_nothing_changed_counts_as_approved(tmp_path: Path) -> None:
    """A re-run whose stack plan changes nothing: its gate asked no one, and reads as approved everywhere."""
    ledger = _green_run(tmp_path)
    ledger.start_phase("01_network_iam")
    passed = GateDecision("01_network_iam-apply", True, NOTHING_TO_APPLY, "2026-01-01T00:00:00Z", "ab" * 32,
                          "the plan changes no resource and no output", {"no-op": 3}, mode=NO_CHANGES_MODE)
    ledger.record_gate(passed.to_dict())
    ledger.record_apply({"status": "applied"}, stack="01_network_iam")
    ledger.record_table(None, "01_network_iam_verification", pd.DataFrame([{"address": "a", "check": "c", "ok": True}]))
    ledger.record_table(None, "01_network_iam_drift", pd.DataFrame(columns=["address", "type", "action"]))
    ledger.finish_phase("succeeded")
    assert _table(ledger, _params(tmp_path)).go
    page = (ledger.run_dir / "index.html").read_text()
    summary = page[page.index('<section id="summary">'):page.index("</section>")]
    row = next(r for r in summary.split("<tr>") if "01_network_iam-apply" in r)
    assert ">approved<" in row and NOTHING_TO_APPLY in row

class _Session:
    """The phase session's surface CutoverPhase uses (params, ledger, phase, table, chart, gate)."""

    def __init__(self, ledger: EvidenceLedger, params: SimpleNamespace) -> None:
        self.ledger, self.params, self.phase = ledger, params, "08_cutover"

    def table(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        self.ledger.record_table(self.phase, name, frame)
        return frame

    def gate(self, decision: dict) -> None:
        self.ledger.record_gate(decision, phase=self.phase)


def test_phase_08_records_go_no_go_sign_off_and_plan(tmp_path: Path) -> None:
    from runbook_lib.cutover.notebook import CutoverPhase

    ledger = _green_run(tmp_path)
    ledger.start_phase("08_cutover")
    params = _params(tmp_path)
    params.env, params.protected = "sandbox", False
    params.gates = SimpleNamespace(mode="headless")
    params.cutover = SimpleNamespace(approvers=["lead"], first_pipeline="postgres", waived_checks=[])
    phase = CutoverPhase.open(_Session(ledger, params))
    assert set(phase.go_no_go()["status"]) == {"green"}
    phase.require_go()
    assert list(phase.sign_off()["approver"]) == ["lead"]
    assert list(phase.plan()["pipelines"].unique()) == ["postgres", "s3"]
    record = ledger.phase("08_cutover")
    assert {t.name for t in record.tables} == {"go_no_go", "cutover_sign_off", "cutover_plan"}
    assert [(g["gate"], g["approved"], g["decided_by"]) for g in record.gates] == [
        ("go-no-go", True, "evidence"), ("cutover-sign-off", True, "lead")]
