"""The go/no-go table: one green or red row per thing that must hold before anything switches, each with its source.

Why built from the run's own evidence: the decision to switch must rest on what this run proved, not on what
someone remembers - every phase's status and resource verification, data parity per kind (objects, rows,
documents, records), drift, alarms, the canary, and the cost estimate against the budget. Each row names the
file or record it read (a CSV under ``tables/``, the phase record in ``manifest.json``); a record that is not
there is a red ``missing`` row, never green. The table names of records other packages write (alarms, canary,
cost) are the constants below; the README lists them with the columns read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.cutover.evidence_view import FoundTable, RunEvidence, number, truthy
from runbook_lib.errors import NoGoError
from runbook_lib.evidence.summary_html import COST_TABLES, KIND_UNITS, estimate_total

#: Tables other phases record that the go/no-go reads (see the module docstring).
ALARMS_TABLE = "alarms"
CANARY_TABLE = "canary"
#: Phase 07 records the canary's series among its metrics: rows of phase ``canary``, dimension ``Path=new``.
METRICS_TABLE = "health_metrics"
#: The stack whose tfvars hold ``monthly_budget_usd`` when the params have no ``cost.monthly_budget_usd``.
BUDGET_STACK = "05_orchestration_observability"

GREEN, RED = "green", "red"


@dataclass(frozen=True)
class GoNoGoRow:
    """One check: ``area`` groups rows (phase, verification, parity, drift, alarms, canary, cost)."""

    area: str
    check: str
    status: str  # green | red
    detail: str
    source: str

    @property
    def green(self) -> bool:
        return self.status == GREEN


@dataclass
class GoNoGo:
    """The whole table; ``go`` only when every row is green and there is at least one row."""

    run_id: str
    rows: list[GoNoGoRow] = field(default_factory=list)

    @property
    def go(self) -> bool:
        return bool(self.rows) and all(r.green for r in self.rows)

    @property
    def red(self) -> list[GoNoGoRow]:
        return [r for r in self.rows if not r.green]

    @property
    def decision(self) -> str:
        return "GO" if self.go else "NO-GO"

    def digest(self) -> str:
        """sha256 of the rows: what a sign-off approves (a table that changed needs a new sign-off)."""
        payload = json.dumps([asdict(r) for r in self.rows], sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(f"{self.run_id}\n{payload}".encode()).hexdigest()

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([asdict(r) for r in self.rows], columns=["area", "check", "status", "detail", "source"])

    def summary(self) -> dict[str, Any]:
        return {"decision": self.decision, "rows": len(self.rows), "red": len(self.red), "digest": self.digest()}

    def require_go(self) -> None:
        """Raise :class:`NoGoError` naming every red row and its source."""
        if not self.go:
            red = [f"{r.check} ({r.detail}; {r.source})" for r in self.red] or ["the table is empty"]
            raise NoGoError(red)


def build_go_no_go(
    evidence: RunEvidence,
    params: Any,
    *,
    phase: str,
    kinds: Sequence[str] | None = None,
    budget_usd: float | None = None,
) -> GoNoGo:
    """Read the run's evidence of every phase before ``phase`` and judge each check.

    Args:
        evidence: the run folder's view.
        params: the validated parameters (which kinds move; the budget).
        phase: the asking phase (``08_cutover``); only earlier phases count.
        kinds: the migration kinds whose parity must be proven (default: every kind with a ``migration`` mapping).
        budget_usd: the monthly budget (default: :func:`monthly_budget`).
    """
    manifest = evidence.manifest
    table = GoNoGo(run_id=manifest.run_id)
    rows = table.rows
    rows.extend(_phase_rows(evidence, phase))
    rows.extend(_stack_rows(evidence, phase))
    for kind in kinds if kinds is not None else configured_kinds(params):
        rows.append(_parity_row(evidence.table(f"{kind}_verification", before=phase), kind))
    rows.append(_alarms_row(evidence.table(ALARMS_TABLE, before=phase)))
    rows.append(_canary_row(evidence.table(CANARY_TABLE, before=phase), evidence.table(METRICS_TABLE, before=phase)))
    budget, budget_source = (budget_usd, "argument") if budget_usd is not None else monthly_budget(params)
    cost = next(((found, column) for name, column in COST_TABLES
                 if (found := evidence.table(name, before=phase)) is not None), (None, ""))
    rows.append(_cost_row(cost[0], cost[1], budget, budget_source))
    waivers = {w.check: w.reason for w in getattr(getattr(params, "cutover", None), "waived_checks", []) or []}
    table.rows = [_waived(r, waivers[r.check]) if not r.green and r.check in waivers else r for r in rows]
    return table


def _waived(row: GoNoGoRow, reason: str) -> GoNoGoRow:
    """A red row the params accept: green, and it says so, with the reason and what it was."""
    return GoNoGoRow(row.area, row.check, GREEN, f"WAIVED (params cutover.waived_checks): {reason}; was: {row.detail}",
                     row.source)


def configured_kinds(params: Any) -> list[str]:
    """The kinds the params move (a non-empty ``migration.<kind>`` list), in the order of :data:`KIND_UNITS`."""
    migration = params.migration
    return [kind for kind in KIND_UNITS if getattr(migration, kind, None)]


def monthly_budget(params: Any) -> tuple[float | None, str]:
    """The monthly budget and where it came from: ``cost.monthly_budget_usd``, else the budgets stack's tfvars."""
    cost = getattr(params, "cost", None)
    value = getattr(cost, "monthly_budget_usd", None) if cost is not None else None
    if value:
        return float(value), "params cost.monthly_budget_usd"
    env_dir = getattr(params.terraform, "env_dir", None)
    if env_dir is None:
        return None, "no budget"
    from runbook_lib.params import resolve_path
    from runbook_lib.terraform.tfvars import read_tfvars

    path = Path(resolve_path(env_dir)) / f"{BUDGET_STACK}.tfvars"
    if not path.is_file():
        return None, f"{path} (missing)"
    found = read_tfvars(path).values.get("monthly_budget_usd")
    if found is None:
        return None, f"{path} (no monthly_budget_usd)"
    return float(found), f"{path.name} monthly_budget_usd"


