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

pytestmark = pytest.mark.unit

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "params" / "valid.yaml"
PARAMETERS_CELL = 'env = "none"\nrun_id = None\nevidence_dir = None\nparams_file = None\nphase = None'


def _notebook(path: Path, *sources: str) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(PARAMETERS_CELL)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"), params]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


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
    _notebook(notebooks / "00_a.ipynb", "print(1)")
    first = code_fingerprint(notebooks, lib, tmp_path)
    assert first.git_commit == "unknown"

    nb = nbformat.read(notebooks / "00_a.ipynb", as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb.cells[2].execution_count = 1
    nbformat.write(nb, notebooks / "00_a.ipynb")
    assert code_fingerprint(notebooks, lib, tmp_path).sources_sha256 == first.sources_sha256

    (lib / "mod.py").write_text("X = 2\n")
    _notebook(notebooks / "01_b.ipynb", "print(2)")
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
    shutil.copy(FIXTURE, params_dir / "sandbox.yaml")
    marker = root / "fixed.marker"
    _notebook(
        notebooks / "00_ok.ipynb",
        "import pandas as pd\nfrom runbook_lib.evidence.ledger import EvidenceLedger\n"
        "ledger = EvidenceLedger.open(evidence_dir)\n"
        "ledger.record_table(phase, 'checks', pd.DataFrame({'check': ['env'], 'value': [env]}))",
        "print('ok', env, run_id, phase)",
    )
    _notebook(
        notebooks / "01_flaky.ipynb",
        "from pathlib import Path\nprint('connecting to postgresql://app:Flaky-Pw-123@db/platform')",
        f"if not Path({str(marker)!r}).exists():\n    raise ValueError('marker missing: fix the environment')",
        "print('fixed')",
    )
    _notebook(
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
    return {"error": error, "run_dir": run_dir, "run_id": run_dir.name}


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
    assert verify_evidence(run_dir).ok


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
    _notebook(changed / "01_flaky.ipynb", "print('someone edited the failing notebook')")
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
    assert verify_evidence(failed_run["run_dir"]).ok

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
            "--notebooks-dir",
            str(workspace["notebooks"]),
            "--params-dir",
            str(workspace["params"]),
            "--outputs-dir",
            str(workspace["root"] / "gate-outputs"),
        ]
    )
    assert code == 3
    captured = capsys.readouterr()
    assert "GateRejectedError" in captured.out
    assert "cell index: 3" in captured.out
    assert "02_gate.ipynb" in captured.out
    assert "rejected" in captured.err


def test_bad_env_and_bad_spec_exit_2(workspace: dict[str, Path]) -> None:
    common = [
        "--notebooks-dir",
        str(workspace["notebooks"]),
        "--params-dir",
        str(workspace["params"]),
        "--dry-run",
    ]
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
    shutil.copy(FIXTURE, params_dir / "sandbox.yaml")
    marker = root / "fixed.marker"
    _notebook(
        notebooks / "00_write.ipynb",
        OPEN_SESSION,
        "checkpoints.mkdir(parents=True, exist_ok=True)\n(checkpoints / 'mongo-x.json').write_text(run_id)",
        RECORD_CHECKPOINTS,
    )
    _notebook(
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


@pytest.fixture(autouse=True)
def _clean_redactor():
    yield
    redact.get_redactor().clear()
