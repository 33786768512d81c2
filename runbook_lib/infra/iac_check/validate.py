"""``terraform fmt`` and ``terraform validate`` of the units, reduced to what the table shows.

A module validates like a root (each module declares its ``required_providers``), so every unit
gets its own ``init -backend=false`` and ``validate -json`` in a data directory of its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from runbook_lib.errors import RunbookError
from runbook_lib.infra.iac_check.units import LOGGER_NAME, unit_of_file
from runbook_lib.process import run_command


@dataclass(frozen=True)
class ValidateResult:
    """``terraform validate -json`` of one unit (after ``init -backend=false``)."""

    unit: str
    valid: bool
    error_count: int
    warning_count: int
    diagnostics: tuple[str, ...] = ()


def parse_validate_json(unit: str, text: str) -> ValidateResult:
    """Parse ``validate -json`` output; diagnostics become ``severity: summary (file:line)``."""
    data = json.loads(text)
    diagnostics = []
    for diag in data.get("diagnostics", []):
        where = diag.get("range") or {}
        at = f" ({where.get('filename')}:{(where.get('start') or {}).get('line')})" if where else ""
        diagnostics.append(f"{diag.get('severity')}: {diag.get('summary')}{at}")
    return ValidateResult(
        unit,
        bool(data.get("valid")),
        int(data.get("error_count", 0)),
        int(data.get("warning_count", 0)),
        tuple(diagnostics),
    )


def run_fmt(binary: str, tf_root: Path) -> dict[str, list[str]]:
    """``fmt -check -recursive -list=true``: unformatted files by unit (empty dict when all are formatted)."""
    result = run_command(
        [binary, "fmt", "-check", "-recursive", "-list=true", "-no-color"],
        cwd=tf_root,
        check=False,
        timeout=300,
        logger_name=LOGGER_NAME,
    )
    if result.returncode not in (0, 3) and not result.stdout.strip():
        raise RunbookError(f"terraform fmt failed: {result.stderr.strip()[:300]}")
    out: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        if line.strip():
            out.setdefault(unit_of_file(line.strip()), []).append(line.strip())
    return out


def validate_unit(binary: str, unit_dir: Path, data_dir: Path, unit: str, env: Mapping[str, str]) -> ValidateResult:
    """``init -backend=false`` then ``validate -json`` in ``unit_dir`` (a module validates like a root:
    each module declares its ``required_providers``)."""
    env = {**env, "TF_DATA_DIR": str(data_dir), "TF_IN_AUTOMATION": "1"}
    data_dir.mkdir(parents=True, exist_ok=True)
    init = run_command(
        [binary, "init", "-backend=false", "-input=false", "-no-color"],
        cwd=unit_dir,
        env=env,
        check=False,
        timeout=600,
        logger_name=LOGGER_NAME,
    )
    if not init.ok:
        tail = (init.stderr or init.stdout).strip().splitlines()[-5:]
        return ValidateResult(unit, False, 1, 0, (f"error: init failed: {' '.join(tail)}",))
    result = run_command(
        [binary, "validate", "-json", "-no-color"],
        cwd=unit_dir,
        env=env,
        check=False,
        timeout=600,
        logger_name=LOGGER_NAME,
    )
    try:
        return parse_validate_json(unit, result.stdout)
    except json.JSONDecodeError:
        return ValidateResult(unit, False, 1, 0, (f"error: validate gave no JSON: {result.stderr.strip()[:300]}",))
