"""runbook_lib.phases.headless: phase selection, fingerprints, papermill execution, failure evidence, resume.

The execution tests run tiny throwaway notebooks in a real ``python3`` kernel (offline, a few
seconds each): one that succeeds, one that fails until a marker file exists (so it can be
"fixed" without changing code), and one that raises GateRejectedError.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from fakes import VALID_PARAMS, folder_args, write_phase_notebook

from runbook_lib import redact
from runbook_lib.cli import main
from runbook_lib.errors import ParamsError, PhaseFailedError, ResumeRefusedError
from runbook_lib.evidence import MANIFEST_NAME, verify_evidence
from runbook_lib.phases.headless import (
    Phase,
    code_fingerprint,
    discover_phases,
    exit_code_for_ename,
    parse_phase_spec,
    run_notebooks,
)

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("clean_redactor")]

#: Runs here are signed as the sandbox's are: an Ed25519 key (relative to the folder above params/) that the
#: first phase end generates with mode 0600.
SIGNING = '  signing: {mode: ed25519, key_file: keys/evidence-ed25519.pem}\n'


def _signed_params(params_file: Path) -> None:
    """The fixture params with an ``evidence.signing`` section, written to ``params_file``."""
    text = VALID_PARAMS.read_text()
    anchor = "  redact_patterns:"
    assert text.count(anchor) == 1
    params_file.write_text(text.replace(anchor, SIGNING + anchor))


def _evidence_verifies(run_dir: Path, params_dir: Path) -> bool:
    """`runbook evidence verify` as check_evidence runs it: the key comes from the run's env's params."""
    return main(["evidence", "verify", str(run_dir), "--params-dir", str(params_dir)]) == 0


def _phases(numbers: list[int]) -> list[Phase]:
    return [Phase(n, f"{n:02d}_p{n}", Path(f"{n:02d}_p{n}.ipynb")) for n in numbers]


# -- phase specs -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, [0, 1, 2, 3, 5, 7]),
        ("all", [0, 1, 2, 3, 5, 7]),
        ("0-3,5", [0, 1, 2, 3, 5]),
        ("5,1", [1, 5]),
        ("3-7", [3, 5, 7]),
        ("2", [2]),
        ("1-2, 2-3", [1, 2, 3]),
    ],
)
def test_parse_phase_spec(spec: str | None, expected: list[int]) -> None:
    assert [p.number for p in parse_phase_spec(spec, _phases([0, 1, 2, 3, 5, 7]))] == expected


@pytest.mark.parametrize("spec", ["", "x", "3-1", "9", "4", "1-4", "1,,2", "1-", "-2", "01_p1"])
def test_bad_phase_spec_names_allowed_phases(spec: str) -> None:
    with pytest.raises(ParamsError) as info:
        parse_phase_spec(spec, _phases([0, 1, 2, 3, 5]))
    assert info.value.key == "phases"
    assert info.value.value == spec
    assert "5 (05_p5)" in info.value.allowed


def test_discover_phases_orders_and_ignores_other_files(tmp_path: Path) -> None:
    for name in ["02_data.ipynb", "00_preflight.ipynb", "10_extra.ipynb", "scratch.ipynb", "1_bad.ipynb"]:
        (tmp_path / name).write_text("{}")
    assert [p.name for p in discover_phases(tmp_path)] == ["00_preflight", "02_data", "10_extra"]


def test_discover_phases_rejects_duplicates_and_empty(tmp_path: Path) -> None:
    with pytest.raises(ParamsError):
        discover_phases(tmp_path)
    (tmp_path / "01_a.ipynb").write_text("{}")
    (tmp_path / "01_b.ipynb").write_text("{}")
    with pytest.raises(ParamsError) as info:
        discover_phases(tmp_path)
    assert "01_a.ipynb" in info.value.message and "01_b.ipynb" in info.value.message


@pytest.mark.parametrize(
    ("ename", "code"),
    [
        ("GateRejectedError", 3),
        ("DestructiveChangeError", 3),
        ("ParamsError", 2),
        ("ResumeRefusedError", 2),
        ("ToolMissingError", 4),
        ("SandboxDownError", 5),
        ("MigrationVerificationError", 1),
        ("ValueError", 1),
        ("KeyboardInterrupt", 1),
    ],
)
def test_exit_code_for_ename(ename: str, code: int) -> None:
    assert exit_code_for_ename(ename) == code


# -- code fingerprint -------------------------------------------------------------------------------
def test_fingerprint_ignores_outputs_but_not_sources(tmp_path: Path) -> None:
    notebooks, lib = tmp_path / "notebooks", tmp_path / "lib"
    notebooks.mkdir()
    lib.mkdir()
    (lib / "mod.py").write_text("X = 1\n")
    write_phase_notebook(notebooks / "00_a.ipynb", "print(1)")
    first = code_fingerprint(notebooks, lib, tmp_path)
    assert first.git_commit == "unknown"

    nb = nbformat.read(notebooks / "00_a.ipynb", as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb.cells[2].execution_count = 1
    nbformat.write(nb, notebooks / "00_a.ipynb")
    assert code_fingerprint(notebooks, lib, tmp_path).sources_sha256 == first.sources_sha256

    (lib / "mod.py").write_text("X = 2\n")
    write_phase_notebook(notebooks / "01_b.ipynb", "print(2)")
    changed = code_fingerprint(notebooks, lib, tmp_path)
    assert changed.changes_since(first) == ["lib/mod.py changed", "notebooks/01_b.ipynb added"]


# -- executing notebooks ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runner")
    notebooks, params_dir, lib, outputs = root / "notebooks", root / "params", root / "lib", root / "outputs"
    for folder in (notebooks, params_dir, lib):
        folder.mkdir()
    (lib / "stand_in.py").write_text("# the code fingerprint covers this folder in these tests\n")
    _signed_params(params_dir / "sandbox.yaml")
    marker = root / "fixed.marker"
    write_phase_notebook(
        notebooks / "00_ok.ipynb",
        "import pandas as pd\nfrom runbook_lib.evidence.ledger import EvidenceLedger\n"
        "ledger = EvidenceLedger.open(evidence_dir)\n"
        "ledger.record_table(phase, 'checks', pd.DataFrame({'check': ['env'], 'value': [env]}))",
        "print('ok', env, run_id, phase)",
    )
    write_phase_notebook(
        notebooks / "01_flaky.ipynb",
        "from pathlib import Path\nprint('connecting to postgresql://app:Flaky-Pw-123@db/platform')",
        f"if not Path({str(marker)!r}).exists():\n    raise ValueError('marker missing: fix the environment')",
        "print('fixed')",
    )
    write_phase_notebook(
        notebooks / "02_gate.ipynb",
        "from runbook_lib.errors import GateRejectedError\n"
        "raise GateRejectedError('network-plan', 'plan deletes aws_db_instance.this')",
    )
    return {
        "root": root,
        "notebooks": notebooks,
        "params": params_dir,
        "lib": lib,
        "outputs": outputs,
        "marker": marker,
    }


def _run(ws: dict[str, Path], **kwargs):
    kwargs.setdefault("notebooks_dir", ws["notebooks"])
    kwargs.setdefault("params_dir", ws["params"])
    kwargs.setdefault("outputs_dir", ws["outputs"])
    kwargs.setdefault("lib_dir", ws["lib"])
    kwargs.setdefault("repo_dir", ws["root"])
    return run_notebooks("sandbox", **kwargs)


@pytest.fixture(scope="module")
def failed_run(workspace: dict[str, Path]) -> dict[str, object]:
    """Phases 0-1: 00 succeeds, 01 fails (marker missing). Shared by the tests below."""
    with pytest.raises(PhaseFailedError) as info:
        _run(workspace, phases="0-1")
    error = info.value
    run_dir = Path(error.notebook).parent.parent
    return {"error": error, "run_dir": run_dir, "run_id": run_dir.name, "params_dir": workspace["params"]}


def test_dry_run_lists_phases_and_writes_nothing(workspace: dict[str, Path]) -> None:
    result = _run(workspace, phases="1-2", dry_run=True, outputs_dir=workspace["root"] / "dry")
    assert [(p.name, p.will_run) for p in result.planned] == [
        ("00_ok", False),
        ("01_flaky", True),
        ("02_gate", True),
    ]
    params = result.planned[1].parameters
    assert set(params) == {"env", "run_id", "evidence_dir", "params_file", "phase"}
    assert params["phase"] == "01_flaky" and params["env"] == "sandbox"
    assert params["evidence_dir"].endswith(result.run_id)
    assert not (workspace["root"] / "dry").exists()


def test_failing_phase_stops_the_run_with_details(failed_run: dict[str, object]) -> None:
    error = failed_run["error"]
    assert isinstance(error, PhaseFailedError)
    assert error.phase == "01_flaky"
    assert error.ename == "ValueError"
    assert "marker missing" in error.evalue
    assert error.cell_index == 4  # markdown, parameters, injected parameters, print, raise
    assert error.exit_code == 1
    assert Path(error.notebook).is_file()


def test_failed_run_leaves_redacted_evidence(failed_run: dict[str, object]) -> None:
    run_dir = failed_run["run_dir"]
    manifest = json.loads((run_dir / MANIFEST_NAME).read_text())
    phases = manifest["phases"]
    assert [phases[n]["status"] for n in ("00_ok", "01_flaky", "02_gate")] == [
        "succeeded",
        "failed",
        "skipped",
    ]
    assert phases["00_ok"]["tables"][0]["records"] == [{"check": "env", "value": "sandbox"}]
    assert phases["00_ok"]["parameters"]["run_id"] == failed_run["run_id"]
    assert "ValueError" in phases["01_flaky"]["error"]
    notebook_text = (run_dir / phases["01_flaky"]["notebook"]).read_text()
    assert "marker missing" in notebook_text  # the partly executed notebook has the error
    assert "Flaky-Pw-123" not in notebook_text
    assert phases["01_flaky"]["html"] and "Flaky-Pw-123" not in (run_dir / phases["01_flaky"]["html"]).read_text()
    assert manifest["code_fingerprint"]["git_commit"] == "unknown"
    assert _evidence_verifies(run_dir, failed_run["params_dir"])
    assert not verify_evidence(run_dir).ok  # not without a key from outside the folder
    key = failed_run["params_dir"].parent / "keys" / "evidence-ed25519.pem"  # generated by the first phase end
    assert key.stat().st_mode & 0o777 == 0o600


def test_resume_refused_when_params_change(workspace: dict[str, Path], failed_run: dict[str, object]) -> None:
    changed = workspace["root"] / "params-changed"
    shutil.copytree(workspace["params"], changed)
    text = (changed / "sandbox.yaml").read_text().replace("workers: 2", "workers: 3")
    (changed / "sandbox.yaml").write_text(text)
    with pytest.raises(ResumeRefusedError) as info:
        _run(workspace, resume=failed_run["run_id"], params_dir=changed)
    assert info.value.what == "parameters"
    assert info.value.changed == ["migration.workers"]
    assert info.value.exit_code == 2


def test_resume_refused_when_code_changes(workspace: dict[str, Path], failed_run: dict[str, object]) -> None:
    changed = workspace["root"] / "notebooks-changed"
    shutil.copytree(workspace["notebooks"], changed)
    write_phase_notebook(changed / "01_flaky.ipynb", "print('someone edited the failing notebook')")
    with pytest.raises(ResumeRefusedError) as info:
        _run(workspace, resume=failed_run["run_id"], notebooks_dir=changed)
    assert info.value.what == "code"
    assert info.value.changed == ["notebooks/01_flaky.ipynb changed"]


def test_resume_rejects_unknown_run_and_phase_spec(workspace: dict[str, Path], failed_run: dict[str, object]) -> None:
    with pytest.raises(ParamsError) as info:
        _run(workspace, resume="no-such-run")
    assert info.value.key == "resume"
    assert failed_run["run_id"] in info.value.allowed
    with pytest.raises(ParamsError) as info:
        _run(workspace, resume=failed_run["run_id"], phases="1")
    assert info.value.key == "phases"


def test_resume_after_fixing_continues_from_the_failed_phase(
    workspace: dict[str, Path], failed_run: dict[str, object]
) -> None:
    run_id = failed_run["run_id"]
    dry = _run(workspace, resume=run_id, dry_run=True)
    assert [p.name for p in dry.planned if p.will_run] == ["01_flaky"]

    workspace["marker"].write_text("fixed")
    result = _run(workspace, resume=run_id)
    assert result.run_id == run_id and result.resumed
    assert [(o.name, o.status) for o in result.executed] == [("01_flaky", "succeeded")]
    manifest = json.loads((failed_run["run_dir"] / MANIFEST_NAME).read_text())
    flaky = manifest["phases"]["01_flaky"]
    assert flaky["status"] == "succeeded"
    assert flaky["attempts"][0]["status"] == "failed"
    assert (failed_run["run_dir"] / flaky["attempts"][0]["notebook"]).is_file()
    assert manifest["phases"]["00_ok"]["attempts"] == []  # not executed again
    assert _evidence_verifies(failed_run["run_dir"], workspace["params"])

    again = _run(workspace, resume=run_id)
    assert again.executed == []  # nothing left to do


def test_gate_rejected_in_notebook_exits_3(workspace: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "run",
            "--env",
            "sandbox",
            "--phases",
            "2",
            *folder_args(workspace, workspace["root"] / "gate-outputs"),
        ]
    )
    assert code == 3
    captured = capsys.readouterr()
    assert "GateRejectedError" in captured.out
    assert "cell index: 3" in captured.out
    assert "02_gate.ipynb" in captured.out
    assert "rejected" in captured.err


def test_bad_env_and_bad_spec_exit_2(workspace: dict[str, Path]) -> None:
    common = [*folder_args(workspace), "--dry-run"]
    assert main(["run", "--env", "qa", *common]) == 2
    assert main(["run", "--env", "sandbox", "--phases", "7", *common]) == 2
    assert main(["run", "--env", "sandbox", "--phases", "0-2", *common]) == 0


# -- checkpoints follow the run's outputs folder --------------------------------------------------------
OPEN_SESSION = (
    "from runbook_lib.phases.migration import MigrationStep\n"
    "from runbook_lib.phases.session import open_phase\n"
    "session = open_phase(phase, env=env, params_file=params_file, run_id=run_id, evidence_dir=evidence_dir)\n"
    "checkpoints = MigrationStep.checkpoint_dir_for(session, 'mongo')"
)
RECORD_CHECKPOINTS = "import pandas as pd\nsession.table('checkpoints', pd.DataFrame({'dir': [str(checkpoints)]}))"


def _checkpoint_workspace(root: Path) -> dict[str, Path]:
    """00 writes a checkpoint; 01 fails until a marker exists, then must find 00's checkpoint (on resume)."""
    notebooks, params_dir, lib = root / "notebooks", root / "params", root / "lib"
    for folder in (notebooks, params_dir, lib):
        folder.mkdir(parents=True)
    (lib / "stand_in.py").write_text("# fingerprinted\n")
    shutil.copy(VALID_PARAMS, params_dir / "sandbox.yaml")
    marker = root / "fixed.marker"
    write_phase_notebook(
        notebooks / "00_write.ipynb",
        OPEN_SESSION,
        "checkpoints.mkdir(parents=True, exist_ok=True)\n(checkpoints / 'mongo-x.json').write_text(run_id)",
        RECORD_CHECKPOINTS,
    )
    write_phase_notebook(
        notebooks / "01_resume.ipynb",
        OPEN_SESSION,
        RECORD_CHECKPOINTS,
        f"from pathlib import Path\nif not Path({str(marker)!r}).exists():\n    raise ValueError('marker missing')",
        "assert (checkpoints / 'mongo-x.json').read_text() == run_id, checkpoints",
    )
    return {
        "root": root,
        "notebooks": notebooks,
        "params": params_dir,
        "lib": lib,
        "outputs": root / "elsewhere",
        "marker": marker,
    }


