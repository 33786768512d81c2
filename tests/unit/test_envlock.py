"""One run per environment: the lock file, the S3 lock object (moto), nesting, and the commands that take it.

A second process is a real process (a small script started here), because the lock file's ``flock`` only
keeps *other* processes out; holds inside one process are shared on purpose.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from fakes import REPO, mocked_aws

from runbook_lib import filelock
from runbook_lib.cli import main
from runbook_lib.errors import EnvLockedError
from runbook_lib.params import load_params_file
from runbook_lib.phases import envlock
from runbook_lib.phases.envlock import (
    S3_LOCK_NAME,
    TOKENS_ENV,
    EnvLock,
    LockHolder,
    env_lock,
    lock_dir,
    lock_status,
    release_stale,
    state_bucket,
)

pytestmark = pytest.mark.unit


SANDBOX_PARAMS = """\
env: sandbox
aws:
  region: eu-west-1
  endpoint_url: sandbox
evidence:
  outputs_dir: outputs
"""

DEV_PARAMS = """\
env: dev
aws:
  region: eu-west-1
  allowed_account_ids: ["123456789012"]
terraform:
  backend:
    bucket: dmig-dev-tfstate
    key_prefix: dev
evidence:
  outputs_dir: outputs
"""

HOLD = """
import os, sys
sys.path.insert(0, {repo!r})
from runbook_lib.errors import EnvLockedError
from runbook_lib.params import load_params_file
from runbook_lib.phases.envlock import env_lock
params = load_params_file(sys.argv[1])
lock = env_lock(params, command=sys.argv[2], run_id=sys.argv[3] if len(sys.argv) > 3 else None)
try:
    lock.acquire()
except EnvLockedError as error:
    print("refused", error.one_line(), flush=True)
    sys.exit(0)
print("inherited" if lock.inherited else "held", flush=True)
sys.stdin.readline()  # hold until the test closes stdin (or kills this process)
lock.release()
"""


@pytest.fixture(autouse=True)
def locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own lock folder and no inherited token; nothing held when it ends."""
    folder = tmp_path / "locks"
    monkeypatch.setenv(envlock.LOCK_DIR_ENV, str(folder))
    monkeypatch.delenv(TOKENS_ENV, raising=False)
    yield folder
    assert not envlock._HELD, "a test left an environment lock held"


def _params_file(tmp_path: Path, text: str = SANDBOX_PARAMS, env: str = "sandbox") -> Path:
    folder = tmp_path / "params"
    folder.mkdir(exist_ok=True)
    path = folder / f"{env}.yaml"
    path.write_text(text)
    return path


class Holder:
    """Another process that takes (or tries to take) the lock; ``close`` lets it release and exit."""

    def __init__(self, tmp_path: Path, params_file: Path, command: str, run_id: str | None = None, env=None) -> None:
        script = tmp_path / "hold.py"
        script.write_text(HOLD.format(repo=str(REPO)))
        argv = [sys.executable, str(script), str(params_file), command, *([run_id] if run_id else [])]
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env or dict(os.environ)
        )
        assert self.proc.stdout is not None
        self.said = self.proc.stdout.readline().strip()

    def close(self) -> None:
        if self.proc.poll() is None and self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)


# -- the lock file --------------------------------------------------------------------------------------
def test_a_second_run_is_refused_and_told_who_holds_the_lock(tmp_path: Path) -> None:
    params_file = _params_file(tmp_path)
    other = Holder(tmp_path, params_file, "runbook run --env sandbox --phases all", "sandbox-20260101T000000Z-abcd")
    try:
        assert other.said == "held"
        with pytest.raises(EnvLockedError) as caught:
            env_lock(load_params_file(params_file), command="runbook tf apply --stack 02 --env sandbox").acquire()
        error = caught.value
        assert error.env == "sandbox" and error.holder["pid"] == other.proc.pid
        assert error.holder["command"] == "runbook run --env sandbox --phases all"
        for part in (
            f"@{socket.gethostname()} pid {other.proc.pid}",
            "`runbook run --env sandbox --phases all`",
            "run sandbox-20260101T000000Z-abcd",
            f"since {error.holder['started_at']}",
        ):
            assert part in error.message
        assert "runbook lock status --env sandbox" in error.hint and "runbook lock release --env sandbox" in error.hint
        assert "token" not in error.holder  # what lets a child in is never shown
    finally:
        other.close()
    with env_lock(load_params_file(params_file), command="after") as lock:  # released: free again
        assert lock.holder.pid == os.getpid()


