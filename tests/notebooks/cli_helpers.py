"""Run the runbook CLI from the repo root as operators and CI do (imported by the notebook tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``python -m runbook_lib.cli ARGS`` from the repo root, with the test session's environment."""
    return subprocess.run(
        [sys.executable, "-m", "runbook_lib.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=dict(os.environ),
        timeout=timeout,
    )


def run_folder(outputs: Path) -> Path:
    """The one run folder under an outputs dir (dot-folders are the runner's private work area and checkpoints)."""
    (run_dir,) = [p for p in outputs.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return run_dir