def _recorded_dirs(run_dir: Path) -> dict[str, list[str]]:
    manifest = json.loads((run_dir / MANIFEST_NAME).read_text())
    return {
        name: [t["records"][0]["dir"] for t in record["tables"] if t["name"] == "checkpoints"]
        for name, record in manifest["phases"].items()
    }


def test_kernels_checkpoint_under_the_runs_outputs_dir_and_resume_finds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RUNBOOK_CHECKPOINT_DIR", raising=False)
    ws = _checkpoint_workspace(tmp_path)
    expected = ws["outputs"].resolve() / ".checkpoints" / "sandbox" / "mongo"
    with pytest.raises(PhaseFailedError) as info:
        _run(ws)
    run_dir = Path(info.value.notebook).parent.parent
    assert (expected / "mongo-x.json").read_text() == run_dir.name
    assert _recorded_dirs(run_dir) == {"00_write": [str(expected)], "01_resume": [str(expected)]}

    ws["marker"].write_text("fixed")
    result = _run(ws, resume=run_dir.name)
    assert [(o.name, o.status) for o in result.executed] == [("01_resume", "succeeded")]
    assert _recorded_dirs(run_dir)["01_resume"][-1] == str(expected)


def test_kernels_keep_an_operator_set_checkpoint_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    operator = tmp_path / "volume"
    monkeypatch.setenv("RUNBOOK_CHECKPOINT_DIR", str(operator))
    ws = _checkpoint_workspace(tmp_path / "ws")
    result = _run(ws, phases="0")
    assert (operator / "sandbox" / "mongo" / "mongo-x.json").read_text() == result.run_id
    assert _recorded_dirs(Path(result.run_dir))["00_write"] == [str(operator / "sandbox" / "mongo")]
    assert not (ws["outputs"] / ".checkpoints").exists()


