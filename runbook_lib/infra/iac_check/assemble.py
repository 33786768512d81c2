"""The report's tables from the parts' results: one row per module and stack, then the findings lists.

Resources are counted per stack and, through :class:`ModuleMap`, per module that declares them; a
column of the sandbox part is ``None`` when the sandbox part did not run (not zero: not measured).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from runbook_lib.infra.iac_check.addresses import ModuleMap
from runbook_lib.infra.iac_check.checkov import CheckovReport
from runbook_lib.infra.iac_check.report import IacCheckReport, StackRun
from runbook_lib.infra.iac_check.units import Unit
from runbook_lib.infra.iac_check.validate import ValidateResult

_COUNT_COLUMNS = ("prod_planned", "planned_sandbox", "applied", "verified_ok", "verify_failed", "not_verified")


@dataclass(frozen=True)
class PartResults:
    """What the parts of the check produced; ``checkov`` is ``None`` when checkov did not run or failed."""

    units: Sequence[Unit]
    fmt: Mapping[str, list[str]]
    validations: Mapping[str, ValidateResult]
    checkov: CheckovReport | None
    runs: Mapping[str, StackRun]


def assemble_report(
    report: IacCheckReport, parts: PartResults, static_root: Path, *, static: bool, measured: bool
) -> None:
    """Fill ``report``: unit rows, static findings, then stack errors and verification results.

    Args:
        static_root: the snapshot the module calls are read from (to attribute addresses to modules).
        static: fmt, validate and checkov ran (off: their fmt column shows ``-``).
        measured: the sandbox part ran (off: its count columns are ``None``).
    """
    per_unit = _count_per_unit(parts.units, parts.runs, ModuleMap(static_root))
    for unit in parts.units:
        report.units.append(_unit_row(unit, per_unit.get(unit.key, Counter()), parts, static, measured))
    _static_findings(report, parts.fmt, parts.validations, parts.checkov)
    _run_findings(report, parts.runs)


def _count_per_unit(
    units: Sequence[Unit], runs: Mapping[str, StackRun], module_map: ModuleMap
) -> dict[str, Counter[str]]:
    """Planned, applied and verified resources per stack and per declaring module."""
    per_unit: dict[str, Counter[str]] = {u.key: Counter() for u in units}
    for run in runs.values():
        per_unit.setdefault(f"stack:{run.stack}", Counter())
        bucket = per_unit[f"stack:{run.stack}"]
        bucket["planned_sandbox"] += run.planned_sandbox or 0
        bucket["applied"] += len(run.state_addresses)
        if run.prod_planned is not None:
            bucket["prod_planned"] += len(run.prod_planned)
            for address, _ in run.prod_planned:
                per_unit.setdefault(module_map.unit_for(run.stack, address), Counter())["prod_planned"] += 1
        for address in run.state_addresses:
            per_unit.setdefault(module_map.unit_for(run.stack, address), Counter())["applied"] += 1
        if run.verification is not None:
            for verdict in run.verification.verdicts:
                key = {"ok": "verified_ok", "failed": "verify_failed"}.get(verdict.status, "not_verified")
                bucket[key] += 1
                per_unit.setdefault(module_map.unit_for(run.stack, verdict.address), Counter())[key] += 1
    return per_unit


def _unit_row(unit: Unit, counts: Counter[str], parts: PartResults, static: bool, measured: bool) -> dict[str, Any]:
    fmt, checkov, runs = parts.fmt, parts.checkov, parts.runs
    validation = parts.validations.get(unit.key)
    row: dict[str, Any] = {
        "kind": unit.kind,
        "name": unit.name,
        "fmt": "-" if not static else ("ok" if not fmt.get(unit.key) else f"{len(fmt[unit.key])} unformatted"),
        "validate": "-" if validation is None else ("ok" if validation.valid else f"{validation.error_count} errors"),
        "checkov": "-"
        if checkov is None
        else (
            f"{checkov.count(unit.key, 'failed')} failed"
            if checkov.count(unit.key, "failed")
            else f"ok ({checkov.count(unit.key, 'skipped')} skipped)"
        ),
    }
    for column in _COUNT_COLUMNS:
        row[column] = counts[column] if measured else None
    if unit.kind == "module":
        row.pop("planned_sandbox")
    if unit.kind == "stack" and unit.name in runs:
        run = runs[unit.name]
        row["prod_plan"] = "ok" if run.prod_planned is not None else (run.prod_plan_error[:160] or "-")
        row["destroyed"] = run.destroyed
        row["errors"] = run.errors
    return row


def _static_findings(
    report: IacCheckReport,
    fmt: Mapping[str, list[str]],
    validations: Mapping[str, ValidateResult],
    checkov: CheckovReport | None,
) -> None:
    report.fmt_unformatted = sorted(f for files in fmt.values() for f in files)
    for result in validations.values():
        if not result.valid or result.error_count:
            report.validate_errors.append({"unit": result.unit, "diagnostics": list(result.diagnostics)})
    if checkov is not None:
        report.checkov_failed = [asdict(f) for f in checkov.failed]
        report.counts["checkov"] = {
            "version": checkov.version,
            "passed": sum(checkov.passed.values()),
            "failed": len(checkov.failed),
            "skipped": len(checkov.skipped),
        }


def _run_findings(report: IacCheckReport, runs: Mapping[str, StackRun]) -> None:
    """Stack errors, production-plan problems, and each verification result that is not ``ok``."""
    for run in runs.values():
        if run.errors:
            report.errors += [f"{run.stack}: {e}" for e in run.errors]
        if run.prod_plan_error:
            report.prod_plan_problems.append({"stack": run.stack, "error": run.prod_plan_error})
        if run.verification is not None:
            for r in run.verification.results:
                item = {
                    "stack": r.stack,
                    "address": r.address,
                    "check": r.check,
                    "expected": r.expected,
                    "actual": r.actual,
                    "detail": r.detail,
                }
                if r.status == "failed":
                    report.verification_failures.append(item)
                elif r.status == "waived":
                    report.waived.append(item)
                elif r.status == "not verified":
                    report.not_verified.append(item)
