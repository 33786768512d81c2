"""Timeouts stop a command politely (SIGINT, SIGTERM, then SIGKILL), and a stopped apply leaves evidence.

Terraform saves its state and releases its state lock on SIGINT; SIGKILL leaves the lock held and the
resources it created unrecorded (the cause of a destroy that later found its stack locked).
"""

from __future__ import annotations

import json
import stat
import sys
import time
from pathlib import Path

import pytest
from fakes import PLAN_FIXTURES

from runbook_lib.errors import ApplyFailedError, CommandError, TerraformError
from runbook_lib.evidence import EvidenceLedger
from runbook_lib.params import load_params
from runbook_lib.phases.session import PhaseSession
from runbook_lib.phases.stack import StackPhase
from runbook_lib.process import run_command
from runbook_lib.terraform.approval import DecisionLog, headless_gate
from runbook_lib.terraform.runner import TerraformRunner

pytestmark = pytest.mark.unit

ALL_ACTIONS = ["no-op", "create", "read", "update", "delete", "replace"]

TRAPS = """
import signal, sys, time
marker = sys.argv[1]
def on(signum, frame):
    open(marker, "a").write(signal.Signals(signum).name + "\\n")
    if signum in {exits}:
        sys.exit(3)
for name in {traps}:
    signal.signal(getattr(signal, name), on)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def _script(tmp_path: Path, traps: list[str], exits_on: list[str]) -> list[str]:
    import signal

    script = tmp_path / "traps.py"
    exits = {int(getattr(signal, name)) for name in exits_on}
    script.write_text(TRAPS.format(traps=traps, exits=exits or "set()"))
    return [sys.executable, str(script), str(tmp_path / "signals.txt")]


def _run_until_ready(command: list[str], **kwargs) -> CommandError:
    """Run with a 1 s timeout (the script installs its handlers well before)."""
    with pytest.raises(CommandError) as caught:
        run_command(command, timeout=1.0, **kwargs)
    return caught.value


def test_a_timeout_sends_sigint_first_and_the_command_stops_cleanly(tmp_path: Path) -> None:
    command = _script(tmp_path, ["SIGINT"], ["SIGINT"])
    started = time.monotonic()
    error = _run_until_ready(command, interrupt_grace_s=20, terminate_grace_s=20)
    assert (tmp_path / "signals.txt").read_text().split() == ["SIGINT"]
    assert error.stopped_with == "SIGINT" and error.timed_out_after == 1.0
    assert error.returncode == 3  # the command's own exit after handling SIGINT, not -9
    assert "timed out after 1.0s; stopped with SIGINT" in error.stderr
    assert time.monotonic() - started < 15


def test_a_command_that_ignores_sigint_gets_sigterm_after_the_grace(tmp_path: Path) -> None:
    command = _script(tmp_path, ["SIGINT", "SIGTERM"], ["SIGTERM"])
    started = time.monotonic()
    error = _run_until_ready(command, interrupt_grace_s=1.0, terminate_grace_s=20)
    assert (tmp_path / "signals.txt").read_text().split() == ["SIGINT", "SIGTERM"]
    assert error.stopped_with == "SIGTERM" and error.returncode == 3
    assert time.monotonic() - started >= 2.0  # the timeout, then the whole SIGINT grace


def test_sigkill_is_the_last_resort(tmp_path: Path) -> None:
    command = _script(tmp_path, ["SIGINT", "SIGTERM"], [])
    error = _run_until_ready(command, interrupt_grace_s=0.5, terminate_grace_s=0.5)
    assert (tmp_path / "signals.txt").read_text().split() == ["SIGINT", "SIGTERM"]
    assert error.stopped_with == "SIGKILL" and error.returncode == -9


def test_the_error_class_asked_for_is_raised_with_the_timeout(tmp_path: Path) -> None:
    command = _script(tmp_path, ["SIGINT"], ["SIGINT"])
    error = _run_until_ready(command, error_cls=TerraformError)
    assert isinstance(error, TerraformError) and error.timed_out_after == 1.0


# -- an apply that runs past its timeout ---------------------------------------------------------------
@pytest.fixture
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "bin" / "terraform"
    path.parent.mkdir()
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{PLAN_FIXTURES / "fake_terraform.py"}" "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    # Half an apply: two resources complete, a third has started when the timeout comes.
    lines = (PLAN_FIXTURES / "apply_ok.jsonl").read_text().splitlines()
    partial = [ln for ln in lines if json.loads(ln)["type"] in ("version", "planned_change")]
    hooks = [ln for ln in lines if json.loads(ln)["type"] in ("apply_start", "apply_complete")]
    (tmp_path / "partial.jsonl").write_text("\n".join([*partial, *hooks[:5]]) + "\n")
    monkeypatch.setenv("FAKE_TF_LOG", str(tmp_path / "calls.jsonl"))
    monkeypatch.setenv("FAKE_TF_SHOW", str(PLAN_FIXTURES / "tf_data_mixed.json"))
    monkeypatch.setenv("FAKE_TF_APPLY", str(tmp_path / "partial.jsonl"))
    monkeypatch.setenv("FAKE_TF_APPLY_HANG", str(tmp_path / "signals.txt"))
    monkeypatch.delenv("FAKE_TF_LOCK", raising=False)
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "main.tf").write_text('resource "terraform_data" "x" {}\n')
    return path


def _timing_out_runner(fake_terraform: Path) -> TerraformRunner:
    stack = fake_terraform.parent.parent / "stack"
    return TerraformRunner(stack, binary=str(fake_terraform), apply_timeout_s=1.5, interrupt_grace_s=20)


def test_a_timed_out_apply_is_interrupted_and_keeps_what_completed(fake_terraform: Path) -> None:
    runner = _timing_out_runner(fake_terraform)
    review = runner.plan()
    gate = headless_gate(review, ALL_ACTIONS, "test", decisions=DecisionLog())
    with pytest.raises(ApplyFailedError) as caught:
        runner.apply(review, gate=gate, progress=False)
    error = caught.value
    assert (fake_terraform.parent.parent / "signals.txt").read_text().split() == ["SIGINT"]
    assert error.timed_out_after == 1.5 and error.stopped_with == "SIGINT"
    assert "ran past 2s and was stopped with SIGINT" in error.hint
    statuses = {s.address: s.status for s in error.result.resources}
    assert statuses["terraform_data.replace"] == "complete"
    assert statuses["terraform_data.delete[0]"] == "complete"
    assert statuses["terraform_data.secret"] != "complete"
    assert any(d.summary == "execution halted" for d in error.result.diagnostics)
    assert runner.last_apply is error.result
    runner.plan()  # the stack directory was given back


def _gated_stack_phase(fake_terraform: Path, tmp_path: Path, run_id: str) -> StackPhase:
    """A stack phase of a fresh run, planned and approved, whose runner's apply times out (or as FAKE_TF_* say)."""
    params = load_params("sandbox")
    ledger = EvidenceLedger(run_id, tmp_path / "outputs", params=params, phases=["01_x"])
    ledger.start_phase("01_x")
    session = PhaseSession(phase="01_x", params=params, ledger=ledger, owns_phase=True)
    phase = StackPhase(session=session, stack="demo", runner=_timing_out_runner(fake_terraform))
    phase.review = phase.runner.plan()
    phase.gate = headless_gate(phase.review, ALL_ACTIONS, "test", decisions=DecisionLog())
    return phase