# -- issue #14: secrets never written, a run is what was reviewed --------------------------------------------------
KILL_SECRET = "Kx-&<td>\"q'\nOmega-4242"


def _secret_forms_bytes(secret: str) -> list[bytes]:
    pieces = [f.encode() for f in redact.escaped_forms(secret)]
    return pieces + [line.encode() for line in secret.splitlines() if len(line) >= 8]


def _files_holding(folder: Path, secret: str) -> list[str]:
    forms = _secret_forms_bytes(secret)
    return [
        str(path.relative_to(folder))
        for path in sorted(folder.rglob("*"))
        if path.is_file() and any(form in path.read_bytes() for form in forms)
    ]


def test_kernel_sends_every_message_redacted() -> None:
    import html

    from jupyter_client.session import Session

    from runbook_lib.phases import kernel_redaction

    redact.register_secret(KILL_SECRET)
    session = Session(key=b"")
    messages = [
        session.msg("stream", {"name": "stdout", "text": f"pw {KILL_SECRET}\n"}),
        session.msg("display_data", {"data": {"text/html": f"<td>{html.escape(KILL_SECRET, quote=False)}</td>"}}),
        session.msg("error", {"ename": "E", "evalue": KILL_SECRET, "traceback": [f"E: {KILL_SECRET}"]}),
    ]
    assert kernel_redaction.install() is False  # pytest is not a kernel: nothing is patched
    plain = b"".join(session.serialize(messages[0]))
    assert json.dumps(KILL_SECRET)[1:-1].encode() in plain  # unpatched, the secret would leave the kernel
    try:
        assert kernel_redaction.install(force=True) and kernel_redaction.install(force=True)
        for msg in messages:
            frames = b"".join(session.serialize(msg))
            assert b"Omega-4242" not in frames, msg["header"]["msg_type"]
            assert redact.MASK.encode() in frames
    finally:
        kernel_redaction.uninstall()
    assert b"Omega-4242" in b"".join(session.serialize(messages[0]))


