"""Shared by the notebook tests: run the CLI as operators do, and check an evidence folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_helpers import run_cli


@pytest.fixture()
def check_evidence(sandbox) -> Callable[[Path], None]:
    """Assert ``runbook evidence verify`` passes on a run folder and no sandbox password is in any of its files."""

    def check(run_dir: Path) -> None:
        verify = run_cli("evidence", "verify", str(run_dir), timeout=300)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        passwords = [s.extra["password"] for s in sandbox.services.values() if s.extra.get("password")]
        assert passwords, "the sandbox should have passwords to look for"
        for path in run_dir.rglob("*"):
            if path.is_file():
                text = path.read_text(errors="ignore")
                assert not any(p in text for p in passwords), path

    return check
