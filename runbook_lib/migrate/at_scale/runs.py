"""The runs table of an at-scale copy: one row per DataSync execution or DMS task, failed ones too.

Why a row for a failure: the table is recorded as evidence before the error propagates, so what
ran, what it reported and why it stopped are kept even when the copy does not finish.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from runbook_lib.errors import DataSyncError, DmsTaskError
from runbook_lib.migrate.at_scale.path_choice import PathDecision


@dataclass
class AtScaleRun:
    """One DataSync task execution or DMS task, as the runs table shows it."""

    unit: str
    service: str  # datasync | dms
    task_arn: str = ""
    execution_arn: str = ""
    status: str = ""
    statuses: list[str] = field(default_factory=list)
    items: int = 0  # files transferred (DataSync) or tables loaded (DMS)
    bytes: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["statuses"] = " → ".join(self.statuses)
        row["notes"] = "; ".join(self.notes)
        row["seconds"] = round(self.seconds, 1)
        return row


RUN_COLUMNS = list(AtScaleRun("", "").to_row())


def failed_run(
    unit: str,
    service: str,
    error: DataSyncError | DmsTaskError,
    notes: Sequence[str],
    *,
    task_arn: str = "",
    execution_arn: str = "",
) -> AtScaleRun:
    """The row of a run the service ended in ``error``: its status, and its message before the ``notes``."""
    return AtScaleRun(
        unit,
        service,
        task_arn=task_arn,
        execution_arn=execution_arn,
        status=error.status,
        statuses=[error.status],
        notes=[error.message, *notes],
    )


def copy_report_details(decision: PathDecision, runs: Sequence[AtScaleRun]) -> dict[str, Any]:
    """What the copy report of an at-scale copy carries: the path taken and every run."""
    return {"path": decision.path, "runs": [r.to_row() for r in runs]}
