"""Staged producer cutover (runbook_lib.cutover.traffic) on moto's Lambda API in process (mock_aws): weights set
and read back, a failing gate rolls the alias back to the previous weight, every step recorded. The canary is a
stand-in report here (its real rounds are in tests/integration/test_staged_cutover.py)."""

from __future__ import annotations

import io
import zipfile

import boto3
import pytest
from moto import mock_aws

from runbook_lib.cutover.traffic import (
    AliasRouting,
    CutoverVersions,
    GateThresholds,
    resolve_versions,
    run_staged_cutover,
    stage_new_version,
)
from runbook_lib.errors import TrafficShiftError
from runbook_lib.health.canary import CanaryReport, EventOutcome

pytestmark = pytest.mark.unit

FN = "dmig-sandbox-ingest"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("h.py", "def h(event, context):\n    return 1\n")
    return buffer.getvalue()


@pytest.fixture()
def lam():
    with mock_aws():
        client = boto3.client("lambda", region_name="eu-west-1")
        role = boto3.client("iam", region_name="eu-west-1").create_role(
            RoleName="ingest", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        client.create_function(FunctionName=FN, Role=role, Runtime="python3.12", Handler="h.h",
                               Code={"ZipFile": _zip()}, Publish=True,
                               Environment={"Variables": {"INGEST_PATH_LABEL": "old"}})
        client.create_alias(FunctionName=FN, Name="live", FunctionVersion="1")
        yield client


def _report(errors: int, sent: int = 20) -> CanaryReport:
    outcomes = [EventOutcome(str(i), "new", 503 if i < errors else 202, 5.0, i >= errors, None) for i in range(sent)]
    return CanaryReport("sandbox", "2026-11-01T00:00:00+00:00", 0.1, outcomes)


def test_stage_new_version_publishes_and_restores_latest(lam) -> None:
    version = stage_new_version(lam, FN, {"INGEST_PATH_LABEL": "new"})
    assert version == "2"
    assert lam.get_function_configuration(FunctionName=FN, Qualifier="2")["Environment"]["Variables"] == {
        "INGEST_PATH_LABEL": "new"}
    assert lam.get_function_configuration(FunctionName=FN)["Environment"]["Variables"] == {"INGEST_PATH_LABEL": "old"}
    assert resolve_versions(AliasRouting(lam, FN)) == CutoverVersions("1", "2")


def test_resolve_versions_refuses_when_nothing_new(lam) -> None:
    with pytest.raises(TrafficShiftError, match=r"no published version .* \(alias on 1, published: 1\)") as info:
        resolve_versions(AliasRouting(lam, FN))
    assert "stack 03" in info.value.hint


def test_all_steps_hold_and_end_on_the_new_version(lam) -> None:
    versions = CutoverVersions("1", stage_new_version(lam, FN, {"INGEST_PATH_LABEL": "new"}))
    routing = AliasRouting(lam, FN)
    seen_weights: list[float] = []

    def canary(weight: float) -> CanaryReport:
        seen_weights.append(weight)
        state = routing.read()  # the weight is on the alias while the canary runs
        assert state.new_share_pct("2") == weight
        return _report(errors=0)

    recorded = []
    report = run_staged_cutover(routing, versions, steps_pct=[1, 10, 50, 100],
                                thresholds=GateThresholds(0.01, 1000), canary=canary, mirror_lag=0,
                                on_step=recorded.append)
    assert seen_weights == [1, 10, 50, 100]
    assert report.completed and report.final_pct == 100
    assert [s.applied_pct for s in report.steps] == [1, 10, 50, 100]
    assert recorded == report.steps
    alias = lam.get_alias(FunctionName=FN, Name="live")
    assert alias["FunctionVersion"] == "2"
    assert not (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights")


def test_failing_error_rate_rolls_back_to_the_previous_weight(lam) -> None:
    versions = CutoverVersions("1", stage_new_version(lam, FN, {"INGEST_PATH_LABEL": "new"}))
    routing = AliasRouting(lam, FN)
    report = run_staged_cutover(routing, versions, steps_pct=[1, 10, 50, 100],
                                thresholds=GateThresholds(0.01, 1000),
                                canary=lambda w: _report(errors=5 if w >= 50 else 0), mirror_lag=0)
    assert not report.completed
    assert [s.passed for s in report.steps] == [True, True, False]
    failed = report.steps[-1]
    assert failed.target_pct == 50 and failed.rolled_back_to_pct == 10 and failed.error_rate == 0.25
    assert "canary error rate 25.00% > 1.00%" in failed.reasons[0]
    alias = lam.get_alias(FunctionName=FN, Name="live")
    assert alias["FunctionVersion"] == "1"
    assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.1}
    assert report.final_pct == 10
    assert report.rows()[-1]["reasons"].startswith("canary error rate")


def test_mirror_lag_gate_on_the_first_step_goes_back_to_zero(lam) -> None:
    versions = CutoverVersions("1", stage_new_version(lam, FN, {"INGEST_PATH_LABEL": "new"}))
    lags = iter([5000.0])
    report = run_staged_cutover(AliasRouting(lam, FN), versions, steps_pct=[1, 100],
                                thresholds=GateThresholds(0.01, 1000), canary=lambda w: _report(0),
                                mirror_lag=lambda: next(lags))
    assert report.steps[0].reasons == ["mirror lag 5000 > 1000 records"]
    assert report.steps[0].rolled_back_to_pct == 0 and report.final_pct == 0
    alias = lam.get_alias(FunctionName=FN, Name="live")
    assert alias["FunctionVersion"] == "1" and not alias["RoutingConfig"]["AdditionalVersionWeights"]


def test_missing_alias_and_bad_weight_are_clear_errors(lam) -> None:
    with pytest.raises(TrafficShiftError, match="alias 'blue' .* does not exist"):
        AliasRouting(lam, FN, "blue").read()
    with pytest.raises(TrafficShiftError, match="150 % is not between 0 and 100"):
        AliasRouting(lam, FN).apply(CutoverVersions("1", "2"), 150)
