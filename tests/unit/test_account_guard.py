"""The account guard: every entry point that talks to AWS refuses an account ``aws.allowed_account_ids`` omits.

AWS is moto in-process (``mock_aws``: account 123456789012). Each entry point is shown to refuse a wrong
account *before* anything else happens (no runner, no lock, no migrator, no kernel) and to accept the
right one (it then reaches the next step, which the test stops with a sentinel).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fakes import REPO, VALID_PARAMS, mocked_aws

from runbook_lib import cli, clients
from runbook_lib.errors import AccountNotAllowedError
from runbook_lib.phases import account_guard, headless, session
from runbook_lib.phases.account_guard import account_verdict, require_allowed_account

pytestmark = pytest.mark.unit

MOTO_ACCOUNT = "123456789012"
OTHER_ACCOUNT = "111111111111"


class Reached(Exception):
    """Raised by a stand-in for the step after the guard: the guard let the call through."""


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    account_guard.clear_cache()
    clients._ROLE_CREDENTIALS.clear()
    with mocked_aws(monkeypatch):
        yield
    account_guard.clear_cache()
    clients._ROLE_CREDENTIALS.clear()


def _aws(allowed: list[str], *, endpoint_url: str | None = None, role: str | None = None) -> Any:
    return SimpleNamespace(
        region="eu-west-1",
        profile=None,
        assume_role_arn=role,
        allowed_account_ids=allowed,
        endpoint_url=endpoint_url,
        connect_timeout=5,
        max_attempts=3,
    )


def _params_dir(tmp_path: Path, allowed: list[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A params dir whose ``sandbox.yaml`` points at real AWS (moto in-process) with ``allowed``."""
    text = VALID_PARAMS.read_text()
    text = text.replace("  endpoint_url: sandbox\n", "  endpoint_url: null\n")
    text = text.replace('  allowed_account_ids: ["123456789012"]\n', f"  allowed_account_ids: {json.dumps(allowed)}\n")
    assert f"allowed_account_ids: {json.dumps(allowed)}" in text and "endpoint_url: null" in text
    params_dir = tmp_path / "params"
    params_dir.mkdir(exist_ok=True)
    (params_dir / "sandbox.yaml").write_text(text)
    monkeypatch.setenv("RUNBOOK_PARAMS_DIR", str(params_dir))
    return params_dir


# -- the rule ------------------------------------------------------------------------------------------------------
def test_an_allowed_account_passes_and_is_named() -> None:
    identity = require_allowed_account(_aws([MOTO_ACCOUNT]), where="unit")
    assert identity is not None and identity.account == MOTO_ACCOUNT and identity.arn.startswith("arn:aws:")


def test_an_account_not_listed_is_refused_with_the_account_the_list_and_the_key() -> None:
    with pytest.raises(AccountNotAllowedError) as caught:
        require_allowed_account(_aws([OTHER_ACCOUNT]), where="runbook tf apply")
    error = caught.value
    assert error.exit_code == 4 and error.account == MOTO_ACCOUNT and error.allowed == [OTHER_ACCOUNT]
    text = str(error)
    assert MOTO_ACCOUNT in text and OTHER_ACCOUNT in text and "aws.allowed_account_ids" in text
    assert "runbook tf apply" in text


def test_real_aws_with_an_empty_list_is_refused() -> None:
    with pytest.raises(AccountNotAllowedError):
        require_allowed_account(_aws([]), where="unit")


def test_no_credentials_is_refused_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def _boom(service: str, aws: Any) -> Any:
        raise ConnectionError("no route to sts")

    monkeypatch.setattr(account_guard, "aws_client", _boom)
    with pytest.raises(AccountNotAllowedError) as caught:
        require_allowed_account(_aws([MOTO_ACCOUNT]), where="unit")
    assert caught.value.account is None and "ConnectionError" in str(caught.value)