def _failed_apply_entry(phase: StackPhase, error: type[BaseException] = ApplyFailedError) -> dict:
    """Apply, expect ``error``, and return the one apply the phase recorded."""
    with pytest.raises(error):
        phase.apply()
    (entry,) = phase.session.ledger.manifest.phases["01_x"].applies
    return entry


def test_stack_phase_records_a_timed_out_apply_before_the_error_propagates(
    fake_terraform: Path, tmp_path: Path
) -> None:
    phase = _gated_stack_phase(fake_terraform, tmp_path, "unit-timeout")
    entry = _failed_apply_entry(phase)
    assert entry["status"] == "timed out" and entry["stack"] == "demo"
    assert "ran past" in entry["error"]
    done = {r["address"] for r in entry["resources"] if r["status"] == "complete"}
    assert done == {"terraform_data.replace", "terraform_data.delete[0]"}
    assert any(t.name == "demo_apply" for t in phase.session.ledger.manifest.phases["01_x"].tables)


def test_stack_phase_records_an_interrupted_apply(fake_terraform: Path, tmp_path: Path, monkeypatch) -> None:
    """Ctrl-C (a notebook's interrupt) during the apply: what the stream said so far is recorded, then it re-raises."""
    import runbook_lib.terraform.runner as runner_module

    phase = _gated_stack_phase(fake_terraform, tmp_path, "unit-interrupt")
    real_run = runner_module.run_command

    def interrupted(*args, on_stdout_line=None, **kwargs):
        if args[0][1] != "apply":
            return real_run(*args, on_stdout_line=on_stdout_line, **kwargs)
        for line in (tmp_path / "partial.jsonl").read_text().splitlines():
            on_stdout_line(line)
        raise KeyboardInterrupt

    monkeypatch.setattr(runner_module, "run_command", interrupted)
    entry = _failed_apply_entry(phase, KeyboardInterrupt)
    assert entry["status"] == "interrupted" and entry["error"] == "KeyboardInterrupt"
    assert {r["address"] for r in entry["resources"] if r["status"] == "complete"} == {
        "terraform_data.replace",
        "terraform_data.delete[0]",
    }


def test_stack_phase_records_a_failed_apply(fake_terraform: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_TF_APPLY", str(PLAN_FIXTURES / "apply_errored.jsonl"))
    monkeypatch.delenv("FAKE_TF_APPLY_HANG")
    entry = _failed_apply_entry(_gated_stack_phase(fake_terraform, tmp_path, "unit-failed"))
    assert entry["status"] == "failed" and not entry["ok"]
    assert {r["address"]: r["status"] for r in entry["resources"]} == {
        "terraform_data.ok": "complete",
        "terraform_data.broken": "errored",
    }
    assert any(d["severity"] == "error" for d in entry["diagnostics"])
