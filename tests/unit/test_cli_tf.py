"""``runbook tf`` end to end against the stand-in terraform binary and a params file written for the test."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from pathlib import Path

import pytest
from fakes import PLAN_FIXTURES, mocked_aws

from runbook_lib.cli import main

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def own_redactor(monkeypatch):
    """A fresh process-wide redactor per test: secrets registered here must not mask other tests' output."""
    from runbook_lib import redact

    fresh = redact.Redactor()
    monkeypatch.setattr(redact, "_DEFAULT", fresh)
    return fresh


@pytest.fixture(autouse=True)
def moto_account(monkeypatch):
    """STS answers in-process (moto, account 123456789012): `runbook tf` checks the account first."""
    from runbook_lib.phases import account_guard

    account_guard.clear_cache()
    with mocked_aws(monkeypatch, region=None):
        yield
    account_guard.clear_cache()


PARAMS = """\
env: {env}
protected: {protected}
aws:
  region: eu-west-1
  allowed_account_ids: {accounts}
terraform:
  binary: terraform
  stacks_dir: {stacks}
  allow_destroy: {allow}
gates:
  mode: {mode}
  auto_approve_actions: {policy}
  approver: unit-policy
"""
POLICY = "[no-op, read, create, update]"


@pytest.fixture
def setup(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "terraform"
    fake.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{PLAN_FIXTURES / "fake_terraform.py"}" "$@"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.delenv("RUNBOOK_TERRAFORM_BINARY", raising=False)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("FAKE_TF_LOG", str(log))
    monkeypatch.setenv("FAKE_TF_SHOW", str(PLAN_FIXTURES / "tf_data_create.json"))
    monkeypatch.setenv("FAKE_TF_APPLY", str(PLAN_FIXTURES / "apply_ok.jsonl"))
    monkeypatch.setenv("FAKE_TF_OUTPUTS", str(PLAN_FIXTURES / "outputs.json"))
    monkeypatch.delenv("FAKE_TF_LOCK", raising=False)
    monkeypatch.delenv("FAKE_TF_DRIFT", raising=False)
    stacks = tmp_path / "stacks"
    (stacks / "demo").mkdir(parents=True)
    (stacks / "demo" / "main.tf").write_text('resource "terraform_data" "x" {}\n')
    params = tmp_path / "params"
    params.mkdir()
    monkeypatch.setenv("RUNBOOK_PARAMS_DIR", str(params))

    def write_params(
        env: str = "unit",
        mode: str = "headless",
        allow: str = "[]",
        protected: bool = False,
        policy: str = POLICY,
    ) -> None:
        text = PARAMS.format(
            env=env,
            stacks=stacks,
            mode=mode,
            allow=allow,
            protected="true" if protected else "false",
            accounts='["123456789012"]',  # moto's account: the account guard runs before every action
            policy=policy,
        )
        (params / f"{env}.yaml").write_text(text)

    write_params()

    class Setup:
        plan_file = stacks / "demo" / ".terraform" / "envs" / "unit" / "runbook.tfplan"

        @staticmethod
        def calls(command: str) -> list[dict]:
            lines = log.read_text().splitlines() if log.exists() else []
            return [c for c in map(json.loads, lines) if c["argv"][0] == command]

    Setup.write_params = staticmethod(write_params)
    return Setup


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_plan_then_apply_by_policy(setup, capsys):
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit", "--json"]) == 0
    planned = _json(capsys)
    raw = json.loads((PLAN_FIXTURES / "tf_data_create.json").read_text())
    assert planned["summary"]["counts"]["create"] == len(raw["resource_changes"])
    assert planned["review"]["plan_path"] == str(setup.plan_file)
    assert Path(str(setup.plan_file) + ".review.json").exists()
    assert setup.calls("init"), "plan runs init first"

    assert main(["tf", "apply", "--stack", "demo", "--env", "unit", "--json", "--auto-approve-policy"]) == 0
    applied = _json(capsys)
    assert applied["gate"]["approved"] is True
    assert applied["gate"]["decided_by"] == "policy:unit-policy"
    assert applied["gate"]["plan_sha256"] == planned["review"]["plan_sha256"]
    assert applied["result"]["ok"] is True
    assert {r["status"] for r in applied["result"]["resources"]} == {"complete"}
    (apply_call,) = setup.calls("apply")
    assert apply_call["argv"][-1] == str(setup.plan_file)


def test_plan_prints_a_table(setup, capsys):
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit"]) == 0
    out = capsys.readouterr().out
    assert "terraform_data.keep" in out and "create" in out
    assert "runbook tf apply" in out


def test_policy_rejects_deletes(setup, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_TF_SHOW", str(PLAN_FIXTURES / "tf_data_mixed.json"))
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit", "--json"]) == 0
    capsys.readouterr()
    code = main(["tf", "apply", "--stack", "demo", "--env", "unit", "--json", "--auto-approve-policy"])
    assert code == 3
    assert "outside the policy" in capsys.readouterr().err
    assert setup.calls("apply") == []


def test_stale_plan_is_refused(setup, capsys):
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit", "--json"]) == 0
    setup.plan_file.write_text("someone re-planned\n")
    assert main(["tf", "apply", "--stack", "demo", "--env", "unit", "--auto-approve-policy"]) == 1
    assert "not the reviewed plan" in capsys.readouterr().err
    assert setup.calls("apply") == []


def test_apply_without_a_reviewed_plan(setup, capsys):
    assert main(["tf", "apply", "--stack", "demo", "--env", "unit", "--auto-approve-policy"]) == 1
    assert "runbook tf plan" in capsys.readouterr().err


def test_plan_from_another_env_is_refused(setup, capsys):
    setup.write_params(env="other")
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit", "--json", "--plan-file", str(setup.plan_file)]) == 0
    capsys.readouterr()
    code = main(
        [
            "tf",
            "apply",
            "--stack",
            "demo",
            "--env",
            "other",
            "--plan-file",
            str(setup.plan_file),
            "--auto-approve-policy",
        ]
    )
    assert code == 1
    assert "made for env 'unit'" in capsys.readouterr().err


def test_interactive_mode_without_terminal_rejects(setup, capsys, monkeypatch):
    setup.write_params(mode="interactive")
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit", "--json"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["tf", "apply", "--stack", "demo", "--env", "unit"]) == 3
    assert "no approver" in capsys.readouterr().err
    assert setup.calls("apply") == []


def test_destructive_plan_is_refused_even_with_a_permissive_policy(setup, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_TF_SHOW", str(PLAN_FIXTURES / "aws_s3_replace.json"))
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit"]) == 0
    assert "WILL BE REFUSED" in capsys.readouterr().out
    assert main(["tf", "apply", "--stack", "demo", "--env", "unit", "--auto-approve-policy"]) == 3
    assert "aws_s3_bucket.this" in capsys.readouterr().err
    assert setup.calls("apply") == []


def test_drift(setup, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_TF_SHOW", str(PLAN_FIXTURES / "aws_s3_drift_refresh_only.json"))
    monkeypatch.setenv("FAKE_TF_DRIFT", "1")
    assert main(["tf", "drift", "--stack", "demo", "--env", "unit", "--json", "--fail-on-drift"]) == 1
    report = _json(capsys)
    assert report["has_drift"] is True
    assert report["items"][0]["address"] == "aws_s3_bucket.this"
    monkeypatch.delenv("FAKE_TF_DRIFT")
    assert main(["tf", "drift", "--stack", "demo", "--env", "unit", "--fail-on-drift"]) == 0


def test_destroy_goes_through_the_policy(setup, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_TF_SHOW", str(PLAN_FIXTURES / "tf_data_destroy.json"))
    assert main(["tf", "destroy", "--stack", "demo", "--env", "unit", "--json", "--auto-approve-policy"]) == 3
    assert setup.calls("apply") == []
    assert "-destroy" in setup.calls("plan")[0]["argv"]


# -- protected environments ---------------------------------------------------------------------------------------
def test_auto_approve_policy_never_approves_a_delete_on_a_protected_env(setup, capsys, monkeypatch):
    setup.write_params(protected=True)
    monkeypatch.setenv("FAKE_TF_SHOW", str(PLAN_FIXTURES / "tf_data_mixed.json"))  # a delete and a replace
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit", "--json"]) == 0
    capsys.readouterr()
    assert main(["tf", "apply", "--stack", "demo", "--env", "unit", "--auto-approve-policy"]) == 3
    err = capsys.readouterr().err
    assert "'unit' is protected" in err and "--auto-approve-policy" in err
    assert "terraform_data.delete[0] (delete)" in err and "terraform_data.replace (replace)" in err
    assert setup.calls("apply") == []


def test_a_policy_with_deletes_is_refused_on_a_protected_env_in_any_gate_mode(setup, capsys):
    # interactive mode used to let such a policy through, and `--auto-approve-policy` then applied deletes
    setup.write_params(protected=True, mode="interactive", policy="[no-op, read, create, update, delete, replace]")
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit"]) == 2
    assert "gates.auto_approve_actions" in capsys.readouterr().err
    assert setup.calls("plan") == []


def _write_plan(tmp_path, *changes) -> str:
    from fixtures.plans.synthetic import plan_document

    path = tmp_path / "synthetic-plan.json"
    path.write_text(json.dumps(plan_document(*changes)))
    return str(path)


def test_an_update_that_destroys_data_is_shown_and_refused(setup, capsys, monkeypatch, tmp_path):
    from fixtures.plans.synthetic import resource_change

    suspended = resource_change(
        "aws_s3_bucket_versioning",
        ["update"],
        {"bucket": "lake", "versioning_configuration": [{"status": "Enabled"}]},
        {"bucket": "lake", "versioning_configuration": [{"status": "Suspended"}]},
    )
    monkeypatch.setenv("FAKE_TF_SHOW", _write_plan(tmp_path, suspended))
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit"]) == 0
    out = capsys.readouterr().out
    assert "update (destroys data)" in out and "Enabled → Suspended" in out and "WILL BE REFUSED" in out
    assert main(["tf", "apply", "--stack", "demo", "--env", "unit", "--auto-approve-policy"]) == 3
    assert "aws_s3_bucket_versioning.this" in capsys.readouterr().err
    assert setup.calls("apply") == []


# -- what apply shows, what plan keeps -----------------------------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_apply_shows_the_plan_before_asking(setup, capsys, monkeypatch):
    setup.write_params(mode="interactive")
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit", "--json"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", _Terminal("no\n"))
    assert main(["tf", "apply", "--stack", "demo", "--env", "unit"]) == 3  # answered no
    out = capsys.readouterr().out
    asked = out.index("Only 'yes' approves")
    for address in ("terraform_data.keep", "module.child.terraform_data.this"):
        assert -1 < out.find(address) < asked, f"{address} is not shown before the question"
    assert setup.calls("apply") == []


def test_plan_does_not_replace_a_reviewed_plan_silently(setup, capsys, monkeypatch):
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit", "--json"]) == 0
    reviewed = _json(capsys)["review"]["plan_sha256"]
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit", "--json"]) == 1
    err = capsys.readouterr().err
    assert "reviewed plan" in err and reviewed[:12] in err and "--replace-reviewed" in err
    assert len(setup.calls("plan")) == 1
    assert Path(str(setup.plan_file) + ".review.json").exists()
    # asked for explicitly, it is replaced
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit", "--json", "--replace-reviewed"]) == 0
    assert _json(capsys)["review"]["plan_sha256"] != reviewed
    # once applied, the plan is spent and a new one may take its place
    assert main(["tf", "apply", "--stack", "demo", "--env", "unit", "--json", "--auto-approve-policy"]) == 0
    capsys.readouterr()
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit", "--json"]) == 0


def test_the_plan_file_is_readable_by_its_owner_only(setup, capsys):
    previous = os.umask(0o022)
    try:
        assert main(["tf", "plan", "--stack", "demo", "--env", "unit", "--json"]) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(setup.plan_file.stat().st_mode) == 0o600
    assert main(["tf", "apply", "--stack", "demo", "--env", "unit", "--json", "--auto-approve-policy"]) == 0
    assert stat.S_IMODE(setup.plan_file.stat().st_mode) == 0o600


def test_a_plan_with_no_changes_is_applied_without_asking_anyone(setup, capsys, monkeypatch):
    """As Terraform: nothing to apply, no question, even where no one could answer (interactive, no terminal)."""
    setup.write_params(mode="interactive", protected=True)
    monkeypatch.setenv("FAKE_TF_SHOW", str(PLAN_FIXTURES / "tf_data_noop.json"))
    assert main(["tf", "plan", "--stack", "demo", "--env", "unit", "--json"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["tf", "apply", "--stack", "demo", "--env", "unit", "--json"]) == 0
    gate = _json(capsys)["gate"]
    assert gate["approved"] is True and gate["mode"] == "no-changes" and gate["decided_by"] == "nothing to apply"
    assert len(setup.calls("apply")) == 1