def test_runner_redacts_what_only_the_kernel_knew(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import html
    import stat

    from runbook_lib.evidence import EvidenceLedger
    from runbook_lib.phases.run_workspace import RunWorkspace

    outputs = tmp_path / "outputs"
    ledger = EvidenceLedger("run-k", outputs, phases=["00_a"])
    workspace = RunWorkspace.of(outputs, "run-k").create()
    assert stat.S_IMODE(workspace.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(workspace.root.parent.stat().st_mode) == 0o700
    # "The kernel" registers the secret (digests go to the working area), then it is gone with its process.
    monkeypatch.setenv(redact.DIGESTS_ENV, str(workspace.digests))
    redact.register_secret(KILL_SECRET)
    redact.get_redactor().clear()
    monkeypatch.delenv(redact.DIGESTS_ENV)
    assert _files_holding(workspace.root, KILL_SECRET) == []  # digests only, never the value

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "show()",
            outputs=[
                nbformat.v4.new_output("stream", name="stdout", text=f"resolved: {KILL_SECRET}\n"),
                nbformat.v4.new_output("display_data", data={"text/html": f"<td>{html.escape(KILL_SECRET)}</td>"}),
            ],
        )
    ]
    left = workspace.notebook("00_a.ipynb")
    nbformat.write(nb, left)
    ledger.start_phase("00_a")
    relative = workspace.capture(ledger, "00_a", left)
    assert relative == "notebooks/00_a.ipynb" and not left.exists()
    assert f"resolved: {redact.MASK}" in (ledger.run_dir / relative).read_text()
    assert _files_holding(ledger.run_dir, KILL_SECRET) == []


