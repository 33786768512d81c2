"""Issue #14, "secrets reach outputs": a secret resolved in a kernel is in no file of the run, no log, no HTML.

The secret holds ``& < > " '`` and a newline, lives in the sandbox's Secrets Manager (moto) and is the
target DSN reference of a small params file. Small phase notebooks resolve it the way the runbook
does, print it, log it (botocore at DEBUG too), show it in a pandas DataFrame (HTML), record it as a
table (CSV) and raise an error holding it; they run headless through ``runbook -v run``. A run killed
mid-phase (SIGKILL) leaves no unredacted notebook in the run folder, and its resume keeps the killed
attempt's redacted notebook under ``attempts/``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
from fakes import folder_args, write_phase_notebook

from runbook_lib import redact
from runbook_lib.evidence import MANIFEST_NAME
from runbook_lib.paths import project_root

pytestmark = pytest.mark.integration

SECRET = "Rb&<k>\"q'\nZeta-9911-tail"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "eu-west-1",
}
OPEN = (
    "import logging\n"
    "logging.basicConfig(level=logging.DEBUG, format='%(name)s: %(message)s')  # botocore at DEBUG too\n"
    "from runbook_lib.endpoints import aws_endpoint_url\n"
    "from runbook_lib.params import resolve_secret\n"
    "from runbook_lib.phases.session import open_phase\n"
    "session = open_phase(phase, env=env, params_file=params_file, run_id=run_id, evidence_dir=evidence_dir)\n"
    "ref = session.params.migration.postgres[0].target_dsn_ref\n"
    "secret = resolve_secret(ref, endpoint_url=aws_endpoint_url(session.params.aws))"
)
SHOW = [
    "print('resolved:', secret)\nprint(repr(secret))\nlogging.getLogger('runbook_lib.demo').warning('pw %s', secret)",
    "import pandas as pd\nframe = pd.DataFrame({'name': ['target password'], 'value': [secret]})\n"
    "session.table('secret_table', frame)",
    "import json\nfrom urllib.parse import quote\nfrom IPython.display import JSON, HTML, display\n"
    "display(JSON({'value': secret}))\ndisplay(HTML('<b>' + secret + '</b>'))\n"
    "print(json.dumps({'value': secret}))\nprint('url', quote(secret, safe=''))",
]



def _forms() -> list[bytes]:
    """The secret in every escaped spelling, and each of its lines long enough to be unmistakable."""
    pieces = {form.encode() for form in redact.escaped_forms(SECRET)}
    pieces |= {line.encode() for line in SECRET.splitlines() if len(line) >= 8}
    return sorted(pieces)


def _leaks(data: bytes) -> list[bytes]:
    return [form for form in _forms() if form in data]


def _files_with_secret(folder: Path) -> dict[str, list[bytes]]:
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and (leaks := _leaks(path.read_bytes())):
            found[str(path.relative_to(folder))] = leaks
    return found


@pytest.fixture(scope="module")
def workspace(sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A params file whose postgres target DSN is a Secrets Manager secret holding SECRET, and three phases."""
    root = tmp_path_factory.mktemp("secrets")
    sm = boto3.client("secretsmanager", endpoint_url=sandbox.url("aws"), region_name="eu-west-1", **_keys())
    arn = sm.create_secret(Name=f"runbook/test/pg-target-{uuid.uuid4().hex[:8]}", SecretString=SECRET)["ARN"]
    params_dir, notebooks = root / "params", root / "notebooks"
    params_dir.mkdir()
    notebooks.mkdir()
    text = (project_root() / "params" / "sandbox.yaml").read_text()
    sandbox_ref = "target_dsn_ref: {sandbox: postgres-target}"
    assert text.count(sandbox_ref) == 1
    text = text.replace(sandbox_ref, f'target_dsn_ref: {{secretsmanager_arn: "{arn}"}}')
    (params_dir / "sandbox.yaml").write_text(text)
    hold = root / "hold"
    write_phase_notebook(notebooks / "00_show.ipynb", OPEN, *SHOW, "session.done()")
    fail = "raise ValueError(f'cannot connect with password {secret!r}')"
    write_phase_notebook(notebooks / "01_fail.ipynb", OPEN, fail)
    write_phase_notebook(
        notebooks / "02_slow.ipynb",
        OPEN,
        *SHOW,
        f"import time\nfrom pathlib import Path\nwhile Path({str(hold)!r}).exists():\n    time.sleep(0.2)",
        "print('finished')\nsession.done()",
    )
    return {"root": root, "params": params_dir, "notebooks": notebooks, "outputs": root / "outputs", "hold": hold}


