"""What ``runbook iac check`` found: one stack's sandbox run, a leftover, and the whole report.

The report is what the CLI prints as tables and as one JSON document for CI; ``ok`` is its verdict.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from runbook_lib.errors import RunbookError
from runbook_lib.infra.iac_check.gaps import NotApplied
from runbook_lib.infra.verify import StackVerification


@dataclass
class StackRun:
    """What happened to one stack in the sandbox (plan, apply, state, verification) and in the prod plan."""

    stack: str
    planned_sandbox: int | None = None
    plan_counts: dict[str, int] = field(default_factory=dict)
    applied: bool = False
    apply_summary: dict[str, Any] = field(default_factory=dict)
    state_addresses: tuple[str, ...] = ()
    verification: StackVerification | None = None
    prod_planned: tuple[tuple[str, str], ...] | None = None  # (address, type)
    prod_plan_error: str = ""
    destroyed: bool | None = None
    errors: list[str] = field(default_factory=list)
    durations_s: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Leftover:
    """A project resource still in the emulator after the destroy."""

    service: str
    kind: str
    name: str


@dataclass
class IacCheckReport:
    """The whole check: rows per module and stack, counts, what is not applied and why."""

    env: str
    apply: bool
    destroy: bool
    units: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    not_applied: list[NotApplied] = field(default_factory=list)
    prod_plan_problems: list[dict[str, str]] = field(default_factory=list)
    verification_failures: list[dict[str, Any]] = field(default_factory=list)
    waived: list[dict[str, Any]] = field(default_factory=list)
    not_verified: list[dict[str, Any]] = field(default_factory=list)
    checkov_failed: list[dict[str, Any]] = field(default_factory=list)
    validate_errors: list[dict[str, Any]] = field(default_factory=list)
    fmt_unformatted: list[str] = field(default_factory=list)
    leftovers: list[Leftover] | None = None
    #: State locks a destroy found held: stack, lock_id, who, operation, created, path, action taken.
    state_locks: list[dict[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    durations_s: dict[str, float] = field(default_factory=dict)
    runs: dict[str, StackRun] = field(default_factory=dict)

    def rows(self, kind: str) -> list[dict[str, Any]]:
        return [u for u in self.units if u["kind"] == kind]

    @property
    def static_ok(self) -> bool:
        return not self.fmt_unformatted and not self.validate_errors and not self.checkov_failed

    def ok(self, min_coverage: float | None = None) -> bool:
        """No static finding, no failed verification, no error, nothing left behind, coverage reached."""
        good = self.static_ok and not self.verification_failures and not self.errors and not self.leftovers
        coverage = self.counts.get("coverage")
        if min_coverage is not None and coverage is not None:
            good = good and coverage >= min_coverage
        return good

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "runs"}
        data["ok"] = self.ok()
        return data


def error_text(error: BaseException) -> str:
    """One line (at most 2000 characters) for ``StackRun.errors``; a Terraform error adds its stderr's first lines."""
    if isinstance(error, RunbookError):
        text = error.one_line()
        stderr = getattr(error, "stderr", "")
        if stderr and stderr.strip() and stderr.strip().splitlines()[-1] not in text:
            text += " | " + " | ".join(stderr.strip().splitlines()[:6])
        return text[:2000]
    return f"{type(error).__name__}: {error}"[:2000]
