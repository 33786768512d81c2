"""What the phase-08 notebook calls: one object that builds the go/no-go, takes the sign-off, runs the progressive
plan and the rollback rehearsal, and records every table, gate and chart in the run's evidence.

Why a coordinator here: the notebook stays a list of one-line cells, and the same calls are what a test runs
against the sandbox. The session is the phase session (``runbook_lib.phases.session.PhaseSession``: ``params``,
``ledger``, ``phase``, ``table``, ``chart``, ``gate``), passed in - this package sits below ``phases``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from runbook_lib.cutover.evidence_view import RunEvidence
from runbook_lib.cutover.gonogo import GoNoGo, build_go_no_go, configured_kinds
from runbook_lib.cutover.sequence import WaveReport, plan_frame, plan_waves, rehearse_rollback, run_wave
from runbook_lib.cutover.signoff import SignOff
from runbook_lib.cutover.steps import CutoverContext
from runbook_lib.cutover.switch import EndpointSwitch
from runbook_lib.errors import CutoverError

log = logging.getLogger("runbook_lib.cutover.notebook")


def build_context(session: Any, kinds: list[str]) -> CutoverContext:
    """Each kind's migrator from the params (checkpoints of this run resumed), the SSM switch, the Kafka reader."""
    from runbook_lib.clients import aws_client
    from runbook_lib.migrate.base import default_checkpoint_dir
    from runbook_lib.migrate.registry import get_migrator, known_kinds

    params = session.params
    state = None
    if params.is_sandbox:
        from runbook_lib.sandbox import require_running

        state = require_running("the cutover")
    migrators: dict[str, Any] = {}
    for kind in kinds:
        if kind not in known_kinds():
            raise CutoverError(f"pipeline {kind!r} has mappings in the params but no migrator is registered",
                               hint=f"registered: {', '.join(known_kinds())} (runbook_lib/migrate/registry.py)")
        checkpoints = default_checkpoint_dir(params.env, kind, outputs_dir=session.ledger.run_dir.resolve().parent)
        migrator = get_migrator(kind).from_params(params, state, checkpoint_dir=checkpoints)
        migrator.claim_checkpoints(session.ledger.run_id, resume="own-run")
        migrators[kind] = migrator
    switch = EndpointSwitch(aws_client("ssm", params.aws), params.cutover.endpoint_parameter_prefix, params.env)
    return CutoverContext(migrators, switch, kafka_offsets=_kafka_reader(params, state) if "kafka" in kinds else None)


def _kafka_reader(params: Any, state: Any) -> Any:
    from runbook_lib.cutover.freeze import kafka_end_offsets
    from runbook_lib.endpoints import kafka_bootstrap
    from runbook_lib.params import resolve_secret

    resolver = (lambda name: state.url(name, with_secret=True)) if state is not None else None
    by_bootstrap: dict[str, list[str]] = {}
    for mapping in params.migration.kafka:
        bootstrap = kafka_bootstrap(resolve_secret(mapping.source_bootstrap_ref, sandbox_resolver=resolver))
        by_bootstrap.setdefault(bootstrap, []).append(mapping.source_topic)

    def read() -> dict[str, int]:
        offsets: dict[str, int] = {}
        for bootstrap, topics in by_bootstrap.items():
            offsets.update(kafka_end_offsets(bootstrap, topics))
        return offsets

    return read


