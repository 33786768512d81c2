"""StackPhase, the notebook steps of one Terraform stack: plan -> gate -> apply -> outputs -> verify.

The Terraform runner is a stand-in that returns saved plans (tests/fixtures/plans); parameters and the
evidence ledger are real, so what an auditor reads (plan sha256, gate decision, tables) is what is checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from fakes import PLAN_FIXTURES

from runbook_lib.errors import PlanRejectedError, RunbookError
from runbook_lib.evidence import EvidenceLedger
from runbook_lib.evidence.summary_html import render_summary
from runbook_lib.params import load_params
from runbook_lib.phases.session import PhaseSession
from runbook_lib.phases.stack import StackPhase
from runbook_lib.terraform.approval import GateDecision, PendingGate, require_approval
from runbook_lib.terraform.plan import load_plan_json
from runbook_lib.util import sha256_file

pytestmark = pytest.mark.unit

PHASE = "01_network_iam"


@dataclass
class FakeRunner:
    """Answers like TerraformRunner from a saved ``show -json`` fixture; records what it was asked."""

    plan_fixture: Path
    workdir: Path
    applied: list[Any] = field(default_factory=list)

    def plan(self, *, destroy: bool = False) -> Any:
        from runbook_lib.terraform.runner import PlanReview

        plan_path = self.workdir / "stack.tfplan"
        plan_path.write_bytes(self.plan_fixture.read_bytes())  # stands for the binary plan file
        sha = sha256_file(plan_path)
        plan = load_plan_json(self.plan_fixture, plan_sha256=sha)
        return PlanReview(plan=plan, plan_path=plan_path, plan_sha256=sha, stack_dir=self.workdir, destroy=destroy)

    def apply(self, review: Any, *, gate: Any) -> Any:
        self.applied.append((review.plan_sha256, gate))
        return _Applied(review.plan_sha256)

    def outputs(self) -> dict[str, Any]:
        from runbook_lib.terraform.runner import OutputValue

        return {
            "vpc_id": OutputValue("vpc_id", "vpc-123", "string", False),
            "db_password": OutputValue("db_password", "(sensitive)", "string", True),
        }


@dataclass
class _Applied:
    plan_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"plan_sha256": self.plan_sha256, "ok": True}

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{"address": "aws_vpc.this", "action": "create", "status": "complete"}])


@pytest.fixture()
def session(tmp_path: Path) -> PhaseSession:
    params = load_params("sandbox")
    ledger = EvidenceLedger("unit-stack", tmp_path / "outputs", params=params, phases=[PHASE])
    ledger.start_phase(PHASE)
    return PhaseSession(phase=PHASE, params=params, ledger=ledger, owns_phase=True)


def _phase(session: PhaseSession, tmp_path: Path, fixture: str) -> tuple[StackPhase, FakeRunner]:
    runner = FakeRunner(PLAN_FIXTURES / fixture, tmp_path)
    return StackPhase(session=session, stack=PHASE, runner=runner), runner  # type: ignore[arg-type]


def test_plan_records_the_saved_plan_hash_and_its_summary(session: PhaseSession, tmp_path: Path) -> None:
    phase, _ = _phase(session, tmp_path, "tf_data_create.json")
    frame = phase.plan()
    assert not frame.empty
    record = session.ledger.manifest.phases[PHASE]
    (plan,) = record.plans
    assert plan.sha256 == phase.review.plan_sha256 == sha256_file(tmp_path / "stack.tfplan")
    assert any(t.name == f"{PHASE}_plan_by_action" for t in record.tables)
    assert set(phase.changes().columns) == {"key", "type", "action"}


def test_headless_gate_approves_within_the_policy_and_apply_gets_that_decision(
    session: PhaseSession, tmp_path: Path
) -> None:
    phase, runner = _phase(session, tmp_path, "tf_data_create.json")
    phase.plan()
    decision = phase.request_approval()
    assert isinstance(decision, GateDecision) and decision.approved
    assert decision.plan_sha256 == phase.review.plan_sha256
    (gate,) = session.ledger.manifest.phases[PHASE].gates
    assert gate["approved"] and gate["plan_sha256"] == phase.review.plan_sha256
    assert gate["decided_by"] == "policy:sandbox-policy"
    phase.apply()
    assert runner.applied == [(phase.review.plan_sha256, decision)]
    assert any(t.name == f"{PHASE}_apply" for t in session.ledger.manifest.phases[PHASE].tables)


def test_a_delete_outside_the_policy_is_refused_recorded_and_never_applied(
    session: PhaseSession, tmp_path: Path
) -> None:
    """The sandbox policy auto-approves no-op/read/create/update only: a destroy plan must stop at the gate."""
    phase, runner = _phase(session, tmp_path, "tf_data_destroy.json")
    phase.plan(destroy=True)
    with pytest.raises(PlanRejectedError):
        phase.request_approval()
    (gate,) = session.ledger.manifest.phases[PHASE].gates
    assert not gate["approved"] and gate["gate"] == f"{PHASE}-destroy"
    assert runner.applied == []


def test_outputs_table_masks_sensitive_values(session: PhaseSession, tmp_path: Path) -> None:
    phase, _ = _phase(session, tmp_path, "tf_data_create.json")
    frame = phase.read_outputs()
    rows = {r["output"]: r for r in frame.to_dict("records")}
    assert rows["db_password"]["sensitive"] and rows["db_password"]["value"] == "(sensitive)"
    assert rows["vpc_id"]["value"] == "vpc-123"


def test_verify_records_the_table_before_it_raises(
    session: PhaseSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    @dataclass
    class _Row:
        address: str
        check: str

    class _Failed:
        ok = False

        def to_frame(self) -> Any:
            return pd.DataFrame([{"address": "aws_s3_bucket.this", "check": "versioning", "status": "failed"}])

        def failures(self) -> list[_Row]:
            return [_Row("aws_s3_bucket.this", "versioning")]

    monkeypatch.setattr("runbook_lib.infra.verify.verify_stack", lambda *a, **k: _Failed())
    phase, _ = _phase(session, tmp_path, "tf_data_create.json")
    with pytest.raises(RunbookError, match="1 verification checks failed: aws_s3_bucket.this versioning"):
        phase.verify()
    assert any(t.name == f"{PHASE}_verification" for t in session.ledger.manifest.phases[PHASE].tables)


def test_steps_out_of_order_are_refused(session: PhaseSession, tmp_path: Path) -> None:
    phase, runner = _phase(session, tmp_path, "tf_data_create.json")
    with pytest.raises(AssertionError, match="plan"):
        phase.apply()
    assert runner.applied == []


@pytest.mark.parametrize("mode", ["interactive", "headless"])
def test_a_plan_with_no_changes_passes_its_gate_without_a_click_and_is_recorded_so(
    session: PhaseSession, tmp_path: Path, mode: str
) -> None:
    """Re-running a phase: the stack's plan changes nothing, so its gate asks no one (as Terraform), and says so."""
    gates = session.params.gates.model_copy(update={"mode": mode})
    session = replace(session, params=session.params.model_copy(update={"gates": gates}))
    fixture = tmp_path / f"noop-{mode}.json"  # a plan file of its own per case: its own sha256
    fixture.write_text(json.dumps({**json.loads((PLAN_FIXTURES / "tf_data_noop.json").read_text()), "timestamp": mode}))
    runner = FakeRunner(fixture, tmp_path)
    phase = StackPhase(session=session, stack=PHASE, runner=runner)  # type: ignore[arg-type]
    phase.plan()
    gate = phase.request_approval()
    decision = gate.decision if isinstance(gate, PendingGate) else gate
    assert decision is not None and decision.approved
    assert (decision.mode, decision.decided_by) == ("no-changes", "nothing to apply")
    assert require_approval(gate, phase.review) is decision  # what TerraformRunner.apply checks first: no click
    phase.apply()
    assert runner.applied == [(phase.review.plan_sha256, gate)]
    (recorded,) = session.ledger.manifest.phases[PHASE].gates
    assert recorded["approved"] is True and recorded["mode"] == "no-changes"
    assert recorded["plan_sha256"] == phase.review.plan_sha256
    # The auditor's summary lists it with the approved gates, decided by "nothing to apply".
    summary = render_summary(session.ledger.manifest)
    row = next(r for r in summary.split("<tr>") if f"{PHASE}-apply" in r)
    assert ">approved<" in row and "nothing to apply" in row
