"""One kind of data move as notebook steps: compatibility check → path → copy → verify, every table recorded.

Why: the phase-2 notebook shows the operator, per kind (objects, PostgreSQL,
MongoDB), what the compatibility check found before anything moved, which path
the copy takes and why, what the copy did (and what a resumed copy skipped),
and the verification table — and the same tables land in the evidence. A
failed check, copy or verification raises only after its table is recorded, so
the evidence shows what differed.

At-scale path
-------------
``choose_path()`` estimates the size of what the kind would move (objects: the
bytes the S3 check listed; PostgreSQL: ``pg_database_size``; MongoDB: the
collections' ``collStats`` sizes, or their BSON sizes where the server has no
``collStats``) and compares it with ``migration.at_scale_threshold_bytes``:
below it the runbook copies directly (``direct`` for objects, ``native``
dump/restore or batched copy for databases); at or above it the bytes move with
AWS DataSync (objects, one task per bucket mapping) or AWS DMS (databases; also
whenever ``migration.at_scale.dms.cdc_required`` is true). The choice is one per
kind, on the kind's total size, and is recorded as the ``<kind>_path`` table.

``copy()`` acts on the choice (choosing first if ``choose_path()`` was not
called). The at-scale path reads what it needs from ``migration.at_scale`` —
missing, it raises a ``ParamsError`` naming ``migration.at_scale`` (or its
``datasync``/``dms`` member) before anything moves — and records the
``<kind>_at_scale_runs`` table (task ARN, statuses, notes) as well as the usual
``<kind>_copy`` table, also when a run fails. MongoDB → DocumentDB at scale is
DMS too (one task per database in document mode; the migrator creates the
secondary indexes after the full load). PostgreSQL through DMS gets its schema
from the native tools: pre-data before the task, post-data and sequence values
after the full load (see :mod:`runbook_lib.migrate.at_scale.path_choice`).

``verify()`` stays the content verification whatever the path. In the sandbox
moto's DataSync and DMS move no data (their runs succeed or run with fixed
statistics, and the runs table says so), so after an at-scale copy there
``verify()`` truthfully reports the objects/rows missing — expected, and why
the sandbox's threshold (1 GiB) keeps the seeded data on the direct path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.clients import aws_client
from runbook_lib.errors import CompatibilityError
from runbook_lib.health import migration_metrics
from runbook_lib.migrate import at_scale
from runbook_lib.migrate.at_scale import msk_connect
from runbook_lib.migrate.base import (
    CheckReport,
    CopyReport,
    Migrator,
    VerifyReport,
    default_checkpoint_dir,
    verification_error,
)
from runbook_lib.migrate.registry import get_migrator
from runbook_lib.phases.session import PhaseSession
from runbook_lib.sandbox import require_running

log = logging.getLogger("runbook_lib.phases.migration")


@dataclass
class MigrationStep:
    """One kind's migrator inside a phase session."""

    session: PhaseSession
    kind: str
    migrator: Migrator
    check_report: CheckReport | None = None
    copy_report: CopyReport | None = None
    verify_report: VerifyReport | None = None
    path_decision: at_scale.PathDecision | None = None
    at_scale_runs: list[at_scale.AtScaleRun] = field(default_factory=list)
    #: Makes the boto3 client for a service name (``datasync``, ``dms``); tests inject fakes.
    aws_clients: Callable[[str], Any] | None = None

    @classmethod
    def open(cls, session: PhaseSession, kind: str) -> MigrationStep:
        """Build the ``kind`` migrator from the parameters (in the sandbox, from the running sandbox's services).

        Checkpoints go to :meth:`checkpoint_dir_for` (beside the session's run folder).
        """
        params = session.params
        sandbox_state = None
        if params.is_sandbox:
            sandbox_state = require_running(f"the {kind} migration")
        checkpoints = cls.checkpoint_dir_for(session, kind)
        migrator = get_migrator(kind).from_params(params, sandbox_state, checkpoint_dir=checkpoints)
        step = cls(session=session, kind=kind, migrator=migrator)
        step.claim_checkpoints()
        return step

    def claim_checkpoints(self) -> Any:
        """Checkpoints belong to this run: resume only this run's own (``runbook run --resume``, a re-run by hand).

        Another run's checkpoint (a finished rehearsal's) is moved aside, renamed with its run id, and the
        copy starts from the start; a checkpoint of this run made against another target is refused.
        Records the ``<kind>_checkpoint`` table (what was resumed or moved aside).
        """
        import pandas as pd

        claim = self.migrator.claim_checkpoints(self.session.ledger.run_id, resume="own-run")
        log.info("%s: %s", self.kind, claim.message())
        self.session.table(f"{self.kind}_checkpoint", pd.DataFrame([claim.to_row()]))
        return claim

    @staticmethod
    def checkpoint_dir_for(session: PhaseSession, kind: str) -> Path:
        """``<outputs>/.checkpoints/<env>/<kind>``, where ``<outputs>`` is the folder holding the session's run folder.

        The folder is shared by runs but belongs to one at a time (:meth:`claim_checkpoints`); dumps are
        not kept here (see :func:`runbook_lib.migrate.ownership.default_dump_dir`).

        ``$RUNBOOK_CHECKPOINT_DIR/<env>/<kind>`` instead when the operator set that variable (the papermill
        kernel inherits the runner's environment).

        Why the run folder's parent: it *is* the run's effective outputs folder — ``runbook run`` hands the
        kernel ``evidence_dir = <--outputs-dir or evidence.outputs_dir>/<run_id>``, and a notebook run by hand
        opens its run folder in ``evidence.outputs_dir``. Reading it from there needs no new papermill
        parameter (the notebooks' parameters cells stay as they are) and no variable exported into the
        kernels' environment (which could not be told apart from one the operator set), and
        ``runbook run --resume`` of the same run, being in the same outputs folder, finds the same checkpoints.
        ``runbook migrate`` uses ``evidence.outputs_dir`` resolved the same way, so with the default outputs
        folder the notebook and the CLI resume each other's copies.
        """
        return default_checkpoint_dir(session.params.env, kind, outputs_dir=session.ledger.run_dir.resolve().parent)

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

    def choose_path(self) -> Any:
        """Direct/native copy below ``migration.at_scale_threshold_bytes``, DataSync/DMS at or above it.

        Reads the source's size only (nothing moves); records the ``<kind>_path`` table.
        """
        import pandas as pd

        size = at_scale.estimate_size(self.migrator)
        decision = self.path_decision = at_scale.decide(self.kind, size, self.session.params)
        log.info("%s: %s path (%s)", self.kind, decision.path, decision.reason)
        frame = pd.DataFrame([decision.to_row()])
        self.session.table(f"{self.kind}_path", frame)
        return frame

    def copy(self, *, resume: bool = True) -> Any:
        """Copy source → target on the chosen path (resuming from the checkpoint by default); the source is only read.

        The direct path returns the ``<kind>_copy`` table; the at-scale path returns the
        ``<kind>_at_scale_runs`` table (and records ``<kind>_copy`` too).
        """
        import pandas as pd

        if self.path_decision is None:
            self.choose_path()
        decision = self.path_decision
        assert decision is not None
        if decision.at_scale:
            return self._copy_at_scale(decision)
        report = self.copy_report = self.migrator.copy(resume=resume)
        self._record_copy(report, decision.path)
        return pd.DataFrame([self._copy_row(report, decision.path)])

    def _copy_at_scale(self, decision: at_scale.PathDecision) -> Any:
        import time

        import pandas as pd

        params = self.session.params
        runs = self.at_scale_runs = []
        started = time.monotonic()
        progress = getattr(self.migrator, "progress", None)
        try:
            if decision.path == "datasync":
                at_scale.run_datasync(params, self.migrator, runs, clients=self.aws_clients, progress=progress,
                                      reason=decision.reason)
            elif decision.path == "msk-connect":  # MM2 connectors come from stack 03; read back, not created here
                connectors = msk_connect.configs_for(self.migrator, f"dmig-{params.env}")
                self.session.table(f"{self.kind}_mm2_connectors", pd.DataFrame(
                    [{"connector": n, **c} for n, c in connectors.items()]))
                msk_connect.run_msk_connect(connectors, params, runs, clients=self.aws_clients)
            else:
                at_scale.run_dms(params, self.kind, self.migrator, runs, clients=self.aws_clients,
                                 progress=progress, reason=decision.reason)
        finally:
            frame = pd.DataFrame([r.to_row() for r in runs], columns=at_scale.RUN_COLUMNS)
            if runs:  # nothing ran when the parameters or the path stopped it first
                self.session.table(f"{self.kind}_at_scale_runs", frame)
        report = self.copy_report = CopyReport(
            kind=self.kind,
            items_copied=sum(r.items for r in runs),
            bytes_copied=sum(r.bytes for r in runs),
            seconds=time.monotonic() - started,
            details=at_scale.copy_report_details(decision, runs),
        )
        self._record_copy(report, decision.path)
        return frame

    @staticmethod
    def _copy_row(report: CopyReport, path: str) -> dict[str, Any]:
        return {"kind": report.kind, "path": path, "copied": report.items_copied, "bytes": report.bytes_copied,
                "skipped (already verified)": report.items_skipped, "seconds": round(report.seconds, 1)}

    def _record_copy(self, report: CopyReport, path: str) -> None:
        import pandas as pd

        self.session.table(f"{self.kind}_copy", pd.DataFrame([self._copy_row(report, path)]))
        self._publish("copy", lambda env: migration_metrics.copy_metric_data(env, report))

    def _publish(self, what: str, data: Callable[[str], list[dict[str, Any]]]) -> None:
        """Put the step's metrics in CloudWatch (``Runbook/Migration``); a failure is recorded, never raised.

        Why not raised: the data moved and was proven either way; the metrics are for the charts and alarms.
        """
        import pandas as pd

        params = self.session.params
        row: dict[str, Any] = {"step": what, "namespace": migration_metrics.NAMESPACE, "kind": self.kind}
        try:
            cloudwatch = (self.aws_clients or (lambda name: aws_client(name, params.aws)))("cloudwatch")
            row["points"] = migration_metrics.publish(cloudwatch, data(params.env))
            row["error"] = ""
        except Exception as error:  # noqa: BLE001 - any failure: recorded in the table, the run goes on
            log.warning("%s %s metrics not published: %s", self.kind, what, error)
            row["points"], row["error"] = 0, f"{type(error).__name__}: {error}"
        self.session.table(f"{self.kind}_{what}_metrics", pd.DataFrame([row]))

    def verify(self) -> Any:
        """Compare target with source by content; raises after recording when anything differs."""
        import pandas as pd

        self.verify_report = self.migrator.verify()
        frame = self.verify_report.to_frame()
        self.session.table(f"{self.kind}_verification", frame)
        report = self.verify_report
        self._publish("verify", lambda env: migration_metrics.verify_metric_data(env, report))
        if self.verify_report.notes:  # what was not compared, and staged dumps deleted or kept
            self.session.table(f"{self.kind}_verification_notes",
                               pd.DataFrame({"note": list(self.verify_report.notes)}))
        if not self.verify_report.ok:
            raise verification_error(self.kind, self.verify_report)
        return frame
