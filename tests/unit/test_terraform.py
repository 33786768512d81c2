"""TerraformRunner against a stand-in terraform binary that replays captured output (offline, fast)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest
from fakes import PLAN_FIXTURES

from runbook_lib.errors import (
    ApplyFailedError,
    DestructiveChangeError,
    PlanError,
    PlanRejectedError,
    StalePlanError,
    StateLockError,
    ToolMissingError,
)
from runbook_lib.infra.terraform_setup import runner_from_params
from runbook_lib.terraform.approval import DecisionLog, PendingGate, headless_gate
from runbook_lib.terraform.backend import render_backend_config, resolve_binary
from runbook_lib.terraform.plan import SENSITIVE
from runbook_lib.terraform.review import read_review_metadata, review_path_for
from runbook_lib.terraform.runner import TerraformRunner

pytestmark = pytest.mark.unit

ALL_ACTIONS = ["no-op", "create", "read", "update", "delete", "replace"]


@pytest.fixture(autouse=True)
def own_redactor(monkeypatch):
    """A fresh process-wide redactor per test: secrets registered here must not mask other tests' output."""
    from runbook_lib import redact

    fresh = redact.Redactor()
    monkeypatch.setattr(redact, "_DEFAULT", fresh)
    return fresh


class FakeTerraform:
    def __init__(self, root: Path) -> None:
        self.bin_dir = root / "bin"
        self.bin_dir.mkdir()
        self.path = self.bin_dir / "terraform"
        self.path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{PLAN_FIXTURES / "fake_terraform.py"}" "$@"\n')
        self.path.chmod(self.path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        self.log = root / "calls.jsonl"

    def calls(self, command: str | None = None) -> list[dict]:
        if not self.log.exists():
            return []
        calls = [json.loads(line) for line in self.log.read_text().splitlines()]
        return [c for c in calls if command is None or c["argv"][0] == command]


@pytest.fixture
def fake(tmp_path, monkeypatch) -> FakeTerraform:
    fake = FakeTerraform(tmp_path)
    monkeypatch.setenv("FAKE_TF_LOG", str(fake.log))
    monkeypatch.setenv("FAKE_TF_SHOW", str(PLAN_FIXTURES / "tf_data_mixed.json"))
    monkeypatch.setenv("FAKE_TF_APPLY", str(PLAN_FIXTURES / "apply_ok.jsonl"))
    monkeypatch.setenv("FAKE_TF_OUTPUTS", str(PLAN_FIXTURES / "outputs.json"))
    monkeypatch.delenv("FAKE_TF_LOCK", raising=False)
    monkeypatch.delenv("FAKE_TF_DRIFT", raising=False)
    return fake


@pytest.fixture
def stack(tmp_path) -> Path:
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "main.tf").write_text('resource "terraform_data" "x" {}\n')
    return stack


def _runner(fake: FakeTerraform, stack: Path, **kwargs) -> TerraformRunner:
    return TerraformRunner(stack, binary=str(fake.path), **kwargs)


def _approve(review, log=None):
    return headless_gate(review, ALL_ACTIONS, "test", decisions=log or DecisionLog())


def test_every_command_is_non_interactive_and_colourless(fake, stack, tmp_path):
    var_file = tmp_path / "vars.tfvars"
    var_file.write_text("phase = 2\n")
    runner = _runner(fake, stack, var_files=[var_file], data_dir=tmp_path / "data", env={"AWS_REGION": "eu-west-1"})
    runner.init()
    review = runner.plan()
    runner.apply(review, gate=_approve(review), progress=False)
    runner.outputs()
    calls = fake.calls()
    assert [c["argv"][0] for c in calls] == ["init", "plan", "show", "apply", "output"]
    for call in calls:
        assert call["cwd"] == str(stack.resolve())
        assert "-no-color" in call["argv"]
        assert call["env"]["TF_IN_AUTOMATION"] == "1"
        assert call["env"]["TF_DATA_DIR"] == str((tmp_path / "data").resolve())
        assert call["env"]["AWS_REGION"] == "eu-west-1"
        if call["argv"][0] in ("init", "plan", "apply"):
            assert "-input=false" in call["argv"]
    plan_argv = fake.calls("plan")[0]["argv"]
    assert f"-var-file={var_file.resolve()}" in plan_argv
    assert "-json" in plan_argv
    assert f"-out={review.plan_path}" in plan_argv
    assert fake.calls("apply")[0]["argv"][-1] == str(review.plan_path)  # the saved file, nothing else