def test_a_killed_holder_never_blocks_and_its_record_shows_as_stale(tmp_path: Path) -> None:
    params = load_params_file(_params_file(tmp_path))
    other = Holder(tmp_path, _params_file(tmp_path), "runbook migrate postgres --env sandbox")
    assert other.said == "held"
    (state,) = lock_status(params)
    assert state.state == "held" and state.alive is True and state.holder["pid"] == other.proc.pid
    with pytest.raises(EnvLockedError, match="live process"):
        release_stale(params)  # never while its holder runs
    other.kill()  # kill -9: no release ran, the kernel dropped the flock
    (state,) = lock_status(params)
    assert state.state == "stale" and state.alive is False
    assert release_stale(params) == [state.where]
    assert lock_status(params)[0].state == "free"
    with env_lock(params, command="next run"):
        pass


def test_holds_in_one_process_are_shared_and_the_last_release_frees(tmp_path: Path) -> None:
    params = load_params_file(_params_file(tmp_path))
    outer = env_lock(params, command="runbook run --env sandbox").acquire()
    inner = env_lock(params, command="notebook phase 01").acquire()  # e.g. a session inside the runner's process
    path = Path(outer.stores[0].where)
    assert inner.holder == outer.holder
    inner.release()
    assert filelock.is_locked(path)  # the outer hold still has it
    outer.release()
    outer.release()  # a second release does nothing
    assert not filelock.is_locked(path) and filelock.read_body(path) is None


def test_a_child_process_with_the_runners_token_is_let_in_one_without_is_refused(tmp_path: Path) -> None:
    params_file = _params_file(tmp_path)
    with env_lock(load_params_file(params_file), command="runbook run --env sandbox") as lock:
        assert lock.holder.token in os.environ[TOKENS_ENV]  # what papermill's kernel inherits
        kernel = Holder(tmp_path, params_file, "notebook phase 01_network_iam")
        kernel.close()
        assert kernel.said == "inherited"
        stranger_env = {k: v for k, v in os.environ.items() if k != TOKENS_ENV}
        stranger = Holder(tmp_path, params_file, "notebook phase 02", env=stranger_env)
        stranger.close()
        assert stranger.said.startswith("refused") and "`runbook run --env sandbox`" in stranger.said
        forged = Holder(tmp_path, params_file, "x", env={**stranger_env, TOKENS_ENV: "0" * 32})
        forged.close()
        assert forged.said.startswith("refused")
    assert TOKENS_ENV not in os.environ


def test_where_the_lock_file_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(envlock.LOCK_DIR_ENV)
    monkeypatch.setenv("RUNBOOK_SANDBOX_DIR", str(tmp_path / "sbx"))
    sandbox = load_params_file(_params_file(tmp_path))
    assert lock_dir(sandbox) == tmp_path / "sbx" / "locks"  # the sandbox is that folder
    dev_file = _params_file(
        tmp_path,
        DEV_PARAMS.replace("terraform:\n  backend:\n    bucket: dmig-dev-tfstate\n    key_prefix: dev\n", ""),
        env="dev",
    )
    dev = load_params_file(dev_file)
    assert lock_dir(dev, dev_file.parent) == (tmp_path / "outputs" / ".locks").resolve()  # beside .checkpoints


