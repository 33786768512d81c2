"""checkov over the snapshot, its JSON reduced to passed/failed/skipped per unit.

checkov runs as one process over the whole tree (it resolves local modules itself), offline, from
the separate ``.venv-checkov`` that ``make checkov`` builds (checkov pins many packages).
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook_lib.errors import RunbookError, ToolMissingError
from runbook_lib.infra.iac_check.units import LOGGER_NAME, unit_of_file
from runbook_lib.paths import project_root as root_of
from runbook_lib.process import run_command


@dataclass(frozen=True)
class CheckovFinding:
    """One failed (or skipped) checkov check."""

    check_id: str
    check_name: str
    file: str
    resource: str
    lines: tuple[int, ...]
    unit: str
    suppress_comment: str = ""


@dataclass(frozen=True)
class CheckovReport:
    """checkov's JSON, reduced to what the table needs: passed/failed/skipped per unit."""

    version: str
    passed: Mapping[str, int]
    failed: tuple[CheckovFinding, ...]
    skipped: tuple[CheckovFinding, ...]
    parsing_errors: tuple[str, ...] = ()

    def failed_by_unit(self) -> dict[str, list[CheckovFinding]]:
        out: dict[str, list[CheckovFinding]] = {}
        for f in self.failed:
            out.setdefault(f.unit, []).append(f)
        return out

    def count(self, unit: str, what: str) -> int:
        if what == "passed":
            return int(self.passed.get(unit, 0))
        items = self.failed if what == "failed" else self.skipped
        return sum(1 for f in items if f.unit == unit)


def _finding(raw: Mapping[str, Any]) -> CheckovFinding:
    path = str(raw.get("repo_file_path") or raw.get("file_path") or "")
    return CheckovFinding(
        check_id=str(raw.get("check_id", "")),
        check_name=str(raw.get("check_name", "")),
        file=path,
        resource=str(raw.get("resource", "")),
        lines=tuple(raw.get("file_line_range") or ()),
        unit=unit_of_file(path),
        suppress_comment=str((raw.get("check_result") or {}).get("suppress_comment", "")),
    )


def parse_checkov_json(data: str | bytes | Mapping[str, Any] | Sequence[Any]) -> CheckovReport:
    """Parse ``checkov -o json``: one report object, or a list of them (one per framework).

    A run that found nothing to scan prints a bare summary object; that is an empty report.
    """
    if isinstance(data, (str, bytes)):
        data = json.loads(data)
    reports = list(data) if isinstance(data, list) else [data]
    passed: Counter[str] = Counter()
    failed: list[CheckovFinding] = []
    skipped: list[CheckovFinding] = []
    errors: list[str] = []
    version = ""
    for report in reports:
        if not isinstance(report, Mapping):
            continue
        version = version or str((report.get("summary") or {}).get("checkov_version", ""))
        results = report.get("results") or {}
        for raw in results.get("passed_checks", []):
            passed[_finding(raw).unit] += 1
        failed += [_finding(raw) for raw in results.get("failed_checks", [])]
        skipped += [_finding(raw) for raw in results.get("skipped_checks", [])]
        errors += [str(e) for e in results.get("parsing_errors", [])]
    return CheckovReport(version, dict(passed), tuple(failed), tuple(skipped), tuple(errors))


def find_checkov(project_root: Path | None = None) -> str:
    """``.venv-checkov/bin/checkov`` of the checkout (``make checkov``), else ``checkov`` on PATH.

    Raises:
        ToolMissingError: neither exists.
    """
    root = project_root or root_of()
    candidate = root / ".venv-checkov" / "bin" / "checkov"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which("checkov")
    if found:
        return found
    raise ToolMissingError(
        "checkov",
        "checkov is not installed",
        hint="run `make checkov` (a separate venv: checkov pins many packages)",
    )


def run_checkov(checkov: str, tf_root: Path, *, timeout: float = 1800) -> CheckovReport:
    """checkov over the whole tree (one process: it resolves local modules itself), JSON out, no network."""
    env = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "LOG_LEVEL": "ERROR"}
    result = run_command(
        [checkov, "-d", ".", "--framework", "terraform", "-o", "json", "--compact", "--skip-download"],
        cwd=tf_root,
        env=env,
        check=False,
        timeout=timeout,
        logger_name=LOGGER_NAME,
    )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise RunbookError(
            f"checkov exited {result.returncode}: {result.stderr.strip()[-300:]}",
            hint="run it by hand: checkov -d terraform_infra --framework terraform",
        )
    return parse_checkov_json(result.stdout)