def test_a_phase_refuses_params_edited_since_the_run_started(tmp_path: Path) -> None:
    from runbook_lib.evidence import EvidenceLedger
    from runbook_lib.params import load_params_file, params_hash
    from runbook_lib.phases.session import open_phase

    params_file = tmp_path / "sandbox.yaml"
    shutil.copy(VALID_PARAMS, params_file)
    params = load_params_file(params_file, env="sandbox")
    ledger = EvidenceLedger("run-pinned", tmp_path / "outputs", params=params, phases=["00_a", "01_b"])
    common = {"env": "sandbox", "params_file": str(params_file), "evidence_dir": str(ledger.run_dir)}
    first = open_phase("00_a", **common)
    assert first.params.migration.workers == 2
    first.done()

    params_file.write_text(params_file.read_text().replace("workers: 2", "workers: 3"))
    edited = params_hash(load_params_file(params_file, env="sandbox"))
    with pytest.raises(ParamsError) as info:
        open_phase("01_b", **common)
    assert info.value.key == "params_file"
    assert params_hash(params) in info.value.message and edited in info.value.message
    assert info.value.exit_code == 2
    assert ledger.phase("01_b").status == "pending"  # refused before the phase started


def _infra_workspace(root: Path) -> dict[str, Path]:
    ws = {
        "root": root,
        "notebooks": root / "notebooks",
        "params": root / "params",
        "lib": root / "lib",
        "outputs": root / "outputs",
        "marker": root / "fixed.marker",
    }
    for folder in ("notebooks", "params", "lib"):
        ws[folder].mkdir(parents=True)
    (ws["lib"] / "stand_in.py").write_text("# fingerprinted\n")
    _signed_params(ws["params"] / "sandbox.yaml")
    write_phase_notebook(
        ws["notebooks"] / "00_apply.ipynb",
        "from pathlib import Path\n"
        f"if not Path({str(ws['marker'])!r}).exists():\n    raise ValueError('marker missing')",
    )
    files = {
        "terraform_infra/modules/net/main.tf": 'resource "null_resource" "this" {}\n',
        "terraform_infra/stacks/01_net/main.tf": 'module "net" { source = "../../modules/net" }\n',
        "terraform_infra/envs/sandbox/01_net.tfvars": 'cidr = "10.0.0.0/16"\n',
        "terraform_infra/envs/dev/01_net.tfvars": 'cidr = "10.1.0.0/16"\n',
    }
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return ws


