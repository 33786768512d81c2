"""What the phase-09 notebook calls: build the drill from the params, run it, record every table and the timeline.

The session is the phase session (``params``, ``ledger``, ``phase``, ``table``, ``chart``, ``gate``), passed in:
this package sits below ``phases``.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from runbook_lib.dr.documents import DocumentsDrill
from runbook_lib.dr.drill import Drill, DrillResult
from runbook_lib.dr.objects import S3Drill, replication_rows
from runbook_lib.dr.rds import RdsDrill, pg_target_from_params
from runbook_lib.errors import ParamsError

log = logging.getLogger("runbook_lib.dr.notebook")


def require_dr_params(params: Any) -> Any:
    if params.dr is None:
        raise ParamsError("dr", None, "a dr section with rpo_target_s and rto_target_s (seconds), e.g. "
                          "dr: {rpo_target_s: 10, rto_target_s: 120}")
    return params.dr


def build_drill(params: Any, *, drill_id: str | None = None) -> Drill:
    """The drill over the first PostgreSQL mapping, the S3 drill bucket and the first MongoDB mapping."""
    from runbook_lib.clients import aws_client, mongo_client
    from runbook_lib.params import resolve_secret

    dr = require_dr_params(params)
    drill_id = drill_id or secrets.token_hex(3)
    state = None
    if params.is_sandbox:
        from runbook_lib.sandbox import require_running

        state = require_running("the DR drill")
    rds_client = aws_client("rds", params.aws)
    rds = RdsDrill(rds_client, pg_target_from_params(params, state, rds_client), drill_id, params.is_sandbox)
    bucket = dr.s3_bucket or (params.migration.s3[0].target_bucket if params.migration.s3 else None)
    s3 = S3Drill(aws_client("s3", params.aws), bucket, drill_id, objects=dr.s3_objects) if bucket else None
    documents = None
    if params.migration.mongo:
        mapping = params.migration.mongo[0]
        resolver = (lambda name: state.url(name, with_secret=True)) if state is not None else None
        uri = resolve_secret(mapping.target_uri_ref, sandbox_resolver=resolver)
        documents = DocumentsDrill(mongo_client(uri), mapping.target_name or mapping.name, drill_id,
                                   docdb=aws_client("docdb", params.aws, max_attempts=1))
    return Drill(rds, dr, s3=s3, documents=documents)


@dataclass
class DrPhase:
    """Phase 09 in one object."""

    session: Any
    drill: Drill | None = None
    result: DrillResult | None = None

    @classmethod
    def open(cls, session: Any) -> DrPhase:
        return cls(session=session, drill=build_drill(session.params))

    def replication(self) -> Any:
        """Cross-region replication of every target bucket, read back (``dr.require_replication`` decides red)."""
        import pandas as pd

        from runbook_lib.clients import aws_client

        params = self.session.params
        dr = require_dr_params(params)
        buckets = sorted({m.target_bucket for m in params.migration.s3})
        frame = pd.DataFrame(replication_rows(aws_client("s3", params.aws), buckets, required=dr.require_replication),
                             columns=["bucket", "replication", "destinations", "cross_region", "ok"])
        return self.session.table("dr_replication", frame)

    def run(self) -> Any:
        """Run the drill; record timeline, verification, recovery points, cleanup; return the RPO/RTO summary."""
        import pandas as pd

        assert self.drill is not None
        self.result = result = self.drill.run()
        self.session.table("dr_timeline", pd.DataFrame(result.timeline, columns=["t_s", "at", "event", "detail"]))
        verification = pd.DataFrame(result.verification)
        for column in ("source_count", "target_count"):  # objects have no counts: keep the others integers
            if column in verification:
                verification[column] = verification[column].astype("Int64")
        self.session.table("dr_verification", verification)
        self.session.table("dr_recovery_points", pd.DataFrame(result.recovery_points))
        self.session.table("dr_cleanup", pd.DataFrame(
            [{"removed": item} for item in result.cleanup] + [{"left behind": item} for item in result.leftovers]))
        if result.notes:
            self.session.table("dr_notes", pd.DataFrame({"note": result.notes}))
        return self.session.table("dr_rpo_rto", result.summary_frame())

    def timeline_chart(self) -> Any:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        assert self.result is not None
        events = self.result.timeline
        figure, axes = plt.subplots(figsize=(8, 2.8))
        for index, event in enumerate(events):
            colour = "#cf222e" if event["event"] in ("DISASTER", "failed") else "#0969da"
            axes.axvline(event["t_s"], color=colour, alpha=0.5)
            axes.text(event["t_s"], (index % 4) + 0.2, event["event"], rotation=0, fontsize=7, color=colour)
        axes.set_ylim(0, 4.5)
        axes.set_yticks([])
        axes.set_xlabel("seconds from the start of the drill")
        rpo = "n/a" if self.result.rpo_s is None else f"{self.result.rpo_s:.1f}"
        rto = "n/a" if self.result.rto_s is None else f"{self.result.rto_s:.1f}"
        axes.set_title(f"DR drill {self.result.drill_id}: RPO {rpo} s "
                       f"(target {self.result.rpo_target_s:g}), RTO {rto} s (target {self.result.rto_target_s:g})")
        figure.tight_layout()
        self.session.chart("dr_timeline", figure)
        plt.close(figure)
        return figure

    def require_ok(self) -> None:
        """Record the verdict as a gate, then raise when the drill failed or missed a target."""
        assert self.result is not None
        result = self.result
        self.session.gate({"gate": "dr-drill", "approved": result.ok, "decided_by": "measurement",
                           "reason": f"RPO {result.rpo_s} s (target {result.rpo_target_s:g}), RTO {result.rto_s} s "
                                     f"(target {result.rto_target_s:g}), verified {result.verified}, "
                                     f"leftovers {len(result.leftovers)}"})
        result.require_ok()
