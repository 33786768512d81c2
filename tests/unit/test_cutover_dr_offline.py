"""Offline parts of cutover and DR: the SSM switch and S3 point-in-time restore on moto (mock_aws), a failing step
rolling its wave back, the drill's verdict against its targets, and the new params sections."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from runbook_lib.cutover import sequence, steps
from runbook_lib.cutover.gonogo import GoNoGo, GoNoGoRow
from runbook_lib.cutover.signoff import SignOff
from runbook_lib.cutover.switch import Binding, EndpointSwitch
from runbook_lib.dr.drill import DrillResult
from runbook_lib.dr.objects import S3Drill, replication_rows
from runbook_lib.errors import CutoverError, DrillError, ParamsError, RecoveryTargetMissedError, SignOffError
from runbook_lib.params import parse_params
from runbook_lib.terraform.approval import DecisionLog
from tests.fakes import mocked_aws

pytestmark = pytest.mark.unit


def test_switch_writes_reads_back_and_switches_back(monkeypatch: pytest.MonkeyPatch) -> None:
    with mocked_aws(monkeypatch):
        switch = EndpointSwitch(boto3.client("ssm"), "/runbook/{env}/endpoints", "sandbox")
        binding = Binding("postgres", "10.0.0.5:5432/platform", "db.rds.amazonaws.com:5432/platform")
        forward = switch.point(binding, "target")
        assert forward.parameter == "/runbook/sandbox/endpoints/postgres" and forward.previous_side is None
        assert switch.read("postgres")["endpoint"] == binding.target
        back = switch.point(binding, "source")
        assert back.previous_side == "target" and back.version == forward.version + 1
        assert switch.read("postgres")["side"] == "source"
        assert switch.set_producers("paused").side == "paused"
        with pytest.raises(CutoverError, match="unknown side"):
            switch.point(binding, "sideways")


class _Step(steps.Step):
    calls: list[str] = []

    def run(self, ctx: Any) -> str:
        _Step.calls.append(self.name)
        return "ok"


def _named(name: str, fail: bool = False) -> type[steps.Step]:
    def run(self: Any, ctx: Any) -> str:
        _Step.calls.append(name)
        if fail:
            raise CutoverError(f"{name} broke")
        return "ok"

    return type(name.replace(" ", "_"), (steps.Step,), {"name": name, "gate": "before", "run": run})


def test_a_failing_step_stops_the_wave_and_rolls_it_back(monkeypatch: pytest.MonkeyPatch) -> None:
    _Step.calls = []
    monkeypatch.setattr(sequence, "CUTOVER_STEPS", (_named("freeze"), _named("sync", fail=True), _named("switch")))
    monkeypatch.setattr(sequence, "ROLLBACK_STEPS", (_named("switch back"), _named("unfreeze source")))
    table = GoNoGo("run", [GoNoGoRow("parity", "p", "green", "ok", "t.csv")])
    signoff = SignOff(table, protected=False, decisions=DecisionLog())
    with pytest.raises(SignOffError):
        sequence.run_wave(None, ["postgres"], signoff)  # type: ignore[arg-type]
    assert _Step.calls == []  # nothing ran without the sign-off
    signoff.approve("lead")
    with pytest.raises(CutoverError, match="wave 1") as caught:
        sequence.run_wave(None, ["postgres"], signoff)  # type: ignore[arg-type]
    report = caught.value.report  # type: ignore[attr-defined]
    assert [(r.step, r.status) for r in report.results] == [
        ("freeze", "done"), ("sync", "failed"), ("switch", "not run"), ("switch back", "done"),
        ("unfreeze source", "done")]
    assert _Step.calls == ["freeze", "sync", "switch back", "unfreeze source"]
    assert all(r.started_at for r in report.results if r.status != "not run")


def test_s3_point_in_time_restore_from_versions_leaves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    with mocked_aws(monkeypatch):
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="lake", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        drill = S3Drill(s3, "lake", "abc123", objects=4)
        with pytest.raises(DrillError, match="not versioned"):
            drill.prepare()
        s3.put_bucket_versioning(Bucket="lake", VersioningConfiguration={"Status": "Enabled"})
        drill.prepare()
        moment = datetime.now(UTC)
        assert drill.strike(after=moment) == 4
        rows, _ = drill.verify()
        assert not any(r["ok"] for r in rows)  # the disaster hit every object
        assert drill.restore(moment) == 4
        rows, _ = drill.verify()
        assert all(r["ok"] for r in rows), rows
        assert drill.cleanup() > 0 and drill.leftovers() == []
        assert replication_rows(s3, ["lake"], required=True)[0]["ok"] is False
        assert replication_rows(s3, ["lake"], required=False)[0]["replication"] == "not configured"


def test_drill_verdict_against_targets() -> None:
    result = DrillResult("x", rpo_target_s=5, rto_target_s=60, verification=[{"unit": "t", "ok": True}],
                         rpo_s=3.2, rto_s=12.0)
    result.require_ok()
    tight = DrillResult("x", rpo_target_s=1, rto_target_s=10, verification=[{"unit": "t", "ok": True}],
                        rpo_s=3.2, rto_s=12.0)
    with pytest.raises(RecoveryTargetMissedError, match="RPO 3.2 s > target 1 s; RTO 12.0 s > target 10 s"):
        tight.require_ok()
    leftover = DrillResult("x", 5, 60, verification=[{"unit": "t", "ok": True}], rpo_s=1, rto_s=1,
                           leftovers=["database platform_drill_x"])
    with pytest.raises(DrillError, match="left things behind"):
        leftover.require_ok()
    unmeasured = DrillResult("x", 5, 60, verification=[{"unit": "t", "ok": True}], rpo_s=None, rto_s=1)
    assert "RPO" in unmeasured.missed


BASE = {"env": "sandbox", "aws": {"region": "eu-west-1", "endpoint_url": "sandbox"}}


def test_params_sections_are_strict() -> None:
    params = parse_params({**BASE, "dr": {"rpo_target_s": 10, "rto_target_s": 120}})
    assert params.dr.heartbeat_interval_s == 1.0 and params.cutover.rollback_rehearsal
    with pytest.raises(ParamsError, match="dr.rpo_target_s"):
        parse_params({**BASE, "dr": {"rto_target_s": 120}})
    with pytest.raises(ParamsError, match="dr.disaster_after_s"):
        parse_params({**BASE, "dr": {"rpo_target_s": 1, "rto_target_s": 1, "disaster_after_s": 0.5}})
    with pytest.raises(ParamsError, match="cutover.approvers"):
        parse_params({**BASE, "cutover": {"approvers": ["Alice", "alice"]}})
    with pytest.raises(ParamsError, match="cutover.first_pipeline"):
        parse_params({**BASE, "cutover": {"first_pipeline": "redis"}})
    with pytest.raises(ParamsError, match=r"cutover.waived_checks\[0\].check"):
        parse_params({**BASE, "cutover": {"waived_checks": [{"check": "postgres parity (rows)",
                                                             "reason": "we trust the copy, honestly"}]}})
    with pytest.raises(ParamsError, match="cutover.rolback"):
        parse_params({**BASE, "cutover": {"rolback": True}})
