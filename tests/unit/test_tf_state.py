"""Parsing ``terraform show -json`` of a state, and TfVars comments/values (offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import FIXTURES_DIR

from runbook_lib.errors import ParamsError, PlanError
from runbook_lib.terraform.plan import SENSITIVE
from runbook_lib.terraform.state import ROOT_MODULE, load_state_json, parse_state
from runbook_lib.terraform.tfvars import extract_comments, read_tfvars

pytestmark = pytest.mark.unit


def test_state_walks_child_modules_and_separates_data_sources() -> None:
    state = load_state_json(FIXTURES_DIR / "iac_check" / "state_small.json")
    assert state.terraform_version == "1.11.4"
    assert [r.address for r in state.resources] == [
        "data.aws_caller_identity.current",
        'module.lake.aws_s3_bucket.this["raw"]',
        "module.lake.module.secret.aws_secretsmanager_secret_version.this[0]",
    ]
    assert [r.address for r in state.managed] == [r.address for r in state.resources[1:]]
    bucket = state.by_type("aws_s3_bucket")[0]
    assert (bucket.module, bucket.index, bucket.get("bucket")) == ("module.lake", "raw", "dmig-test-raw")
    assert state.resources[0].module == ROOT_MODULE
    assert not state.empty


def test_sensitive_values_are_masked_and_handed_to_the_sink() -> None:
    found: set[str] = set()
    state = parse_state((FIXTURES_DIR / "iac_check" / "state_small.json").read_text(), secret_sink=found.add)
    version = state.by_type("aws_secretsmanager_secret_version")[0]
    assert version.get("secret_string") == SENSITIVE
    assert version.get("version_id") == "v1"
    assert state.outputs == {"bucket_name": "dmig-test-raw", "db_password": SENSITIVE}
    assert {"s3cr3t-value-123", "hunter2-very-secret"} <= found
    assert "dmig-test-raw" not in found


def test_never_applied_state_is_empty_not_an_error() -> None:
    assert parse_state('{"format_version": "1.0"}').empty
    assert parse_state("").empty


def test_a_plan_is_refused() -> None:
    plan = json.dumps({"format_version": "1.2", "resource_changes": [], "planned_values": {}})
    with pytest.raises(PlanError, match="plan, not a state"):
        parse_state(plan)


TFVARS = """# Stack 09 (sandbox): header.
region = "eu-west-1"

# moto has no engine for this: CreateDBCluster rejects it.
enable_cluster          = false
enable_cluster_instance = false
enable_bucket           = true # buckets apply fine
label                   = "a # not a comment"

settings = {
  db_multi_az = false # sandbox teardown
  size        = 2
}
"""


def test_tfvars_values_are_unquoted_and_comments_found(tmp_path: Path) -> None:
    path = tmp_path / "09_x.tfvars"
    path.write_text(TFVARS)
    tfvars = read_tfvars(path)
    assert tfvars.values["region"] == "eu-west-1"
    assert tfvars.values["label"] == "a # not a comment"
    assert tfvars.get("settings.db_multi_az") is False
    assert tfvars.get("settings.missing", "dflt") == "dflt"
    assert tfvars.flags() == {
        "enable_cluster": False,
        "enable_cluster_instance": False,
        "enable_bucket": True,
    }
    # A comment block above a group of lines describes each line of the group.
    assert tfvars.comment("enable_cluster") == "moto has no engine for this: CreateDBCluster rejects it."
    assert tfvars.comment("enable_cluster_instance") == tfvars.comment("enable_cluster")
    assert tfvars.comment("enable_bucket") == "buckets apply fine"
    assert tfvars.comment("settings.db_multi_az") == "sandbox teardown"
    assert tfvars.comment("size") == ""
    assert "label" not in extract_comments('label = "a # b"\n')


def test_bad_tfvars_raise_params_error(tmp_path: Path) -> None:
    with pytest.raises(ParamsError):
        read_tfvars(tmp_path / "missing.tfvars")
    broken = tmp_path / "broken.tfvars"
    broken.write_text("a = = {\n")
    with pytest.raises(ParamsError, match="cannot parse"):
        read_tfvars(broken)


def test_runner_state_shows_json_and_registers_secrets(tmp_path: Path, monkeypatch) -> None:
    """TerraformRunner.state(): ``show -json`` without a plan file, parsed, secrets to the redactor."""
    import stat
    import sys

    from runbook_lib import redact
    from runbook_lib.terraform.runner import TerraformRunner

    monkeypatch.setattr(redact, "_DEFAULT", redact.Redactor())
    fake = tmp_path / "terraform"
    script = FIXTURES_DIR / "plans" / "fake_terraform.py"
    fake.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("FAKE_TF_LOG", str(log))
    monkeypatch.setenv("FAKE_TF_SHOW", str(FIXTURES_DIR / "iac_check" / "state_small.json"))
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "main.tf").write_text("")

    state = TerraformRunner(stack, binary=str(fake)).state()

    assert len(state.managed) == 2
    argv = json.loads(log.read_text().splitlines()[-1])["argv"]
    assert argv[:2] == ["show", "-json"] and not any(a.endswith(".tfplan") for a in argv)
    assert "s3cr3t-value-123" not in redact.redact_text("value s3cr3t-value-123")