def test_plan_records_the_file_sha256_and_a_review(fake, stack):
    runner = _runner(fake, stack, env_name="unit")
    review = runner.plan()
    assert review.plan_sha256 == hashlib.sha256(review.plan_path.read_bytes()).hexdigest()
    assert review.plan.raw_sha256 == review.plan_sha256
    assert review.plan.resource_changes["terraform_data.replace"].action == "replace"
    meta = read_review_metadata(review.plan_path)
    assert meta["plan_sha256"] == review.plan_sha256
    assert meta["env"] == "unit"
    assert meta["summary"]["counts"] == review.plan.counts()
    assert review.review_path == review_path_for(review.plan_path)
    assert "s3cr3t" not in review.review_path.read_text()


def test_a_changed_plan_file_is_stale_and_nothing_is_applied(fake, stack):
    runner = _runner(fake, stack)
    review = runner.plan()
    gate = _approve(review)
    runner.plan(review.plan_path)  # re-plan into the same file after the review
    with pytest.raises(StalePlanError) as caught:
        runner.apply(review, gate=gate, progress=False)
    assert caught.value.reviewed_sha256 == review.plan_sha256
    assert caught.value.actual_sha256 == hashlib.sha256(review.plan_path.read_bytes()).hexdigest()
    assert fake.calls("apply") == []


def test_missing_plan_file_is_a_plan_error(fake, stack):
    runner = _runner(fake, stack)
    review = runner.plan()
    review.plan_path.unlink()
    with pytest.raises(PlanError, match="does not exist"):
        runner.apply(review, gate=_approve(review), progress=False)


def test_apply_waits_for_the_gate(fake, stack):
    runner = _runner(fake, stack)
    review = runner.plan()
    pending = PendingGate(review, decisions=DecisionLog())
    with pytest.raises(PlanError, match="not approved yet"):
        runner.apply(review, gate=pending, progress=False)
    with pytest.raises(PlanError, match="approved gate"):
        runner.apply(review, progress=False)
    assert fake.calls("apply") == []
    pending.approve(by="tester")
    result = runner.apply(review, gate=pending, progress=True)
    assert result.ok
    assert result.gate is pending.decision


def test_a_rejected_gate_applies_nothing(fake, stack):
    runner = _runner(fake, stack)
    review = runner.plan()
    pending = PendingGate(review, decisions=DecisionLog())
    pending.reject(by="tester", reason="no")
    with pytest.raises(PlanRejectedError):
        runner.apply(review, gate=pending, progress=False)
    assert fake.calls("apply") == []


def test_destructive_plan_is_refused_before_apply(fake, stack, monkeypatch):
    monkeypatch.setenv("FAKE_TF_SHOW", str(PLAN_FIXTURES / "aws_s3_replace.json"))
    runner = _runner(fake, stack)
    review = runner.plan()
    # the bucket, and its versioning resource (deleting that suspends versioning)
    assert review.refused == ["aws_s3_bucket.this", "aws_s3_bucket_versioning.this"]
    with pytest.raises(DestructiveChangeError):
        runner.apply(review, gate=_approve(review), progress=False)
    assert fake.calls("apply") == []
    allowed = _runner(fake, stack, allow_destroy=["aws_s3_bucket.this", "aws_s3_bucket_versioning.this"])
    assert allowed.apply(review, gate=_approve(review), progress=False).ok


def test_apply_result_is_typed(fake, stack):
    runner = _runner(fake, stack)
    review = runner.plan()
    result = runner.apply(review, gate=_approve(review), progress=False)
    frame = result.to_frame()
    assert len(frame) == 6 and set(frame["status"]) == {"complete"}
    assert result.change_summary["add"] == 6
    assert result.outputs["secret_out"].value == SENSITIVE
    assert result.plan_sha256 == review.plan_sha256
    json.dumps(result.to_dict(), default=str)


