"""Two runs side by side: did a repeated run reach the same results?

Why: a runbook is only repeatable if running it again on the same input gives the same outcome - the same
phases succeeding, the same counts and checksums moved for every kind, the same decisions at every gate, the
same go/no-go and the same DR targets met. Run ids, times and measured seconds differ by nature and are not
compared; everything an auditor would call a *result* is. The outcome is read from each run's manifest only
(what the signed record log vouches for), with the same table names the summary on the index page uses.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.errors import EvidenceError
from runbook_lib.evidence.manifest import MANIFEST_NAME, Manifest
from runbook_lib.evidence.summary_html import COST_TABLES, KIND_UNITS, estimate_total


@dataclass(frozen=True)
class MovedKind:
    """One migration kind's proof in a run: what was counted on both sides and a digest of the target checksums."""

    units: int
    source_count: int
    target_count: int
    checksum_digest: str
    equal: bool


@dataclass(frozen=True)
class RunOutcome:
    """What a run ended with, stripped of what differs between runs by nature (ids, clocks, durations)."""

    run_id: str
    env: str | None
    phases: dict[str, str]
    moved: dict[str, MovedKind]
    gates: tuple[tuple[str, str, bool, str], ...]  # (phase, gate, approved, decided by)
    go_no_go: tuple[tuple[str, str], ...]  # (check, status)
    recovery_met: tuple[tuple[str, bool], ...]  # (measure, target met)
    cost_estimate_usd: float | None
    tables: dict[str, tuple[str, ...]]  # phase -> names of the tables it recorded

    def aspects(self) -> dict[str, Any]:
        """Every compared aspect under a stable name (one row each in the comparison)."""
        out: dict[str, Any] = {f"phase {name}": status for name, status in self.phases.items()}
        for kind, moved in self.moved.items():
            out[f"{kind}: units"] = moved.units
            out[f"{kind}: source {KIND_UNITS.get(kind, 'items')}"] = moved.source_count
            out[f"{kind}: target {KIND_UNITS.get(kind, 'items')}"] = moved.target_count
            out[f"{kind}: target checksums"] = moved.checksum_digest
            out[f"{kind}: content equal"] = moved.equal
        out["gates (phase, gate, approved, by)"] = list(self.gates)
        out["go/no-go checks"] = list(self.go_no_go)
        out["DR targets met"] = list(self.recovery_met)
        out["cost estimate USD/month"] = None if self.cost_estimate_usd is None else round(self.cost_estimate_usd, 2)
        out.update({f"tables of {phase}": list(names) for phase, names in self.tables.items()})
        return out


@dataclass(frozen=True)
class AspectRow:
    aspect: str
    first: Any
    second: Any

    @property
    def same(self) -> bool:
        return self.first == self.second


@dataclass
class RunComparison:
    """The aspects of two runs, row by row; ``same`` when every row is."""

    first: RunOutcome
    second: RunOutcome
    rows: list[AspectRow] = field(default_factory=list)

    @property
    def differing(self) -> list[AspectRow]:
        return [row for row in self.rows if not row.same]

    @property
    def same(self) -> bool:
        return not self.differing

    def to_dict(self) -> dict[str, Any]:
        return {"first": self.first.run_id, "second": self.second.run_id, "same": self.same,
                "rows": [{"aspect": r.aspect, "first": r.first, "second": r.second, "same": r.same}
                         for r in self.rows]}


def load_manifest(run_dir: Path) -> Manifest:
    path = Path(run_dir) / MANIFEST_NAME
    try:
        return Manifest.from_dict(json.loads(path.read_text()))
    except FileNotFoundError:
        raise EvidenceError(f"{run_dir} has no {MANIFEST_NAME}", hint="give an outputs/<run-id> folder") from None
    except (json.JSONDecodeError, TypeError) as error:
        raise EvidenceError(f"{path} is not a readable manifest: {error}",
                            hint="run `runbook evidence verify` on it") from None


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1")


def _number(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def _last_records(manifest: Manifest, name: str) -> list[dict[str, Any]] | None:
    found = [t for record in manifest.phases.values() for t in record.tables if t.name == name]
    return found[-1].records if found else None


def outcome_of(manifest: Manifest) -> RunOutcome:
    """A run's results from its manifest (the tables it recorded under their phases' names)."""
    moved = {}
    for kind in KIND_UNITS:
        records = _last_records(manifest, f"{kind}_verification")
        if records is None:
            continue
        lines = sorted(f"{r.get('unit')}:{r.get('target_checksum')}" for r in records)
        moved[kind] = MovedKind(
            units=len(records),
            source_count=sum(_number(r.get("source_count")) for r in records),
            target_count=sum(_number(r.get("target_count")) for r in records),
            checksum_digest=hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16],
            equal=bool(records) and all(_truthy(r.get("ok")) for r in records),
        )
    gates = tuple((phase, str(g.get("gate", "?")), bool(g.get("approved")), str(g.get("decided_by", "?")))
                  for phase, record in manifest.phases.items() for g in record.gates)
    go = _last_records(manifest, "go_no_go") or []
    recovery = _last_records(manifest, "dr_rpo_rto") or []
    cost = None
    for name, column in COST_TABLES:
        records = _last_records(manifest, name)
        if records is not None:
            cost = estimate_total(records, column)
            break
    return RunOutcome(
        run_id=manifest.run_id,
        env=manifest.env,
        phases={name: record.status for name, record in manifest.phases.items()},
        moved=moved,
        gates=gates,
        go_no_go=tuple((str(r.get("check")), str(r.get("status"))) for r in go),
        recovery_met=tuple((str(r.get("measure")), _truthy(r.get("met"))) for r in recovery),
        cost_estimate_usd=cost,
        tables={name: tuple(sorted({t.name for t in record.tables})) for name, record in manifest.phases.items()},
    )


def compare_outcomes(first: RunOutcome, second: RunOutcome) -> RunComparison:
    """Row by row over the union of both runs' aspects (an aspect only one run has is a difference)."""
    a, b = first.aspects(), second.aspects()
    names = list(a) + [name for name in b if name not in a]
    return RunComparison(first=first, second=second,
                         rows=[AspectRow(name, a.get(name, "(absent)"), b.get(name, "(absent)")) for name in names])


def compare_runs(first_dir: Path, second_dir: Path) -> RunComparison:
    """Compare two run folders (``outputs/<run-id>``); refuses the same run twice (that proves nothing)."""
    first, second = outcome_of(load_manifest(first_dir)), outcome_of(load_manifest(second_dir))
    if first.run_id == second.run_id:
        raise EvidenceError(f"{first_dir} and {second_dir} are the same run ({first.run_id})",
                            hint="compare two different runs, e.g. the last two of `runbook evidence list`")
    return compare_outcomes(first, second)