def test_resume_fingerprints_terraform_code_and_the_envs_tfvars(tmp_path: Path) -> None:
    ws = _infra_workspace(tmp_path)
    with pytest.raises(PhaseFailedError) as info:
        _run(ws)
    run_dir = Path(info.value.notebook).parent.parent
    recorded = json.loads((run_dir / MANIFEST_NAME).read_text())["code_fingerprint"]["files"]
    assert "terraform_infra/modules/net/main.tf" in recorded
    assert "terraform_infra/stacks/01_net/main.tf" in recorded
    assert "terraform_infra/envs/sandbox/01_net.tfvars" in recorded
    assert not any("envs/dev" in name for name in recorded)  # another environment's tfvars

    # What Terraform and the runbook write while running, and other environments, do not block a resume.
    stack = tmp_path / "terraform_infra/stacks/01_net"
    (stack / "_sandbox_override.tf").write_text("provider {}\n")
    (stack / ".terraform").mkdir()
    (stack / ".terraform/state").write_text("{}")
    (stack / "runbook.tfplan").write_bytes(b"plan")
    (tmp_path / "terraform_infra/envs/dev/01_net.tfvars").write_text('cidr = "10.9.0.0/16"\n')
    assert [p.name for p in _run(ws, resume=run_dir.name, dry_run=True).planned if p.will_run] == ["00_apply"]

    (tmp_path / "terraform_infra/envs/sandbox/01_net.tfvars").write_text('cidr = "10.2.0.0/16"\n')
    (tmp_path / "terraform_infra/modules/net/main.tf").write_text('resource "null_resource" "that" {}\n')
    with pytest.raises(ResumeRefusedError) as refused:
        _run(ws, resume=run_dir.name)
    assert refused.value.what == "code"
    assert refused.value.changed == [
        "terraform_infra/envs/sandbox/01_net.tfvars changed",
        "terraform_infra/modules/net/main.tf changed",
    ]
    assert "--accept-changes" in refused.value.one_line()
    assert main(["run", "--env", "sandbox", "--accept-changes", "--dry-run", *folder_args(ws)]) == 2  # needs --resume

    ws["marker"].write_text("fixed")
    result = _run(ws, resume=run_dir.name, accept_changes=True)
    assert [(o.name, o.status) for o in result.executed] == [("00_apply", "succeeded")]
    record = json.loads((run_dir / MANIFEST_NAME).read_text())["phases"]["00_apply"]
    accepted = [g for g in record["gates"] if g["gate"] == "resume-with-changed-code"]
    assert len(accepted) == 1 and accepted[0]["approved"] is True
    assert accepted[0]["changes"] == refused.value.changed
    assert record["attempts"][0]["status"] == "failed"
    assert _evidence_verifies(run_dir, ws["params"])


