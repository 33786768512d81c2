"""The preflight notebook run headless by `runbook run`, as CI and operators run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cli_helpers import run_cli, run_folder

pytestmark = pytest.mark.notebooks

REPO = Path(__file__).resolve().parents[2]


def test_preflight_runs_headless_and_leaves_verified_evidence(sandbox, tmp_path: Path, check_evidence) -> None:
    result = run_cli("run", "--env", "sandbox", "--phases", "0", "--outputs-dir", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    run_dir = run_folder(tmp_path)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    phase = manifest["phases"]["00_preflight"]
    assert phase["status"] == "succeeded"
    checks = next(t for t in phase["tables"] if t["name"] == "preflight_checks")
    by_check = {r["check"]: r for r in checks["records"]}
    assert by_check["identity"]["ready"] == "ready" and "123456789012" in by_check["identity"]["detail"]
    assert by_check["postgres-target"]["ready"] == "ready"
    assert (run_dir / "index.html").exists()
    check_evidence(run_dir)  # hashes verify; no sandbox password in any evidence file


def test_preflight_refuses_an_account_not_allowed_and_records_the_failure(sandbox, tmp_path: Path) -> None:
    params = yaml.safe_load((REPO / "params" / "sandbox.yaml").read_text())
    params["aws"]["allowed_account_ids"] = ["111111111111"]
    params_dir = tmp_path / "params"
    params_dir.mkdir()
    (params_dir / "sandbox.yaml").write_text(yaml.safe_dump(params))
    out = tmp_path / "out"
    result = run_cli(
        "run", "--env", "sandbox", "--phases", "0", "--params-dir", str(params_dir), "--outputs-dir", str(out)
    )
    assert result.returncode != 0
    assert "111111111111" in result.stderr + result.stdout
    manifest = json.loads(run_folder(out).joinpath("manifest.json").read_text())
    assert manifest["phases"]["00_preflight"]["status"] == "failed"
