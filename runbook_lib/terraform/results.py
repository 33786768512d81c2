"""What Terraform commands return, typed: root module outputs, an apply's outcome, a drift report.

Kept apart from the runner so that code which only reads results (the CLI's tables, the phase
notebooks, the evidence ledger) does not depend on how the commands are run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from runbook_lib.terraform.approval import GateDecision
from runbook_lib.terraform.configured import settled_after_create
from runbook_lib.terraform.messages import Diagnostic, ResourceApplyStatus, statuses_frame
from runbook_lib.terraform.plan import Plan
from runbook_lib.util import utc_now


@dataclass(frozen=True)
class OutputValue:
    """One root module output; a sensitive value is :data:`~runbook_lib.terraform.plan.SENSITIVE` unless revealed."""

    name: str
    value: Any
    type: Any
    sensitive: bool


@dataclass(frozen=True)
class ApplyResult:
    """What an apply did: per-resource status and durations, diagnostics, Terraform's change summary."""

    plan_sha256: str
    returncode: int
    started_at: str
    finished_at: str
    duration_s: float
    resources: tuple[ResourceApplyStatus, ...]
    diagnostics: tuple[Diagnostic, ...]
    change_summary: dict[str, Any]
    outputs: dict[str, OutputValue]
    gate: GateDecision | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.errors

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def to_frame(self) -> pd.DataFrame:
        """One row per resource action: address, action, status, elapsed_s, id, error."""
        return statuses_frame(self.resources)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


@dataclass(frozen=True)
class DriftItem:
    """A resource changed outside Terraform (``drift``) or one a plan would change (``planned``)."""

    address: str
    type: str
    module: str
    action: str
    changed: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class DriftReport:
    """The outcome of :meth:`TerraformRunner.drift`."""

    mode: str  # "refresh-only" | "plan"
    has_drift: bool
    exit_code: int
    items: tuple[DriftItem, ...]
    checked_at: str
    plan_sha256: str | None = None

    @property
    def drifted(self) -> tuple[DriftItem, ...]:
        """What changed outside Terraform (or a plan would change): everything but what settled after a create."""
        return tuple(i for i in self.items if i.source != SETTLED)

    @property
    def settled(self) -> tuple[DriftItem, ...]:
        """Attributes the configuration does not set, filled in after the last apply created the resource."""
        return tuple(i for i in self.items if i.source == SETTLED)

    def to_frame(self, items: tuple[DriftItem, ...] | None = None) -> pd.DataFrame:
        """One row per drifted resource: address, type, module, action, changed (attribute paths), source."""
        items = self.drifted if items is None else items
        return pd.DataFrame(
            {
                "address": [i.address for i in items],
                "type": [i.type for i in items],
                "module": [i.module for i in items],
                "action": [i.action for i in items],
                "changed": [", ".join(i.changed) for i in items],
                "source": [i.source for i in items],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_plan(
        cls, plan: Plan, exit_code: int, mode: str, *, created: frozenset[str] = frozenset()
    ) -> DriftReport:
        """``created``: addresses the last apply created; their unconfigured attributes may settle (``SETTLED``)."""
        items = []
        for rc in plan.resource_drift.values():
            if rc.action == "no-op":
                continue
            item = _drift_item(rc, "drift")
            if rc.action == "update" and settled_after_create(
                item.address, item.changed, created=created, configured=plan.configured
            ):
                item = _drift_item(rc, SETTLED)
            items.append(item)
        if mode == "plan":
            items += [_drift_item(rc, "planned") for rc in plan.changes.values()]
        has_drift = exit_code == 2 and any(i.source != SETTLED for i in items)
        return cls(mode, has_drift, exit_code, tuple(items), utc_now(), plan.raw_sha256)


#: A drift item that is not drift: see :mod:`runbook_lib.terraform.configured`.
SETTLED = "settled after create"


def _drift_item(rc: Any, source: str) -> DriftItem:
    changed = tuple(c.path for c in rc.attribute_changes()) if rc.action == "update" else ()
    return DriftItem(rc.key, rc.type, rc.module_address or "(root)", rc.action, changed, source)