def test_an_emulator_endpoint_reaches_no_account_and_calls_no_sts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(account_guard, "aws_client", lambda *a, **k: pytest.fail("STS called against an emulator"))
    assert require_allowed_account(_aws([], endpoint_url="sandbox"), where="unit") is None
    assert require_allowed_account(_aws([MOTO_ACCOUNT], endpoint_url="http://127.0.0.1:1"), where="unit") is None


def test_the_identity_is_read_once_per_process_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = account_guard.aws_client

    def counting(service: str, aws: Any) -> Any:
        calls.append(service)
        return real(service, aws)

    monkeypatch.setattr(account_guard, "aws_client", counting)
    for _ in range(3):
        require_allowed_account(_aws([MOTO_ACCOUNT]), where="unit")
    with pytest.raises(AccountNotAllowedError):  # the cache keeps the identity, never the verdict
        require_allowed_account(_aws([OTHER_ACCOUNT]), where="unit")
    assert calls == ["sts"]


def test_preflight_and_the_guard_share_one_rule() -> None:
    aws = _aws([OTHER_ACCOUNT])
    assert not account_verdict(MOTO_ACCOUNT, aws).allowed
    assert account_verdict(OTHER_ACCOUNT, aws).allowed
    sandbox = account_verdict(MOTO_ACCOUNT, _aws([], endpoint_url="sandbox"))
    assert sandbox.allowed and not sandbox.blocking


# -- aws.assume_role_arn: every client ------------------------------------------------------------------------------
def test_a_role_in_the_params_is_assumed_by_every_client_and_by_the_guard() -> None:
    role = f"arn:aws:iam::{MOTO_ACCOUNT}:role/runbook-migration"
    aws = _aws([MOTO_ACCOUNT], role=role)
    arn = clients.aws_client("sts", aws).get_caller_identity()["Arn"]
    assert ":assumed-role/runbook-migration/runbook" in arn
    identity = require_allowed_account(aws, where="unit")
    assert identity is not None and ":assumed-role/runbook-migration/" in identity.arn
    without = clients.aws_client("sts", _aws([MOTO_ACCOUNT])).get_caller_identity()["Arn"]
    assert ":assumed-role/" not in without


def test_the_object_migrator_target_uses_the_shared_role_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from runbook_lib.migrate.objects import client as objects_client

    seen: list[Any] = []
    monkeypatch.setattr(objects_client, "aws_session", lambda aws: seen.append(aws) or clients.aws_session(aws))
    monkeypatch.setenv(objects_client.SOURCE_ENDPOINT_ENV, "http://127.0.0.1:9")
    monkeypatch.setattr("boto3.Session", _session_without_profiles(monkeypatch))
    role = f"arn:aws:iam::{MOTO_ACCOUNT}:role/runbook-migration"
    params = SimpleNamespace(is_sandbox=False, aws=_aws([MOTO_ACCOUNT], role=role))
    _, target = objects_client.bulk_clients(params, None, pool=2)
    assert [a.assume_role_arn for a in seen] == [role]
    assert target.list_buckets()["Buckets"] == []  # signed with the role's credentials, which moto accepts


def _session_without_profiles(monkeypatch: pytest.MonkeyPatch) -> Any:
    """boto3.Session that ignores ``profile_name`` (the source profile does not exist here)."""
    import boto3

    real = boto3.Session

    def make(*args: Any, profile_name: str | None = None, **kwargs: Any) -> Any:
        return real(*args, **kwargs)

    return make