# -- the object in the state bucket (AWS) -------------------------------------------------------------------
@pytest.fixture
def dev_params(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with mocked_aws(monkeypatch, region=None):
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(Bucket="dmig-dev-tfstate", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_bucket_versioning(Bucket="dmig-dev-tfstate", VersioningConfiguration={"Status": "Enabled"})
        yield load_params_file(_params_file(tmp_path, DEV_PARAMS, env="dev")), s3


def _foreign(host: str = "build-agent-7", pid: int = 4242, token: str = "f" * 32) -> bytes:
    holder = LockHolder("dev", "ci", host, pid, "runbook run --env dev", "2026-01-01T00:00:00Z", token, "dev-r1")
    return json.dumps(holder.to_dict()).encode()


def test_against_aws_the_lock_is_an_object_created_only_if_absent(dev_params) -> None:
    params, s3 = dev_params
    assert state_bucket(params) == ("dmig-dev-tfstate", f"dev/{S3_LOCK_NAME}", None)
    with env_lock(params, command="runbook tf apply --stack 02_data_stores --env dev") as lock:
        assert [s.where for s in lock.stores][1] == f"s3://dmig-dev-tfstate/dev/{S3_LOCK_NAME}"
        body = json.loads(s3.get_object(Bucket="dmig-dev-tfstate", Key=f"dev/{S3_LOCK_NAME}")["Body"].read())
        assert body["command"] == "runbook tf apply --stack 02_data_stores --env dev" and body["pid"] == os.getpid()
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="dmig-dev-tfstate", Key=f"dev/{S3_LOCK_NAME}")
    with env_lock(params, command="again"):  # a delete marker in the versioned bucket does not count as a lock
        pass


def test_a_run_on_another_host_is_seen_through_the_bucket(dev_params) -> None:
    params, s3 = dev_params
    s3.put_object(Bucket="dmig-dev-tfstate", Key=f"dev/{S3_LOCK_NAME}", Body=_foreign())
    with pytest.raises(EnvLockedError) as caught:
        env_lock(params, command="runbook migrate s3 --env dev").acquire()
    assert "ci@build-agent-7 pid 4242" in caught.value.message and "run dev-r1" in caught.value.message
    assert caught.value.where == f"s3://dmig-dev-tfstate/dev/{S3_LOCK_NAME}"
    assert not filelock.is_locked(Path(lock_status(params)[0].where))  # the file lock taken first was given back
    states = {s.where.split(":")[0]: s for s in lock_status(params)}
    assert states["s3"].state == "held" and states["s3"].alive is None  # cannot be checked from here
    with pytest.raises(EnvLockedError, match="another host"):
        release_stale(params)
    assert release_stale(params, force=True) == [f"s3://dmig-dev-tfstate/dev/{S3_LOCK_NAME}"]
    with env_lock(params, command="after the force release"):
        pass


def test_a_dead_holder_on_this_host_is_stale_and_released_without_force(dev_params) -> None:
    params, s3 = dev_params
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    s3.put_object(Bucket="dmig-dev-tfstate", Key=f"dev/{S3_LOCK_NAME}", Body=_foreign(socket.gethostname(), dead.pid))
    states = {s.where.split(":")[0]: s for s in lock_status(params)}
    assert states["s3"].state == "stale" and states["s3"].alive is False
    assert release_stale(params) == [f"s3://dmig-dev-tfstate/dev/{S3_LOCK_NAME}"]


def test_a_live_holder_on_this_host_is_never_released(dev_params) -> None:
    params, s3 = dev_params
    s3.put_object(
        Bucket="dmig-dev-tfstate", Key=f"dev/{S3_LOCK_NAME}", Body=_foreign(socket.gethostname(), os.getpid())
    )
    with pytest.raises(EnvLockedError, match="live process"):
        release_stale(params, force=True)


def test_before_stack_00_made_the_bucket_the_lock_is_this_hosts_only(dev_params, caplog) -> None:
    params, s3 = dev_params
    params = params.model_copy(
        update={
            "terraform": params.terraform.model_copy(
                update={"backend": params.terraform.backend.model_copy(update={"bucket": "not-created-yet"})}
            )
        }
    )
    with caplog.at_level("WARNING", logger="runbook_lib.phases.envlock"), env_lock(params, command="bootstrap"):
        pass
    assert "not-created-yet does not exist yet" in caplog.text


def test_the_bucket_comes_from_backend_hcl_when_the_params_name_none(tmp_path: Path) -> None:
    env_dir = tmp_path / "envs" / "dev"
    env_dir.mkdir(parents=True)
    (env_dir / "backend.hcl").write_text('bucket = "dmig-dev-tfstate"\nregion = "eu-west-1"\n')
    text = DEV_PARAMS.replace(
        "  backend:\n    bucket: dmig-dev-tfstate\n    key_prefix: dev\n", f"  env_dir: {env_dir}\n"
    )
    params = load_params_file(_params_file(tmp_path, text, env="dev"))
    assert state_bucket(params) == ("dmig-dev-tfstate", f"dev/{S3_LOCK_NAME}", "eu-west-1")


# -- the commands that take it ------------------------------------------------------------------------------
def test_runbook_lock_status_and_release(tmp_path: Path, monkeypatch, capsys) -> None:
    params_file = _params_file(tmp_path)
    monkeypatch.setenv("RUNBOOK_PARAMS_DIR", str(params_file.parent))
    other = Holder(tmp_path, params_file, "runbook run --env sandbox")
    try:
        assert main(["lock", "status", "--env", "sandbox", "--json"]) == 0
        (state,) = json.loads(capsys.readouterr().out)
        assert state["state"] == "held" and state["holder"]["command"] == "runbook run --env sandbox"
        assert main(["lock", "release", "--env", "sandbox"]) == 1
        assert "live process" in capsys.readouterr().err
    finally:
        other.kill()
    assert main(["lock", "status", "--env", "sandbox"]) == 0
    assert "stale" in capsys.readouterr().out
    assert main(["lock", "release", "--env", "sandbox"]) == 0
    assert "released" in capsys.readouterr().out


def test_runbook_tf_plan_is_refused_while_another_run_holds_the_environment(tmp_path: Path, monkeypatch, capsys):
    stacks = tmp_path / "stacks" / "demo"
    stacks.mkdir(parents=True)
    (stacks / "main.tf").write_text('resource "terraform_data" "x" {}\n')
    text = SANDBOX_PARAMS.replace("  endpoint_url: sandbox\n", '  allowed_account_ids: ["123456789012"]\n')
    text += f"terraform:\n  stacks_dir: {stacks.parent}\n"
    params_file = _params_file(tmp_path, text.replace("env: sandbox", "env: unit"), env="unit")
    monkeypatch.setenv("RUNBOOK_PARAMS_DIR", str(params_file.parent))
    monkeypatch.setenv("RUNBOOK_TERRAFORM_BINARY", sys.executable)  # never run: the lock stops it first
    from runbook_lib.phases import account_guard  # the account guard runs first; this test is about the lock

    monkeypatch.setattr(
        account_guard, "caller_identity", lambda aws: account_guard.CallerIdentity("123456789012", "arn:aws:iam::x")
    )
    other = Holder(tmp_path, params_file, "runbook run --env unit")
    try:
        assert main(["tf", "plan", "--stack", "demo", "--env", "unit", "--no-init"]) == 1
    finally:
        other.close()
    err = capsys.readouterr().err
    assert f"pid {other.proc.pid}" in err and "`runbook run --env unit`" in err


def test_runbook_migrate_is_refused_before_the_migrator_is_built(tmp_path: Path, monkeypatch, capsys) -> None:
    import runbook_lib.migrate.registry as registry

    built: list[str] = []

    class Never:
        kind = "fake"

        @classmethod
        def from_params(cls, *args, **kwargs):
            built.append("built")
            raise AssertionError("must not be built")

    monkeypatch.setattr(registry, "get_migrator", lambda kind: Never)
    monkeypatch.setattr("runbook_lib.sandbox.require_running", lambda what: "STATE")
    params_file = _params_file(tmp_path)
    monkeypatch.setenv("RUNBOOK_PARAMS_DIR", str(params_file.parent))
    other = Holder(tmp_path, params_file, "runbook migrate postgres --env sandbox")
    try:
        assert main(["migrate", "fake", "--env", "sandbox", "--checkpoint-dir", str(tmp_path / "ck")]) == 1
    finally:
        other.close()
    assert built == []
    assert "`runbook migrate postgres --env sandbox`" in capsys.readouterr().err


def test_a_notebook_phase_run_by_hand_holds_the_lock_until_done(tmp_path: Path) -> None:
    from runbook_lib.phases.session import open_phase

    params_file = _params_file(tmp_path)
    session = open_phase("01_network_iam", env="sandbox", params_file=str(params_file))
    again = open_phase("01_network_iam", env="sandbox", params_file=str(params_file))  # the cell run twice
    other = Holder(
        tmp_path, params_file, "runbook run --env sandbox", env={k: v for k, v in os.environ.items() if k != TOKENS_ENV}
    )
    other.close()
    assert other.said.startswith("refused") and "notebook phase 01_network_iam" in other.said
    again.done()
    assert envlock._HELD == {}  # one hold for both sessions, released by done()
    session.done()


def test_runbook_run_is_refused_before_any_phase_runs(tmp_path: Path) -> None:
    from runbook_lib.phases.headless import run_notebooks

    params_file = _params_file(tmp_path)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "00_x.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    other = Holder(tmp_path, params_file, "runbook tf apply --stack 01 --env sandbox")
    try:
        with pytest.raises(EnvLockedError, match="runbook tf apply --stack 01"):
            run_notebooks(
                "sandbox",
                notebooks_dir=notebooks,
                params_dir=params_file.parent,
                outputs_dir=tmp_path / "outputs",
                lib_dir=tmp_path,
                repo_dir=tmp_path,
            )
    finally:
        other.close()
    assert not (tmp_path / "outputs").exists() or not any((tmp_path / "outputs").glob("sandbox-*"))


def test_a_lock_with_an_unreadable_record_still_names_what_it_knows(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "sandbox.lock"
    held = filelock.try_lock(path)  # held, but no body written (yet)
    try:
        with pytest.raises(EnvLockedError, match="unknown"):
            EnvLock("sandbox", [envlock.FileLockStore(path, "sandbox")], command="x").acquire()
    finally:
        held.release()
    time.sleep(0)  # nothing left
