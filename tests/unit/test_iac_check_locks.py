"""``runbook iac check --destroy``: a state lock left behind is found and reported, and a check that fails
part-way still destroys what it created. Terraform is the stand-in of ``tests/fixtures/plans``."""

from __future__ import annotations

import getpass
import json
import socket
import stat
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes import PLAN_FIXTURES

from runbook_lib.infra.iac_check import IacCheck, StackRun
from runbook_lib.infra.iac_check import check as check_module
from runbook_lib.infra.iac_check.report import Leftover
from runbook_lib.params import load_params
from runbook_lib.terraform.runner import TerraformRunner

pytestmark = pytest.mark.unit


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-stack terraform_infra, and the stand-in terraform answering a destroy plan."""
    root = tmp_path / "terraform_infra"
    (root / "stacks" / "03_streaming_ingestion").mkdir(parents=True)
    (root / "stacks" / "03_streaming_ingestion" / "main.tf").write_text('resource "terraform_data" "x" {}\n')
    fake = tmp_path / "bin" / "terraform"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{PLAN_FIXTURES / "fake_terraform.py"}" "$@"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("FAKE_TF_LOG", str(tmp_path / "calls.jsonl"))
    monkeypatch.setenv("FAKE_TF_SHOW", str(PLAN_FIXTURES / "tf_data_destroy.json"))
    monkeypatch.setenv("FAKE_TF_APPLY", str(PLAN_FIXTURES / "apply_ok.jsonl"))
    monkeypatch.setenv("FAKE_TF_LOCK_FILE", str(tmp_path / "state.lock.json"))
    monkeypatch.delenv("FAKE_TF_LOCK", raising=False)
    return root


def _check(tree: Path, monkeypatch: pytest.MonkeyPatch) -> IacCheck:
    check = IacCheck(
        load_params("sandbox"), apply=True, destroy=True, static=False, tf_root=tree, work_dir=tree.parent / "work"
    )
    fake = tree.parent / "bin" / "terraform"

    def runner(self: IacCheck, stack: str, **overrides) -> TerraformRunner:
        return TerraformRunner(tree / "stacks" / stack, binary=str(fake), **overrides)

    monkeypatch.setattr(IacCheck, "_sandbox_runner", runner)
    return check


def _lock(tree: Path, *, who: str | None = None, created: datetime | None = None) -> dict[str, str]:
    info = {
        "ID": "7d1c7a52-1d43-7dd5-9b29-7c3c3b4e1a10",
        "Path": "dmig-sandbox-tfstate/sandbox/03_streaming_ingestion.tfstate",
        "Operation": "OperationTypeApply",
        "Who": who or f"{getpass.getuser()}@{socket.gethostname()}",
        "Version": "1.11.4",
        "Created": (created or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S.%f +0000 UTC"),
    }
    (tree.parent / "state.lock.json").write_text(json.dumps(info))
    return info


def _calls(tree: Path, command: str) -> list[dict]:
    lines = (tree.parent / "calls.jsonl").read_text().splitlines()
    return [c for c in map(json.loads, lines) if c["argv"][0] == command]


def test_a_lock_left_by_this_checks_own_operation_is_reported_force_unlocked_and_the_destroy_retried(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = _check(tree, monkeypatch)
    info = _lock(tree)  # an apply of this check, killed before it released the state lock
    report = check_module.IacCheckReport("sandbox", True, True)
    run = StackRun("03_streaming_ingestion")
    check._destroy_one(run, report)
    assert run.destroyed is True and run.errors == []
    (finding,) = report.state_locks
    assert finding["lock_id"] == info["ID"] and finding["operation"] == "OperationTypeApply"
    assert finding["who"] == info["Who"] and finding["action"].startswith("force-unlocked")
    assert [c["argv"] for c in _calls(tree, "force-unlock")] == [["force-unlock", "-force", info["ID"]]]
    assert len(_calls(tree, "apply")) == 1  # the destroy ran after the unlock
    assert not (tree.parent / "state.lock.json").exists()


@pytest.mark.parametrize(
    "who, age",
    [("someone@another-host", timedelta(0)), (None, timedelta(hours=3))],
    ids=["another holder", "older than the check"],
)
def test_a_lock_that_is_not_this_checks_is_reported_and_left_alone(
    tree: Path, monkeypatch: pytest.MonkeyPatch, who: str | None, age: timedelta
) -> None:
    check = _check(tree, monkeypatch)
    info = _lock(tree, who=who, created=datetime.now(UTC) - age)
    report = check_module.IacCheckReport("sandbox", True, True)
    run = StackRun("03_streaming_ingestion")
    check._destroy_one(run, report)
    assert run.destroyed is False and "Error acquiring the state lock" in run.errors[0]
    (finding,) = report.state_locks
    assert finding["lock_id"] == info["ID"] and finding["action"].startswith("left in place")
    assert _calls(tree, "force-unlock") == [] and (tree.parent / "state.lock.json").exists()


def _failing_part_way(check: IacCheck, monkeypatch: pytest.MonkeyPatch, error: BaseException) -> list[str]:
    """The sandbox part 'applies'; the production plans then fail; destroy and leftovers are recorded."""
    done: list[str] = []
    monkeypatch.setattr(check_module, "aws_endpoint_url", lambda aws: "http://127.0.0.1:1")
    monkeypatch.setattr(IacCheck, "_binary", lambda self: "terraform")
    monkeypatch.setattr(IacCheck, "_sandbox_sequence", lambda self, runs, report: done.append("apply"))

    def prod_plans(self, runs, report):
        done.append("prod_plan")
        raise error

    monkeypatch.setattr(IacCheck, "_prod_plans", prod_plans)
    monkeypatch.setattr(IacCheck, "_destroy_sequence", lambda self, runs, report: done.append("destroy"))
    monkeypatch.setattr(IacCheck, "leftovers", lambda self: [Leftover("sqs", "queue", "dmig-sandbox-ingest")])
    monkeypatch.setattr(IacCheck, "_coverage", lambda self, report, runs, root: None)
    return done


def test_a_check_that_fails_part_way_still_destroys_and_reports_leftovers(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = _check(tree, monkeypatch)
    done = _failing_part_way(check, monkeypatch, RuntimeError("prod plan crashed"))
    report = check.check_all()
    assert done == ["apply", "prod_plan", "destroy"]
    assert any("prod plan crashed" in e for e in report.errors)
    assert report.leftovers == [Leftover("sqs", "queue", "dmig-sandbox-ingest")]
    assert not report.ok()


def test_an_interrupted_check_still_destroys_what_it_created(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check = _check(tree, monkeypatch)
    done = _failing_part_way(check, monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        check.check_all()
    assert done == ["apply", "prod_plan", "destroy"]
