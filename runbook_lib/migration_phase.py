"""One kind of data move as notebook steps: compatibility check → copy → verify, every table recorded.

Why: the phase-2 notebook shows the operator, per kind (objects, PostgreSQL,
MongoDB), what the compatibility check found before anything moved, what the
copy did (and what a resumed copy skipped), and the verification table — and
the same tables land in the evidence. A failed check or verification raises
only after its table is recorded, so the evidence shows what differed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from runbook_lib.errors import CompatibilityError
from runbook_lib.migrate.base import CheckReport, CopyReport, Migrator, VerifyReport, get_migrator, verification_error
from runbook_lib.notebook import PhaseSession
from runbook_lib.params import resolve_path

log = logging.getLogger("runbook_lib.migration_phase")


@dataclass
class MigrationStep:
    """One kind's migrator inside a phase session."""

    session: PhaseSession
    kind: str
    migrator: Migrator
    check_report: CheckReport | None = None
    copy_report: CopyReport | None = None
    verify_report: VerifyReport | None = None

    @classmethod
    def open(cls, session: PhaseSession, kind: str) -> MigrationStep:
        """Build the ``kind`` migrator from the parameters (in the sandbox, from the running sandbox's services).

        Checkpoints live under ``<outputs>/.checkpoints/<env>/<kind>`` (as for ``runbook migrate``), so a
        notebook and the CLI resume each other's runs.
        """
        params = session.params
        sandbox_state = None
        if params.is_sandbox:
            from runbook_lib.sandbox import require_running

            sandbox_state = require_running(f"the {kind} migration")
        checkpoints = resolve_path(params.evidence.outputs_dir) / ".checkpoints" / params.env / kind
        migrator = get_migrator(kind).from_params(params, sandbox_state, checkpoint_dir=checkpoints)
        return cls(session=session, kind=kind, migrator=migrator)

    def check(self) -> Any:
        """The compatibility check; blockers stop the move before anything is copied."""
        import pandas as pd

        self.check_report = self.migrator.check()
        frame = pd.DataFrame([f.__dict__ for f in self.check_report.findings],
                             columns=["severity", "object", "message", "fix"])
        self.session.table(f"{self.kind}_compatibility", frame)
        if not self.check_report.ok:
            raise CompatibilityError(self.kind, [f"{f.object}: {f.message}" for f in self.check_report.blockers])
        return frame

    def copy(self, *, resume: bool = True) -> Any:
        """Copy source → target (resuming from the checkpoint by default); the source is only read."""
        import pandas as pd

        report = self.copy_report = self.migrator.copy(resume=resume)
        frame = pd.DataFrame([{"kind": report.kind, "copied": report.items_copied, "bytes": report.bytes_copied,
                               "skipped (already verified)": report.items_skipped, "seconds": round(report.seconds, 1)}])
        self.session.table(f"{self.kind}_copy", frame)
        return frame

    def verify(self) -> Any:
        """Compare target with source by content; raises after recording when anything differs."""
        self.verify_report = self.migrator.verify()
        frame = self.verify_report.to_frame()
        self.session.table(f"{self.kind}_verification", frame)
        if not self.verify_report.ok:
            raise verification_error(self.kind, self.verify_report)
        return frame