# -- Terraform: the provider gets the list and the role --------------------------------------------------------------
def test_the_runner_passes_the_allow_list_and_role_to_terraform_against_aws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runbook_lib.infra.terraform_setup import runner_from_params
    from runbook_lib.params import load_params

    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "main.tf").write_text('resource "terraform_data" "x" {}\n')
    params_dir = _params_dir(tmp_path, [MOTO_ACCOUNT], monkeypatch)
    params = load_params("sandbox", params_dir)
    role = f"arn:aws:iam::{MOTO_ACCOUNT}:role/runbook-migration"
    params = params.model_copy(update={"aws": params.aws.model_copy(update={"assume_role_arn": role})})
    env = runner_from_params(params, stack).env
    assert json.loads(env["TF_VAR_allowed_account_ids"]) == [MOTO_ACCOUNT]
    assert env["TF_VAR_assume_role_arn"] == role

    emulated = params.aws.model_copy(update={"endpoint_url": "http://127.0.0.1:4566"})
    sandbox = params.model_copy(update={"aws": emulated})  # the emulator's provider checks moto's account too
    env = runner_from_params(sandbox, stack).env
    assert json.loads(env["TF_VAR_allowed_account_ids"]) == [MOTO_ACCOUNT] and "TF_VAR_assume_role_arn" not in env


def test_every_stack_provider_reads_the_list_and_the_role() -> None:
    shared = REPO / "terraform_infra" / "shared" / "stack"
    providers = (shared / "providers.tf").read_text()
    assert "allowed_account_ids = " in providers and 'dynamic "assume_role"' in providers
    variables = (shared / "common_variables.tf").read_text()
    assert 'variable "allowed_account_ids"' in variables and 'variable "assume_role_arn"' in variables
    stacks = sorted((shared.parents[1] / "stacks").iterdir())
    assert stacks
    for stack in stacks:
        assert (stack / "providers.tf").resolve() == (shared / "providers.tf").resolve(), stack.name
        assert (stack / "common_variables.tf").resolve() == (shared / "common_variables.tf").resolve(), stack.name