@dataclass
class CutoverPhase:
    """Phase 08 in one object (see the module docstring)."""

    session: Any
    table_: GoNoGo | None = None
    signoff: SignOff | None = None
    waves: list[list[str]] = field(default_factory=list)
    reports: list[WaveReport] = field(default_factory=list)
    context: CutoverContext | None = None

    @classmethod
    def open(cls, session: Any) -> CutoverPhase:
        return cls(session=session)

    @property
    def kinds(self) -> list[str]:
        return configured_kinds(self.session.params)

    def go_no_go(self) -> Any:
        """Build the table from this run's evidence, record it (and the decision as a gate), return it."""
        evidence = RunEvidence(self.session.ledger.run_dir)
        self.table_ = build_go_no_go(evidence, self.session.params, phase=self.session.phase)
        frame = self.session.table("go_no_go", self.table_.to_frame())
        self.session.gate({"gate": "go-no-go", "approved": self.table_.go, "decided_by": "evidence",
                           "reason": f"{self.table_.decision}: {len(self.table_.red)} red of {len(self.table_.rows)}",
                           "plan_sha256": self.table_.digest()})
        return frame

    def require_go(self) -> None:
        assert self.table_ is not None, "go_no_go() first"
        self.table_.require_go()

    def sign_off(self) -> Any:
        """Headless: ``cutover.approvers`` sign (refused on a protected env); interactive: the Approve widget."""
        assert self.table_ is not None, "go_no_go() first"
        params = self.session.params
        self.signoff = SignOff(self.table_, protected=params.protected, env=params.env)
        if params.gates.mode == "headless":
            for decision in self.signoff.approve_from_params(list(params.cutover.approvers),
                                                             gates_mode=params.gates.mode):
                self.session.gate(decision.to_dict())
            return self.session.table("cutover_sign_off", self.signoff.to_frame())
        from runbook_lib.terraform.approval import DECISIONS

        DECISIONS.subscribe(lambda d: self.session.gate(d.to_dict()) if d.plan_sha256 == self.signoff.digest else None)
        return self.signoff.build_widget()

    def plan(self) -> Any:
        self.waves = plan_waves(self.kinds, self.session.params.cutover.first_pipeline)
        return self.session.table("cutover_plan", plan_frame(self.waves))

    def run(self) -> Any:
        """Every wave in order; a failed wave is rolled back and stops the rest (the table is recorded first)."""
        import pandas as pd

        assert self.signoff is not None, "sign_off() first"
        self.signoff.require_complete(self.table_)
        if not self.waves:
            self.plan()
        self.context = self.context or build_context(self.session, self.kinds)
        timeout = float(self.session.params.cutover.step_timeout_s)
        try:
            for number, kinds in enumerate(self.waves, start=1):
                self.reports.append(run_wave(self.context, kinds, self.signoff, wave=str(number), timeout_s=timeout))
        except CutoverError as error:
            report = getattr(error, "report", None)
            if report is not None:
                self.reports.append(report)
            raise
        finally:
            frame = pd.concat([r.to_frame() for r in self.reports], ignore_index=True) if self.reports else None
            if frame is not None:
                self.session.table("cutover_steps", frame)
        return frame

    def rehearse_rollback(self) -> Any:
        """Switch every moved pipeline back and prove the source serves (``cutover.rollback_rehearsal``)."""
        if not self.session.params.cutover.rollback_rehearsal:
            log.info("cutover.rollback_rehearsal is false: the target keeps serving")
            return None
        moved = [k for r in self.reports if r.ok for k in r.kinds]
        if not moved:
            raise CutoverError("no wave finished: there is nothing to roll back", hint="run() first")
        self.context = self.context or build_context(self.session, moved)
        report = rehearse_rollback(self.context, moved, timeout_s=float(self.session.params.cutover.step_timeout_s))
        self.reports.append(report)
        return self.session.table("rollback_rehearsal", report.to_frame())

    def timeline(self) -> Any:
        """A bar per step (seconds), recorded as the ``cutover_timeline`` chart."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        results = [r for report in self.reports for r in report.results]
        figure, axes = plt.subplots(figsize=(8, 0.35 * max(len(results), 2) + 1))
        labels = [f"{r.wave}: {r.step} ({r.pipelines})" for r in results]
        colours = ["#1a7f37" if r.status == "done" else "#cf222e" for r in results]
        axes.barh(labels[::-1], [r.seconds for r in results][::-1], color=colours[::-1])
        axes.set_xlabel("seconds")
        axes.set_title("cutover steps")
        figure.tight_layout()
        self.session.chart("cutover_timeline", figure)
        plt.close(figure)
        return figure
