"""StackPhase, the notebook steps of one Terraform stack: plan -> gate -> apply -> outputs -> verify.

The Terraform runner is a stand-in that returns saved plans (tests/fixtures/plans); parameters and the
evidence ledger are real, so what an auditor reads (plan sha256, gate decision, tables) is what is checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from runbook_lib.errors import PlanRejectedError, RunbookError
from runbook_lib.evidence import EvidenceLedger
from runbook_lib.params import load_params
from runbook_lib.phases.session import PhaseSession
from runbook_lib.phases.stack import StackPhase
from runbook_lib.terraform.approval import GateDecision
from runbook_lib.terraform.plan import load_plan_json
from runbook_lib.util import sha256_file

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
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
    runner = FakeRunner(FIXTURES / fixture, tmp_path)
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
