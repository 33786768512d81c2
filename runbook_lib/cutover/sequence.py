"""The cutover sequence: waves of typed steps, each timed and gated, run only after a complete sign-off.

Progressive plan: the first wave moves one pipeline (``cutover.first_pipeline``, default the first kind the
params move), the second the rest - so a surprise shows on one pipeline while the others still run on the
source. A step runs only when every step before it in the wave finished (its gate), and only within
``cutover.step_timeout_s`` (a step that took longer fails the wave after it returns: a copy is not killed
half-way). When a step fails, the wave's rollback steps run at once (switch back, unfreeze the source, prove
it serves), and the error is raised after the table is complete.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from runbook_lib.cutover.signoff import SignOff
from runbook_lib.cutover.steps import CUTOVER_STEPS, ROLLBACK_STEPS, CutoverContext, Step
from runbook_lib.errors import CutoverError, ParamsError, RunbookError
from runbook_lib.util import utc_now

log = logging.getLogger("runbook_lib.cutover.sequence")


@dataclass(frozen=True)
class StepResult:
    """One step as it ran: wave, name, pipelines, gate, when, how long, status (done/failed/not run), detail."""

    wave: str
    step: str
    pipelines: str
    gate: str
    started_at: str
    seconds: float
    status: str
    detail: str


@dataclass
class WaveReport:
    """The steps of one wave (and of its automatic rollback, if a step failed)."""

    wave: str
    kinds: list[str]
    results: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.status == "done" for r in self.results)

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.results)

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([asdict(r) for r in self.results],
                            columns=["wave", "step", "pipelines", "gate", "started_at", "seconds", "status", "detail"])


def plan_waves(kinds: Sequence[str], first: str | None = None) -> list[list[str]]:
    """``[[first], [the rest]]`` (one wave when there is one pipeline).

    Raises:
        ParamsError: ``first`` is not one of ``kinds``.
    """
    kinds = list(kinds)
    if not kinds:
        raise ParamsError("migration", [], "at least one kind with a mapping (s3, postgres, mongo, kafka)")
    first = first or kinds[0]
    if first not in kinds:
        raise ParamsError("cutover.first_pipeline", first, kinds)
    rest = [k for k in kinds if k != first]
    return [[first], rest] if rest else [[first]]


def plan_frame(waves: list[list[str]]) -> Any:
    import pandas as pd

    rows = []
    for number, kinds in enumerate(waves, start=1):
        for step in CUTOVER_STEPS:
            rows.append({"wave": number, "pipelines": ", ".join(kinds), "step": step.name, "gate": step.gate})
    return pd.DataFrame(rows, columns=["wave", "pipelines", "step", "gate"])


def _run_steps(
    steps: Sequence[Step], ctx: CutoverContext, report: WaveReport, timeout_s: float
) -> BaseException | None:
    """Run ``steps`` in order; the first failure stops them (later ones are recorded ``not run``)."""
    failure: BaseException | None = None
    for step in steps:
        pipelines = ", ".join(step.kinds)
        if failure is not None:
            report.results.append(StepResult(report.wave, step.name, pipelines, step.gate, "", 0.0, "not run",
                                             "an earlier step failed"))
            continue
        started_at, started = utc_now(), time.monotonic()
        try:
            detail = step.run(ctx)
            seconds = time.monotonic() - started
            if seconds > timeout_s:
                raise CutoverError(f"step {step.name!r} took {seconds:.1f} s, over cutover.step_timeout_s "
                                   f"({timeout_s:g} s)", hint="raise cutover.step_timeout_s or shorten the step")
            status = "done"
        except Exception as error:  # noqa: BLE001 - every failure is recorded, then re-raised by the caller
            seconds = time.monotonic() - started
            status, failure = "failed", error
            detail = error.one_line() if isinstance(error, RunbookError) else f"{type(error).__name__}: {error}"
        log.info("wave %s: %s %s in %.1f s", report.wave, step.name, status, seconds)
        report.results.append(StepResult(report.wave, step.name, pipelines, step.gate, started_at,
                                         round(seconds, 3), status, detail))
    return failure


def run_wave(ctx: CutoverContext, kinds: list[str], signoff: SignOff, *, wave: str = "1",
             timeout_s: float = 900.0) -> WaveReport:
    """Freeze → final sync → verify → switch → unfreeze for ``kinds``; on a failure roll the wave back.

    Raises:
        SignOffError: the sign-off is not complete (nothing ran).
        CutoverError: a step failed (after the rollback steps ran and the report is complete); ``report``
            is attached to the error.
    """
    signoff.require_complete()
    report = WaveReport(wave, list(kinds))
    failure = _run_steps([cls(kinds) for cls in CUTOVER_STEPS], ctx, report, timeout_s)
    if failure is None:
        return report
    rollback = WaveReport(f"{wave} rollback", list(kinds))
    _run_steps([cls(kinds) for cls in ROLLBACK_STEPS], ctx, rollback, timeout_s)
    report.results.extend(rollback.results)
    error = CutoverError(f"wave {wave} ({', '.join(kinds)}) stopped: {failure}",
                         hint="the wave was rolled back (see its table); fix the failed step and run it again")
    error.report = report  # type: ignore[attr-defined]
    raise error from failure


def rehearse_rollback(ctx: CutoverContext, kinds: list[str], *, timeout_s: float = 900.0) -> WaveReport:
    """Switch every pipeline back, unfreeze the source, prove it serves (reads answer, PostgreSQL takes writes).

    Raises:
        CutoverError: a rollback step failed (the report is attached).
    """
    report = WaveReport("rollback rehearsal", list(kinds))
    failure = _run_steps([cls(kinds) for cls in ROLLBACK_STEPS], ctx, report, timeout_s)
    if failure is not None:
        error = CutoverError(f"rollback rehearsal failed: {failure}", hint="the source may not serve: check it now")
        error.report = report  # type: ignore[attr-defined]
        raise error from failure
    return report
