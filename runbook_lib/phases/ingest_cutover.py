"""The staged producer cutover as notebook steps (phase 03): run it gated, then record its tables and chart.

Why a step here and not cells: the notebook stays a list of calls; what it records (the steps with their
gates, every canary round, the share-vs-error chart) is the same in JupyterLab, in a headless run and in
the tests. The cutover itself is :func:`runbook_lib.cutover.ingest_cutover.run_ingest_cutover`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runbook_lib.cutover.ingest_cutover import IngestCutoverRun, run_ingest_cutover
from runbook_lib.errors import TrafficShiftError
from runbook_lib.phases.session import PhaseSession


@dataclass
class IngestCutoverStep:
    """One staged cutover of the ingest alias inside a phase session."""

    session: PhaseSession
    result: IngestCutoverRun | None = None

    def run(self, stack_outputs: dict[str, Any], *, mirror_lag: float | Callable[[], float | None] | None) -> Any:
        """Shift the alias step by step, each gated on the canary and the mirror's lag; returns the steps table.

        Args:
            stack_outputs: stack 03's outputs (name -> value), e.g. ``{k: v.value for k, v in stream.outputs.items()}``.
            mirror_lag: records the Kafka mirror is behind (a number, or a callable asked at each step, such as
                ``kafka.mirror_lag``); None counts as 0 only when no mirror ran in this phase (logged in the table).
        """
        import pandas as pd

        def lag() -> float:
            value = mirror_lag() if callable(mirror_lag) else mirror_lag
            return float(value or 0)

        state = None
        if self.session.params.is_sandbox:
            from runbook_lib.sandbox import load_state

            state = load_state()
        log_dir = self.session.work_dir("ingestor-logs")
        try:
            self.result = run_ingest_cutover(
                self.session.params,
                stack_outputs,
                mirror_lag=lag,
                log_dir=log_dir,
                sandbox_state=state,
            )
        finally:  # the local ingestors' logs are evidence whether the cutover held or not (redacted, recorded)
            for log_file in sorted(log_dir.glob("*.log")):
                self.session.keep_file(f"logs/{log_file.name}", log_file)
        rounds = [dict(row, step=n) for n, r in enumerate(self.result.rounds, start=1) for row in r.rows()]
        self.session.table("ingest_canary_rounds", pd.DataFrame(rounds))
        self.session.chart("ingest_cutover", cutover_figure(self.result))
        return self.session.table("ingest_cutover_steps", pd.DataFrame(self.result.report.rows()))

    def require_completed(self) -> None:
        """Raise :class:`TrafficShiftError` unless the last step (100 %) held; the alias is where the report says."""
        if self.result is None:
            raise TrafficShiftError("the staged cutover has not run", hint="call run() first")
        report = self.result.report
        if not report.completed:
            last = report.steps[-1] if report.steps else None
            raise TrafficShiftError(
                f"cutover stopped at step {last.step if last else 0}: {', '.join(last.reasons) if last else 'no step'};"
                f" the alias is back at {report.final_pct} %",
                hint="see ingest_cutover_steps; fix the failing gate and run the cutover again",
            )


def cutover_figure(result: IngestCutoverRun) -> Any:
    """The new version's share after each step (line) and the canary's error rate at it (bars), in percent."""
    import matplotlib.pyplot as plt
    import pandas as pd

    steps = pd.DataFrame(result.report.rows())
    fig, ax = plt.subplots(figsize=(7, 3))
    if len(steps):
        ax.step(steps["step"], steps["applied_pct"], where="post", label="new version share (%)")
        ax.bar(steps["step"], steps["error_rate"] * 100, alpha=0.4, label="canary error rate (%)")
        ax.legend()
    ax.set_xlabel("step")
    ax.set_ylabel("%")
    ax.set_title(f"Staged producer cutover of {result.report.function_name}:{result.report.alias}")
    return fig