# -- every entry point refuses first ---------------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["plan", "apply", "drift", "destroy"])
def test_runbook_tf_refuses_before_the_runner_or_the_lock(
    action: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from runbook_lib.cli import tf

    steps: list[str] = []
    monkeypatch.setattr(tf, "env_lock", lambda *a, **k: steps.append("lock") or pytest.fail("lock taken"))
    monkeypatch.setattr(tf, "runner_from_params", lambda *a, **k: steps.append("runner") or pytest.fail("runner"))
    _params_dir(tmp_path, [OTHER_ACCOUNT], monkeypatch)
    assert cli.main(["tf", action, "--stack", "demo", "--env", "sandbox"]) == 4
    assert steps == []
    assert MOTO_ACCOUNT in capsys.readouterr().err


def test_runbook_tf_goes_on_for_the_right_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runbook_lib.cli import tf

    def runner(*a: Any, **k: Any) -> Any:
        raise Reached

    monkeypatch.setattr(tf, "runner_from_params", runner)
    _params_dir(tmp_path, [MOTO_ACCOUNT], monkeypatch)
    with pytest.raises(Reached):
        tf._load(SimpleNamespace(env="sandbox", stack="demo", tf_command="drift"))


def test_runbook_migrate_refuses_before_any_migrator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from runbook_lib.migrate import registry

    built: list[str] = []
    monkeypatch.setattr(registry, "get_migrator", lambda kind: built.append(kind) or pytest.fail("migrator"))
    _params_dir(tmp_path, [OTHER_ACCOUNT], monkeypatch)
    assert cli.main(["migrate", "s3", "--env", "sandbox"]) == 4
    assert built == [] and MOTO_ACCOUNT in capsys.readouterr().err

    _params_dir(tmp_path, [MOTO_ACCOUNT], monkeypatch)

    def get_migrator(kind: str) -> Any:
        raise Reached

    monkeypatch.setattr(registry, "get_migrator", get_migrator)
    with pytest.raises(Reached):
        cli.main(["migrate", "s3", "--env", "sandbox"])


def test_runbook_iac_check_refuses_when_it_talks_to_aws_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from runbook_lib.infra import iac_check

    built: list[bool] = []

    def fake_check(params: Any, **kwargs: Any) -> Any:
        built.append(kwargs["static_only"])
        raise Reached

    monkeypatch.setattr(iac_check, "IacCheck", fake_check)
    _params_dir(tmp_path, [OTHER_ACCOUNT], monkeypatch)
    assert cli.main(["iac", "check", "--env", "sandbox"]) == 4
    assert built == [] and MOTO_ACCOUNT in capsys.readouterr().err
    with pytest.raises(Reached):  # fmt, validate and checkov alone reach no account: not guarded
        cli.main(["iac", "check", "--env", "sandbox", "--static-only"])
    assert built == [True]

    _params_dir(tmp_path, [MOTO_ACCOUNT], monkeypatch)
    with pytest.raises(Reached):
        cli.main(["iac", "check", "--env", "sandbox"])
    assert built == [True, False]


def _notebooks(tmp_path: Path) -> Path:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("00_preflight", "01_network", "02_data"):
        (notebooks / f"{name}.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    return notebooks


@pytest.mark.parametrize("phases", ["1-2", "2", None])
def test_runbook_run_refuses_whatever_phases_are_selected(
    phases: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    monkeypatch.setattr(headless, "_check_kernel", lambda name: started.append("kernel") or pytest.fail("kernel"))
    monkeypatch.setattr(headless, "env_lock", lambda *a, **k: started.append("lock") or pytest.fail("lock"))
    params_dir = _params_dir(tmp_path, [OTHER_ACCOUNT], monkeypatch)
    kwargs = {"notebooks_dir": _notebooks(tmp_path), "params_dir": params_dir, "outputs_dir": tmp_path / "out"}
    with pytest.raises(AccountNotAllowedError) as caught:
        headless.run_notebooks("sandbox", phases=phases, **kwargs)
    assert caught.value.account == MOTO_ACCOUNT and started == []
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())

    assert headless.run_notebooks("sandbox", phases=phases, dry_run=True, **kwargs).dry_run  # lists, no AWS


def test_runbook_run_resume_refuses_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    monkeypatch.setattr(headless, "_check_kernel", lambda name: started.append("kernel") or pytest.fail("kernel"))
    notebooks = _notebooks(tmp_path)
    phase = headless.discover_phases(notebooks)[1]
    monkeypatch.setattr(headless, "_open_for_resume", lambda *a, **k: (None, [phase], {}, None))
    params_dir = _params_dir(tmp_path, [OTHER_ACCOUNT], monkeypatch)
    kwargs = {"notebooks_dir": notebooks, "params_dir": params_dir, "outputs_dir": tmp_path / "out"}
    with pytest.raises(AccountNotAllowedError):
        headless.run_notebooks("sandbox", resume="sandbox-20260101-000000-abcd", **kwargs)
    assert started == []

    _params_dir(tmp_path, [MOTO_ACCOUNT], monkeypatch)

    def kernel(name: str) -> None:
        raise Reached

    monkeypatch.setattr(headless, "_check_kernel", kernel)
    with pytest.raises(Reached):
        headless.run_notebooks("sandbox", resume="sandbox-20260101-000000-abcd", **kwargs)


def test_a_phase_opened_by_hand_refuses_before_the_lock_or_any_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held: list[str] = []
    monkeypatch.setattr(session, "hold_for_session", lambda *a, **k: held.append("lock") or pytest.fail("lock"))
    params_dir = _params_dir(tmp_path, [OTHER_ACCOUNT], monkeypatch)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AccountNotAllowedError):
        session.open_phase("03_streaming", params_file=str(params_dir / "sandbox.yaml"))
    assert held == []
    assert not (tmp_path / "outputs").exists()

    shutil.rmtree(params_dir)
    params_dir = _params_dir(tmp_path, [MOTO_ACCOUNT], monkeypatch)

    def hold(*a: Any, **k: Any) -> None:
        raise Reached

    monkeypatch.setattr(session, "hold_for_session", hold)
    with pytest.raises(Reached):
        session.open_phase("03_streaming", params_file=str(params_dir / "sandbox.yaml"))
