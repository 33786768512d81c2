"""A saved plan file under review: its parsed content, its sha256, and the ``<plan>.review.json`` record.

Why a record next to the plan: ``runbook tf plan`` and ``runbook tf apply`` are separate
processes. The record (metadata only, no attribute values) lets the later one check that the
file it is about to apply is the very file that was reviewed, for the same environment.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbook_lib.errors import PlanError
from runbook_lib.terraform.destroy_guard import DestructiveFinding
from runbook_lib.terraform.messages import Diagnostic
from runbook_lib.terraform.plan import Plan
from runbook_lib.util import atomic_write_text, sha256_file, utc_now

if TYPE_CHECKING:
    import pandas as pd

REVIEW_SUFFIX = ".review.json"
REVIEW_SCHEMA = 1


def file_sha256(path: str | Path) -> str:
    """sha256 of a saved plan file; a missing one is a :class:`PlanError` that says to plan first."""
    try:
        return sha256_file(path)
    except FileNotFoundError:
        raise PlanError(f"plan file {path} does not exist", hint="run plan first") from None


@dataclass(frozen=True)
class PlanReview:
    """A saved plan file, its parsed content and its sha256: the unit a gate approves.

    The review's metadata (no attribute values) is written next to the plan as
    ``<plan>.review.json`` so that a later process (``runbook tf apply``) can
    check that the file it is about to apply is the one that was reviewed.
    """

    plan: Plan
    plan_path: Path
    plan_sha256: str
    stack_dir: Path
    destroy: bool = False
    created_at: str = field(default_factory=utc_now)
    env: str | None = None
    destructive: tuple[DestructiveFinding, ...] = ()
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def review_path(self) -> Path:
        return review_path_for(self.plan_path)

    @property
    def refused(self) -> list[str]:
        """Destructive changes the guard will refuse at apply time."""
        return [f.address for f in self.destructive if not f.allowed]

    def summary(self) -> pd.DataFrame:
        return self.plan.summary_by_action()

    def to_dict(self) -> dict[str, Any]:
        """The review's metadata, JSON-ready; holds no attribute values."""
        return {
            "schema": REVIEW_SCHEMA,
            "plan_path": str(self.plan_path),
            "plan_sha256": self.plan_sha256,
            "stack_dir": str(self.stack_dir),
            "destroy": self.destroy,
            "created_at": self.created_at,
            "env": self.env,
            "terraform_version": self.plan.terraform_version,
            "summary": self.plan.summary_dict(),
            "destructive": [asdict(f) for f in self.destructive],
            "warnings": [d.one_line() for d in self.warnings],
        }

    def save(self) -> Path:
        path = self.review_path
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        return path


def review_path_for(plan_path: str | Path) -> Path:
    plan_path = Path(plan_path)
    return plan_path.with_name(plan_path.name + REVIEW_SUFFIX)


def read_review_metadata(plan_path: str | Path) -> dict[str, Any]:
    """The ``<plan>.review.json`` written by :meth:`TerraformRunner.plan`.

    Raises:
        PlanError: no review next to the plan (the plan was not made by ``runbook tf plan``).
    """
    path = review_path_for(plan_path)
    if not path.exists():
        raise PlanError(
            f"no review record {path} for plan {plan_path}",
            hint="make the plan with `runbook tf plan` (or TerraformRunner.plan) so it can be reviewed",
        )
    data = json.loads(path.read_text())
    if data.get("schema") != REVIEW_SCHEMA or "plan_sha256" not in data:
        raise PlanError(f"{path} is not a review record this version understands", hint="plan again")
    return data


def mark_applied(plan_path: str | Path, applied_at: str) -> None:
    """Note in the plan's review record that the plan was applied (``applied_at``); no record, nothing to note.

    Why: ``runbook tf plan`` refuses to replace a reviewed plan that was never applied
    (:func:`unapplied_review`); once applied, the file is spent and a new plan may take its place.
    """
    path = review_path_for(plan_path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    if isinstance(data, dict):
        data["applied_at"] = applied_at
        atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def unapplied_review(plan_path: str | Path) -> dict[str, Any] | None:
    """The review record of the plan at ``plan_path`` if that plan is intact (same sha256 as reviewed) and was
    never applied; None otherwise (no plan, no record, a changed file, or applied)."""
    plan_path = Path(plan_path)
    path = review_path_for(plan_path)
    if not plan_path.is_file() or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("applied_at") or data.get("plan_sha256") != sha256_file(plan_path):
        return None
    return data