def test_failed_apply_carries_per_resource_status(fake, stack, monkeypatch):
    monkeypatch.setenv("FAKE_TF_APPLY", str(PLAN_FIXTURES / "apply_errored.jsonl"))
    runner = _runner(fake, stack)
    review = runner.plan()
    with pytest.raises(ApplyFailedError) as caught:
        runner.apply(review, gate=_approve(review), progress=False)
    result = caught.value.result
    statuses = {s.address: s.status for s in result.resources}
    assert statuses == {"terraform_data.ok": "complete", "terraform_data.broken": "errored"}
    assert not result.ok
    assert "local-exec provisioner error" in caught.value.stderr


def test_state_lock_conflict(fake, stack, monkeypatch):
    monkeypatch.setenv("FAKE_TF_LOCK", "1")
    runner = _runner(fake, stack)
    with pytest.raises(StateLockError) as caught:
        runner.plan()
    lock_file = json.loads((PLAN_FIXTURES / "lock_info.json").read_text())
    for key in ("ID", "Who", "Operation"):
        assert caught.value.lock_info[key] == lock_file[key]
    assert lock_file["ID"] in caught.value.hint


def test_outputs_are_typed_and_masked(fake, stack):
    runner = _runner(fake, stack)
    raw = json.loads((PLAN_FIXTURES / "outputs.json").read_text())
    outputs = runner.outputs()
    assert set(outputs) == set(raw)
    assert outputs["secret_out"].sensitive and outputs["secret_out"].value == SENSITIVE
    assert outputs["phase"].value == raw["phase"]["value"] and outputs["phase"].type == "number"
    assert runner.outputs(reveal=True)["secret_out"].value == raw["secret_out"]["value"]


def test_drift_report(fake, stack, monkeypatch):
    monkeypatch.setenv("FAKE_TF_SHOW", str(PLAN_FIXTURES / "aws_s3_drift_refresh_only.json"))
    runner = _runner(fake, stack)
    clean = runner.drift()
    assert clean.has_drift is False  # exit code 0
    monkeypatch.setenv("FAKE_TF_DRIFT", "1")
    report = runner.drift()
    assert report.has_drift and report.exit_code == 2
    frame = report.to_frame().set_index("address")
    assert "tags.Owner" in frame.loc["aws_s3_bucket.this", "changed"]
    argv = fake.calls("plan")[-1]["argv"]
    assert "-refresh-only" in argv and "-detailed-exitcode" in argv


def test_backend_config_is_passed_as_a_file(fake, stack):
    runner = _runner(fake, stack, backend_config={"bucket": "b", "key": "k/x.tfstate", "use_path_style": True})
    runner.init(backend_config={"endpoints": {"s3": "http://127.0.0.1:1"}})
    (call,) = fake.calls("init")
    assert call["backend_config"] == render_backend_config(
        {
            "bucket": "b",
            "key": "k/x.tfstate",
            "use_path_style": True,
            "endpoints": {"s3": "http://127.0.0.1:1"},
        }
    )
    assert 'endpoints = {"s3": "http://127.0.0.1:1"}' in call["backend_config"]
    leftover = [a for a in call["argv"] if a.startswith("-backend-config=")]
    assert not Path(leftover[0].split("=", 1)[1]).exists()  # the temporary file is gone


AWS_STACK = 'provider "aws" {\n  region = "eu-west-1"\n}\nresource "terraform_data" "x" {}\n'


@pytest.fixture
def aws_stack(tmp_path) -> Path:
    stack = tmp_path / "aws_stack"
    stack.mkdir()
    (stack / "main.tf").write_text(AWS_STACK)
    return stack


