"""What a phase notebook needs in one call: parameters, the evidence ledger, redacted logging.

Why: notebooks stay thin (a parameters cell, calls into the library, a table
or chart, a recorded result). Every phase notebook opens a ``PhaseSession``
with the parameters papermill injected; run by hand in JupyterLab (no
``evidence_dir``), the session starts an interactive run folder of its own so
an operator's clicks leave the same evidence as a headless run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook_lib import redact
from runbook_lib.evidence import EvidenceLedger
from runbook_lib.params import RunbookParams, load_params, load_params_file, resolve_outputs_dir
from runbook_lib.phases.headless import new_run_id

log = logging.getLogger("runbook_lib.phases.session")


@dataclass
class PhaseSession:
    """One phase's parameters and evidence ledger, as a notebook sees them."""

    phase: str
    params: RunbookParams
    ledger: EvidenceLedger
    owns_phase: bool  # True when run by hand: the session, not the runner, marks start and end

    def table(self, name: str, frame: Any) -> Any:
        """Record a table as evidence and return it, so the cell displays it."""
        self.ledger.record_table(self.phase, name, frame)
        return frame

    def chart(self, name: str, figure: Any) -> Any:
        """Record a matplotlib figure as evidence and return it."""
        self.ledger.record_chart(self.phase, name, figure)
        return figure

    def gate(self, decision: Any) -> None:
        """Record a gate decision (approved or not) in the evidence."""
        self.ledger.record_gate(decision, phase=self.phase)

    def done(self) -> str:
        """Mark the phase succeeded when run by hand (a headless run's runner does it); returns the run folder."""
        if self.owns_phase:
            self.ledger.finish_phase("succeeded", phase=self.phase)
        return str(self.ledger.run_dir)

    def failed(self, error: BaseException) -> None:
        if self.owns_phase:
            self.ledger.finish_phase("failed", error=error, phase=self.phase)


def open_phase(
    phase: str,
    *,
    env: str = "sandbox",
    params_file: str | None = None,
    run_id: str | None = None,
    evidence_dir: str | None = None,
) -> PhaseSession:
    """Load parameters and open (headless) or create (interactive) the run's evidence ledger.

    Args:
        phase: the notebook's phase name, e.g. ``00_preflight``.
        env: the environment whose ``params/<env>.yaml`` to load.
        params_file: an explicit params file (papermill passes the one the run used).
        run_id: the run id (injected by ``runbook run``).
        evidence_dir: the run folder (injected by ``runbook run``).
    """
    params = load_params_file(params_file, env=env) if params_file else load_params(env)
    redact.install_log_filter()
    redact.add_patterns(params.evidence.redact_patterns)
    if evidence_dir:
        ledger = EvidenceLedger.open(evidence_dir)
        owns = ledger.phase(phase).status != "running" if phase in ledger.manifest.phases else True
    else:
        # Resolved as `runbook run` resolves it, so the run folder (and the checkpoints beside it) land where
        # a headless run of the same params would put them.
        params_dir = Path(params_file).resolve().parent if params_file else None
        outputs = resolve_outputs_dir(params, params_dir)
        ledger = EvidenceLedger(run_id or f"interactive-{new_run_id(env)}", outputs, params=params, phases=[phase])
        owns = True
    if owns:
        ledger.start_phase(phase)
    log.info("phase %s: evidence in %s", phase, ledger.run_dir)
    return PhaseSession(phase=phase, params=params, ledger=ledger, owns_phase=owns)


__all__ = ["PhaseSession", "open_phase"]
