"""The package layout keeps its promises: layers and no cycles (import-linter), small modules, documented packages.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``); ``docs/architecture.md`` draws them.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import REPO

pytestmark = pytest.mark.unit

PACKAGE = REPO / "runbook_lib"
MAX_MODULE_LINES = 800


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` over the ``runbook_lib`` found under ``root`` (its own checkout or a copy)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    script = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run(
        [sys.executable, "-c", script, "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_import_contracts_are_kept() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "broken"),
    [
        ("util.py", "import runbook_lib.cli\n", "Layers"),  # a leaf importing the top layer
        ("terraform/plan.py", "import runbook_lib.migrate.base\n", "Layers"),  # one sibling importing another
    ],
)
def test_a_deliberate_violation_breaks_the_contract(tmp_path: Path, module: str, bad_import: str, broken: str) -> None:
    """The contract is not vacuous: a copy of the package with one wrong import fails it."""
    shutil.copytree(PACKAGE, tmp_path / "runbook_lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "runbook_lib" / module
    target.write_text(target.read_text() + "\n" + bad_import)
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout[-4000:]
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout


def test_no_module_is_longer_than_one_sitting() -> None:
    long = {
        str(p.relative_to(REPO)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them along their seams): {long}"


def test_every_package_says_what_lives_there() -> None:
    undocumented = []
    for init in PACKAGE.rglob("__init__.py"):
        if init.parent.name == "data":  # package data (JSON), not code
            continue
        doc = ast.get_docstring(ast.parse(init.read_text()))
        if not doc or len(doc.split()) < 8:
            undocumented.append(str(init.relative_to(REPO)))
    assert not undocumented, f"packages without a docstring saying what lives there: {undocumented}"
