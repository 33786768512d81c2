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
from runbook_lib.errors import ParamsError
from runbook_lib.evidence import EvidenceLedger
from runbook_lib.params import RunbookParams, load_params, load_params_file, params_hash, resolve_outputs_dir
from runbook_lib.phases import kernel_redaction
from runbook_lib.phases.account_guard import require_allowed_account
from runbook_lib.phases.envlock import hold_for_session, release_session
from runbook_lib.phases.headless import new_run_id
from runbook_lib.phases.run_workspace import RunWorkspace

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

    def keep_file(self, name: str, path: str | Path) -> str:
        """Keep a file the phase produced as evidence (redacted if text); returns its run-relative path."""
        return self.ledger.record_file(self.phase, name, path)

    def work_dir(self, name: str) -> Path:
        """A private folder (0700) for what a step builds before it is kept: ``<outputs>/.work/<run-id>/<name>``.

        Why not the run folder: every file there must come through the ledger (``keep_file``), or the evidence
        check reports it as unrecorded; and the working area is removed once every phase of the run succeeded.
        """
        run_dir = Path(self.ledger.run_dir)
        return RunWorkspace.of(run_dir.parent, run_dir.name).create().subdir(name)

    def gate(self, decision: Any) -> None:
        """Record a gate decision (approved or not) in the evidence."""
        self.ledger.record_gate(decision, phase=self.phase)

    def done(self) -> str:
        """Mark the phase succeeded when run by hand (a headless run's runner does it); returns the run folder."""
        if self.owns_phase:
            self.ledger.finish_phase("succeeded", phase=self.phase)
        release_session(self.params.env)
        return str(self.ledger.run_dir)

    def failed(self, error: BaseException) -> None:
        if self.owns_phase:
            self.ledger.finish_phase("failed", error=error, phase=self.phase)
        release_session(self.params.env)


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
    require_allowed_account(params.aws, where=f"phase {phase} (env {env})")  # by hand or under `runbook run`
    redact.install_log_filter()
    kernel_redaction.install()  # every output leaves this kernel redacted (a no-op outside a notebook)
    redact.add_patterns(params.evidence.redact_patterns)
    opened = EvidenceLedger.open(evidence_dir) if evidence_dir else None
    if opened is not None:  # before the lock: a refused phase holds nothing
        _check_params_pinned(opened, params, params_file or f"params/{env}.yaml")
    # One run per environment: run by hand, the session takes the environment lock (released by done() or
    # failed()); under `runbook run` the runner holds it and its token lets this kernel in.
    lock_params_dir = Path(params_file).resolve().parent if params_file else None
    hold_for_session(params, phase=phase, run_id=run_id, params_dir=lock_params_dir)
    if opened is not None:
        ledger = opened
        owns = ledger.phase(phase).status != "running" if phase in ledger.manifest.phases else True
    else:
        # Resolved as `runbook run` resolves it, so the run folder (and the checkpoints beside it) land where
        # a headless run of the same params would put them.
        params_dir = Path(params_file).resolve().parent if params_file else None
        outputs = resolve_outputs_dir(params, params_dir)
        ledger = EvidenceLedger(
            run_id or f"interactive-{new_run_id(env)}", outputs, params=params, phases=[phase], params_file=params_file
        )
        owns = True
    if owns:
        ledger.start_phase(phase)
    log.info("phase %s: evidence in %s", phase, ledger.run_dir)
    return PhaseSession(phase=phase, params=params, ledger=ledger, owns_phase=owns)


def _check_params_pinned(ledger: EvidenceLedger, params: RunbookParams, params_file: str) -> None:
    """Refuse parameters other than the ones the run started with (its manifest's ``params_hash``).

    Why: each phase reloads the params file; an edit between two phases would make one run's evidence
    describe two sets of parameters.
    """
    pinned = ledger.manifest.params_hash
    current = params_hash(params)
    if pinned and current != pinned:
        raise ParamsError(
            "params_file",
            str(params_file),
            f"the parameters run {ledger.run_id} started with (params_hash {pinned})",
            message=(
                f"{params_file} changed since run {ledger.run_id} started: its params_hash is {current}, "
                f"the run's manifest pins {pinned}; restore the file, or start a new run with the new parameters"
            ),
        )


__all__ = ["PhaseSession", "open_phase"]