# ------------------------------------------------------------------------------------------------ rows
def _phase_rows(evidence: RunEvidence, phase: str) -> Iterable[GoNoGoRow]:
    for name, record in evidence.phases.items():
        if name >= phase:
            continue
        ok = record.status == "succeeded"
        detail = record.status + (f": {record.error[:160]}" if record.error else "")
        yield GoNoGoRow("phase", f"phase {name}", GREEN if ok else RED, detail, f"manifest.json phases.{name}")


def _stack_rows(evidence: RunEvidence, phase: str) -> Iterable[GoNoGoRow]:
    """Per applied stack: its resource verification and its drift (both must exist)."""
    stacks: dict[str, str] = {}
    for name, record in evidence.phases.items():
        if name < phase:
            for entry in record.applies:
                if entry.get("stack"):
                    stacks.setdefault(str(entry["stack"]), name)
    for stack, applied_in in stacks.items():
        found = evidence.table(f"{stack}_verification", before=phase)
        if found is None:
            yield _missing("verification", f"resources of {stack}", f"tables/{applied_in}/{stack}_verification.csv")
        else:
            failed = [r for r in found.rows if r.get("ok") is not None and not truthy(r.get("ok"))]
            waived = sum(1 for r in found.rows if r.get("ok") is None)
            detail = (f"{len(found.rows) - len(failed) - waived} passed, {waived} waived, {len(failed)} failed"
                      + (f": {', '.join(str(r.get('address')) + ' ' + str(r.get('check')) for r in failed[:3])}"
                         if failed else ""))
            yield GoNoGoRow("verification", f"resources of {stack}", RED if failed else GREEN, detail, found.source)
        drift = evidence.table(f"{stack}_drift", before=phase)
        if drift is None:
            yield _missing("drift", f"drift of {stack}", f"tables/{applied_in}/{stack}_drift.csv")
        else:
            changed = [str(r.get("address")) for r in drift.rows]
            detail = "no drift" if not changed else f"{len(changed)} drifted: {', '.join(changed[:3])}"
            yield GoNoGoRow("drift", f"drift of {stack}", RED if changed else GREEN, detail, drift.source)