def test_endpoint_override_exists_only_while_a_sandbox_command_runs(fake, aws_stack):
    import runbook_lib.terraform.override as tf_override

    sandbox = _runner(fake, aws_stack, endpoint_url="http://127.0.0.1:5000", region="eu-west-1")
    sandbox.init()
    call = fake.calls("init")[0]
    assert tf_override.OVERRIDE_FILE_NAME in call["tf_files"]  # Terraform read it ...
    assert "-reconfigure" in call["argv"]  # the stand-in's port changes between runs
    assert not (aws_stack / tf_override.OVERRIDE_FILE_NAME).exists()  # ... and it is gone after the command
    # A killed sandbox command leaves one behind: a real run removes it before Terraform reads the directory.
    (aws_stack / tf_override.OVERRIDE_FILE_NAME).write_text("# left by a killed command\n")
    _runner(fake, aws_stack).init()
    assert tf_override.OVERRIDE_FILE_NAME not in fake.calls("init")[1]["tf_files"]
    assert "-reconfigure" not in fake.calls("init")[1]["argv"]
    assert not (aws_stack / tf_override.OVERRIDE_FILE_NAME).exists()


def _env_of(call: dict) -> str:
    return Path(call["env"]["TF_DATA_DIR"]).name


def test_a_dev_runner_never_sees_the_sandbox_override_of_the_same_stack(fake, aws_stack):
    """Both runners open on one stack directory; the dev plans run before, during and after sandbox commands."""
    import threading

    from runbook_lib.terraform.override import OVERRIDE_FILE_NAME

    envs = aws_stack / ".terraform" / "envs"
    sandbox = _runner(
        fake, aws_stack, endpoint_url="http://127.0.0.1:5000", data_dir=envs / "sandbox", env={"FAKE_TF_SLEEP": "1.5"}
    )
    dev = _runner(fake, aws_stack, data_dir=envs / "dev")
    dev.init()
    sandbox.init()
    dev.plan()  # after a sandbox command: the override it needed is gone
    during = threading.Thread(target=sandbox.plan)
    during.start()
    deadline = time.monotonic() + 10
    while not any(_env_of(c) == "sandbox" for c in fake.calls("plan")) and time.monotonic() < deadline:
        time.sleep(0.02)
    dev.plan()  # while the sandbox plan runs: waits for the stack directory instead of reading its override
    during.join()
    plans = fake.calls("plan")
    assert [_env_of(c) for c in plans] == ["dev", "sandbox", "dev"]
    for call in fake.calls():
        seen = OVERRIDE_FILE_NAME in call["tf_files"]
        if call["argv"][0] in ("init", "plan"):
            assert seen == (_env_of(call) == "sandbox"), call
    assert not (aws_stack / OVERRIDE_FILE_NAME).exists()


def test_a_stack_busy_longer_than_the_wait_names_the_holder(fake, aws_stack):
    import threading

    from runbook_lib.errors import StackBusyError

    sandbox = _runner(fake, aws_stack, endpoint_url="http://127.0.0.1:5000", env={"FAKE_TF_SLEEP": "2"},
                      env_name="sandbox")
    during = threading.Thread(target=sandbox.plan)
    during.start()
    deadline = time.monotonic() + 10
    while not fake.calls("plan") and time.monotonic() < deadline:
        time.sleep(0.02)
    with pytest.raises(StackBusyError) as caught:
        _runner(fake, aws_stack, env_name="dev", stack_wait_s=0.3).plan()
    during.join()
    assert caught.value.holder["env"] == "sandbox" and caught.value.holder["command"] == "plan"
    assert "sandbox" in caught.value.message