def _stream_text(notebook: Path) -> str:
    cells = nbformat.read(notebook, as_version=4).cells
    return "".join(o.get("text", "") for c in cells for o in c.get("outputs", []) if o["output_type"] == "stream")


_KILLED_RUN = """
import sys
from pathlib import Path
from runbook_lib.cli import configure_logging
from runbook_lib.phases.headless import run_notebooks
configure_logging(verbose=True)
root = Path(sys.argv[1])
run_notebooks("sandbox", notebooks_dir=root / "notebooks", params_dir=root / "params", outputs_dir=root / "outputs",
              lib_dir=root / "lib", repo_dir=root)
"""


def test_killed_phase_leaves_no_notebook_in_the_run_folder_and_resume_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    ws = {
        "root": tmp_path,
        "notebooks": tmp_path / "notebooks",
        "params": tmp_path / "params",
        "lib": tmp_path / "lib",
        "outputs": tmp_path / "outputs",
    }
    for folder in ("notebooks", "params", "lib"):
        ws[folder].mkdir()
    (ws["lib"] / "stand_in.py").write_text("# fingerprinted\n")
    _signed_params(ws["params"] / "sandbox.yaml")
    hold = tmp_path / "hold"
    hold.write_text("keep the phase running")
    write_phase_notebook(
        ws["notebooks"] / "00_slow.ipynb",
        "from runbook_lib.params import SecretRef, resolve_secret\n"
        "secret = resolve_secret(SecretRef(env='RB_KILL_SECRET'))\nprint('resolved:', secret)",
        "import pandas as pd\npd.DataFrame({'value': [secret]})",
        f"import time\nfrom pathlib import Path\nwhile Path({str(hold)!r}).exists():\n    time.sleep(0.2)",
        "print('finished')",
    )
    monkeypatch.setenv("RB_KILL_SECRET", KILL_SECRET)
    log_file = tmp_path / "runner.log"
    with log_file.open("wb") as log_handle:
        runner = subprocess.Popen(
            [sys.executable, "-c", _KILLED_RUN, str(tmp_path)],
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 120
            in_progress: list[Path] = []
            while time.monotonic() < deadline:
                in_progress = list(ws["outputs"].glob(".work/*/notebooks/00_slow.ipynb"))
                if in_progress and "<table" in in_progress[0].read_text(errors="replace"):
                    break  # the DataFrame cell ran and papermill saved the notebook: kill mid-phase
                assert runner.poll() is None, log_file.read_text()
                time.sleep(0.3)
            else:
                pytest.fail("the phase never reached its waiting cell:\n" + log_file.read_text())
        finally:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait()

    run_dir = next(p for p in ws["outputs"].iterdir() if p.name != ".work")
    assert _files_holding(run_dir, KILL_SECRET) == []
    assert not (run_dir / "notebooks").exists()  # the in-progress notebook never lands in the run folder
    assert json.loads((run_dir / MANIFEST_NAME).read_text())["phases"]["00_slow"]["status"] == "running"
    left = in_progress[0]
    assert left.is_relative_to(ws["outputs"] / ".work" / run_dir.name)
    assert "resolved: [REDACTED]" in left.read_text()  # the kernel sent it redacted
    assert _files_holding(left.parent.parent, KILL_SECRET) == []
    assert _files_holding(tmp_path, KILL_SECRET) == []  # nor in the runner's -v log
    assert not any(b"Omega-4242" in p.read_bytes() for p in [log_file])

    hold.unlink()
    result = _run(ws, resume=run_dir.name)
    assert [(o.name, o.status) for o in result.executed] == [("00_slow", "succeeded")]
    record = json.loads((run_dir / MANIFEST_NAME).read_text())["phases"]["00_slow"]
    attempt = record["attempts"][0]
    assert attempt["status"] == "failed" and "interrupted" in attempt["error"]
    assert attempt["notebook"].startswith("attempts/")
    assert _stream_text(run_dir / attempt["notebook"]) == "resolved: [REDACTED]\n"  # what ran before the kill
    assert _stream_text(run_dir / record["notebook"]) == "resolved: [REDACTED]\nfinished\n"
    assert _files_holding(run_dir, KILL_SECRET) == []
    assert not (ws["outputs"] / ".work" / run_dir.name).exists()  # complete: the working area is gone
    assert _evidence_verifies(run_dir, ws["params"])