def _keys() -> dict[str, str]:
    return {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def _command(ws: dict[str, Path], *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "runbook_lib.cli",
        "-v",
        "run",
        "--env",
        "sandbox",
        *folder_args(ws, ws["outputs"]),
        *args,
    ]


def _runbook(ws: dict[str, Path], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        _command(ws, *args), capture_output=True, env={**os.environ, **AWS_ENV}, timeout=600, cwd=ws["root"]
    )


def _run_dirs(ws: dict[str, Path]) -> set[Path]:
    return {p.parent for p in ws["outputs"].glob(f"*/{MANIFEST_NAME}")}


def test_a_run_writes_the_secret_nowhere(workspace: dict[str, Path]) -> None:
    before = _run_dirs(workspace)
    result = _runbook(workspace, "--phases", "0-1")
    log = result.stdout + result.stderr
    assert result.returncode == 1, log.decode(errors="replace")  # 01_fail raised, as it should
    assert b"ValueError" in result.stdout
    assert b"runbook_lib.phases.headless: phase 00_show" in result.stderr  # -v logged
    assert _leaks(log) == []

    (run_dir,) = _run_dirs(workspace) - before
    assert _files_with_secret(workspace["outputs"]) == {}  # run folder, working area, everything
    manifest = json.loads((run_dir / MANIFEST_NAME).read_text())
    shown = manifest["phases"]["00_show"]
    assert shown["status"] == "succeeded" and manifest["phases"]["01_fail"]["status"] == "failed"
    assert redact.MASK in manifest["phases"]["01_fail"]["error"]
    # The secret was there to leak: every place it went shows the mask instead.
    notebook = (run_dir / shown["notebook"]).read_text()
    assert "resolved: [REDACTED]" in notebook
    html = (run_dir / shown["html"]).read_text()
    assert redact.MASK in html
    table = next(t for t in shown["tables"] if t["name"] == "secret_table")
    assert redact.MASK in (run_dir / table["file"]).read_text()
    assert table["records"][0]["value"] == redact.MASK
    assert not (workspace["outputs"] / ".work" / run_dir.name / "notebooks" / "00_show.ipynb").exists()


def test_a_killed_run_leaves_no_unredacted_notebook_and_resume_keeps_it(workspace: dict[str, Path]) -> None:
    workspace["hold"].write_text("keep 02_slow waiting")
    before = _run_dirs(workspace)
    log_file = workspace["root"] / "killed-run.log"
    with log_file.open("wb") as log_handle:
        runner = subprocess.Popen(
            _command(workspace, "--phases", "2"),
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, **AWS_ENV},
            cwd=workspace["root"],
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                in_progress = list(workspace["outputs"].glob(".work/*/notebooks/02_slow.ipynb"))
                if in_progress and "display_data" in in_progress[0].read_text(errors="replace"):
                    break  # every SHOW cell ran and papermill saved: the phase is waiting, kill it
                assert runner.poll() is None, log_file.read_text(errors="replace")
                time.sleep(0.3)
            else:
                pytest.fail("02_slow never reached its waiting cell:\n" + log_file.read_text(errors="replace"))
        finally:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait()

    (run_dir,) = _run_dirs(workspace) - before
    assert _files_with_secret(run_dir) == {}
    assert not (run_dir / "notebooks" / "02_slow.ipynb").exists()
    assert _files_with_secret(workspace["outputs"]) == {}  # the working copy was redacted by the kernel
    assert _leaks(log_file.read_bytes()) == []

    workspace["hold"].unlink()
    resumed = _runbook(workspace, "--resume", run_dir.name)
    assert resumed.returncode == 0, (resumed.stdout + resumed.stderr).decode(errors="replace")
    assert _leaks(resumed.stdout + resumed.stderr) == []
    record = json.loads((run_dir / MANIFEST_NAME).read_text())["phases"]["02_slow"]
    assert record["status"] == "succeeded"
    attempt = record["attempts"][0]
    assert attempt["notebook"].startswith("attempts/") and "interrupted" in attempt["error"]
    assert "resolved: [REDACTED]" in (run_dir / attempt["notebook"]).read_text()
    assert _files_with_secret(workspace["outputs"]) == {}
    assert not (workspace["outputs"] / ".work" / run_dir.name).exists()