def test_missing_binary_names_the_fix(tmp_path, monkeypatch):
    with pytest.raises(ToolMissingError):
        resolve_binary(str(tmp_path / "nope" / "terraform"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("RUNBOOK_TERRAFORM_BINARY", raising=False)
    with pytest.raises(ToolMissingError) as caught:
        resolve_binary("tofu")
    assert caught.value.hint and "install" in caught.value.hint.lower()
    with pytest.raises(ToolMissingError):
        resolve_binary("auto")


def test_auto_finds_terraform_on_path(fake, monkeypatch):
    monkeypatch.setenv("PATH", str(fake.bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.delenv("RUNBOOK_TERRAFORM_BINARY", raising=False)
    assert resolve_binary("auto") == str(fake.path)
    assert resolve_binary("terraform") == str(fake.path)


def test_destroy_plans_with_destroy_then_guards(fake, stack, monkeypatch):
    monkeypatch.setenv("FAKE_TF_SHOW", str(PLAN_FIXTURES / "tf_data_destroy.json"))
    runner = _runner(fake, stack)
    review, result = runner.destroy(lambda r: headless_gate(r, ["delete"], decisions=DecisionLog()), progress=False)
    assert review.destroy and "-destroy" in fake.calls("plan")[0]["argv"]
    assert result.ok
    assert review.plan_path.name == "runbook-destroy.tfplan"


def test_sensitive_values_from_show_and_output_reach_the_redactor(fake, stack, own_redactor):
    runner = _runner(fake, stack)
    runner.plan()
    assert own_redactor.redact_text("rotated to s3cr3t-two") == "rotated to [REDACTED]"
    assert "s3cr3t-one" not in own_redactor.redact_text("was s3cr3t-one")
    runner.outputs()
    assert own_redactor.redact_text("phase 1") == "phase 1"  # non-sensitive values stay readable


def _params(tmp_path: Path, **terraform):
    from runbook_lib.params import RunbookParams

    return RunbookParams.model_validate(
        {
            "env": "staging",
            "protected": False,  # a stand-in endpoint, no real data (a protected env must name its accounts)
            "aws": {"region": "eu-west-1", "endpoint_url": "http://127.0.0.1:4566"},
            "terraform": {
                "binary": "terraform",
                "stacks_dir": str(tmp_path / "stacks"),
                "env_dir": str(tmp_path / "envs" / "staging"),
                **terraform,
            },
        }
    )


def _s3_stack(tmp_path: Path, name: str = "01_network") -> Path:
    stack = tmp_path / "stacks" / name
    stack.mkdir(parents=True)
    (stack / "versions.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    env_dir = tmp_path / "envs" / "staging"
    env_dir.mkdir(parents=True)
    (env_dir / "backend.hcl").write_text('bucket = "from-hcl"\n')
    (env_dir / f"{name}.tfvars").write_text("x = 1\n")
    return stack


def test_runner_from_params_wires_env_dir_backend_and_endpoint(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(fake.bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.delenv("RUNBOOK_TERRAFORM_BINARY", raising=False)
    stack = _s3_stack(tmp_path)
    runner = runner_from_params(_params(tmp_path, allow_destroy=["aws_s3_bucket.raw"]), "01_network")
    env_dir = tmp_path / "envs" / "staging"
    assert runner.stack_dir == stack.resolve()
    assert runner.var_files == [(env_dir / "01_network.tfvars").resolve()]
    assert runner.backend_config_files == [(env_dir / "backend.hcl").resolve()]
    assert runner.backend_config["key"] == "staging/01_network.tfstate"
    assert runner.backend_config["endpoints"]["s3"] == "http://127.0.0.1:4566"
    assert runner.endpoint_url == "http://127.0.0.1:4566"
    assert runner.allow_destroy == ["aws_s3_bucket.raw"]
    assert runner.data_dir == (stack / ".terraform" / "envs" / "staging").resolve()
    assert runner.env["AWS_REGION"] == "eu-west-1"


def test_runner_from_params_backend_section_sets_bucket_key_and_lock(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(fake.bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    _s3_stack(tmp_path)
    backend = {"bucket": "state-bucket", "lock_table": "locks", "key_prefix": "runbook/staging"}
    runner = runner_from_params(_params(tmp_path, backend=backend), "01_network")
    config = runner.backend_config
    assert (config["bucket"], config["dynamodb_table"]) == ("state-bucket", "locks")
    assert config["key"] == "runbook/staging/01_network.tfstate"
    assert "encrypt" not in config


def test_unknown_stack_is_a_params_error(fake, tmp_path, monkeypatch):
    from runbook_lib.errors import ParamsError

    monkeypatch.setenv("PATH", str(fake.bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    with pytest.raises(ParamsError) as caught:
        runner_from_params(_params(tmp_path), "no_such_stack")
    assert caught.value.key == "stack"