def _parity_row(found: FoundTable | None, kind: str) -> GoNoGoRow:
    unit = KIND_UNITS.get(kind, "items")
    check = f"{kind} parity ({unit})"
    if found is None:
        return _missing("parity", check, f"tables/*/{kind}_verification.csv")
    if not found.rows:
        return GoNoGoRow("parity", check, RED, "the verification table is empty: nothing was compared", found.source)
    bad = [r for r in found.rows if not truthy(r.get("ok"))]
    source_total = sum(int(number(r.get("source_count"))) for r in found.rows)
    target_total = sum(int(number(r.get("target_count"))) for r in found.rows)
    mismatched = sum(int(number(r.get("mismatched"))) for r in found.rows)
    missing = sum(int(number(r.get("missing"))) for r in found.rows)
    detail = (f"{len(found.rows)} units, {source_total} {unit} at the source, {target_total} at the target, "
              f"{missing} missing, {mismatched} differ")
    if bad:
        detail += f"; differs: {', '.join(str(r.get('unit')) for r in bad[:3])}"
    else:
        detail += "; checksums equal"
    return GoNoGoRow("parity", check, RED if bad else GREEN, detail, found.source)


def _column(row: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in row:
            return row[name]
    return None


def _alarms_row(found: FoundTable | None) -> GoNoGoRow:
    if found is None:
        return _missing("alarms", "alarms", f"tables/*/{ALARMS_TABLE}.csv")
    if not found.rows:
        return GoNoGoRow("alarms", "alarms", RED, "no alarm was read (an empty list proves nothing)", found.source)
    firing = [str(_column(r, "alarm", "AlarmName", "name")) for r in found.rows
              if str(_column(r, "state", "StateValue")).upper() == "ALARM"]
    states: dict[str, int] = {}
    for row in found.rows:
        key = str(_column(row, "state", "StateValue")).upper()
        states[key] = states.get(key, 0) + 1
    detail = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
    if firing:
        detail += f"; firing: {', '.join(firing[:3])}"
    return GoNoGoRow("alarms", "alarms", RED if firing else GREEN, detail, found.source)


def _canary_row(found: FoundTable | None, metrics: FoundTable | None) -> GoNoGoRow:
    check = "canary on the new path"
    if found is not None:
        new = [r for r in found.rows if str(_column(r, "path", "Path")).lower() == "new"]
        success = sum(number(_column(r, "success", "SuccessCount")) for r in new)
        errors = sum(number(_column(r, "errors", "ErrorCount")) for r in new)
    elif metrics is not None:  # phase 07's metric table: the last value of each canary series on Path=new
        new = [r for r in metrics.rows if r.get("phase") == "canary" and "Path=new" in str(r.get("dimensions"))]
        by_metric = {str(r.get("metric")): r.get("last") for r in new}
        if by_metric.get("SuccessCount") is None:
            return GoNoGoRow("canary", check, RED, "no data for SuccessCount on path 'new' (the canary did not run)",
                             metrics.source)
        success, errors = number(by_metric.get("SuccessCount")), number(by_metric.get("ErrorCount"))
        found = metrics
    else:
        return _missing("canary", check, f"tables/*/{CANARY_TABLE}.csv or {METRICS_TABLE}.csv")
    if not new:
        return GoNoGoRow("canary", check, RED, "no row for path 'new'", found.source)
    ok = success > 0 and errors == 0
    return GoNoGoRow("canary", check, GREEN if ok else RED,
                     f"{int(success)} events through and back, {int(errors)} errors", found.source)


def _cost_row(found: FoundTable | None, column: str, budget: float | None, budget_source: str) -> GoNoGoRow:
    check = "cost estimate vs budget"
    if found is None:
        return _missing("cost", check, "tables/*/" + " or ".join(f"{name}.csv" for name, _ in COST_TABLES))
    total = estimate_total(found.rows, column)
    if budget is None:
        return GoNoGoRow("cost", check, RED, f"USD {total:,.2f}/month; no budget to compare with ({budget_source})",
                         found.source)
    ok = total <= budget
    return GoNoGoRow("cost", check, GREEN if ok else RED,
                     f"USD {total:,.2f}/month estimated, budget USD {budget:,.2f} ({budget_source})", found.source)


def _missing(area: str, check: str, expected: str) -> GoNoGoRow:
    return GoNoGoRow(area, check, RED, "missing: no such record in this run's evidence", expected)
