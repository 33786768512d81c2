"""Notebook 04's Spark steps in three calls: definitions before the plan; upload and parity after apply.

Why a coordinator: the notebook stays thin (no clients, no paths), and each step records its table in
the phase's evidence. It takes the phase session by duck type (``params``, ``table``), since phases sit
above this package.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.clients import aws_client
from runbook_lib.errors import SparkJobError
from runbook_lib.workloads.glue_definitions import TfvarsWrite, definitions_table, write_glue_tfvars
from runbook_lib.workloads.parity import ParityHarness, ParityReport, deployed_jobs_from_glue
from runbook_lib.workloads.parity_inputs import export_table_csv, stage_sample_events
from runbook_lib.workloads.scripts import upload_scripts
from runbook_lib.workloads.spark_catalog import SparkCatalog, load_catalog

log = logging.getLogger("runbook_lib.workloads.spark_step")


@dataclass
class SparkJobsStep:
    """The platform's Spark jobs in one phase run."""

    session: Any
    catalog: SparkCatalog
    outputs: dict[str, Any] = field(default_factory=dict)  # stack 04's outputs, name -> value
    report: ParityReport | None = None

    @classmethod
    def open(cls, session: Any, jobs_dir: str | Path | None = None) -> SparkJobsStep:
        return cls(session=session, catalog=load_catalog(jobs_dir))

    def definitions(self) -> Any:
        """Write stack 04's ``spark_jobs.auto.tfvars.json`` from the metadata (before the plan); the table of jobs."""
        import pandas as pd

        written: TfvarsWrite = write_glue_tfvars(self.catalog)
        log.info("%s %s", written.path, "rewritten" if written.changed else "unchanged")
        frame = pd.DataFrame(definitions_table(self.catalog))
        return self.session.table("spark_glue_definitions", frame)

    def use_outputs(self, outputs: dict[str, Any]) -> None:
        """Stack 04's outputs after apply (``StackPhase.outputs``: values or objects with ``.value``)."""
        self.outputs = {k: getattr(v, "value", v) for k, v in outputs.items()}

    def _s3(self) -> Any:
        return aws_client("s3", self.session.params.aws)

    def upload(self) -> Any:
        """Upload the entrypoint, the job package and each module to the scripts bucket; read each back."""
        import pandas as pd

        bucket = self.outputs.get("glue_scripts_bucket_name")
        if not bucket:
            raise SparkJobError("04_processing", "no glue_scripts_bucket_name output",
                                hint="apply stack 04 with enable_glue")
        rows = upload_scripts(self.catalog, self._s3(), bucket)
        frame = pd.DataFrame([{"key": r.key, "bytes": r.size, "sha256": r.sha256[:16],
                               "read_back": "equal" if r.ok else "DIFFERS"} for r in rows])
        return self.session.table("spark_scripts_uploaded", frame)

    def stage_inputs(self, *, sample_events: bool = False) -> Any:
        """Export each PostgreSQL extract the jobs read to its S3 path; optionally a sample of raw events.

        ``sample_events`` writes :func:`~runbook_lib.workloads.parity_inputs.sample_events` under the first
        job's JSON input (use it where the raw zone has no migrated events yet).
        """
        import pandas as pd

        from runbook_lib.migrate.postgres.dsns import resolve_dsns

        s3, deployed = self._s3(), self._deployed()
        rows = []
        for job in self.catalog.jobs:
            for item in job.inputs:
                uri = deployed[job.name].arguments.get(f"--{item.argument}", "")
                if item.extract:
                    mapping = self._pg_mapping(item.extract["database"])
                    dsn, _ = resolve_dsns(self.session.params, _sandbox_state(self.session.params), mapping, None)
                    count = export_table_csv(dsn, item.extract["table"], s3, uri, database=mapping.name)
                    what = f"extract of {item.extract['database']}.{item.extract['table']}"
                    rows.append({"job": job.name, "input": item.argument, "to": uri, "what": what, "items": count})
                elif sample_events and item.format == "json":
                    count = stage_sample_events(s3, uri)
                    rows.append({"job": job.name, "input": item.argument, "to": uri, "what": "sample events",
                                 "items": count})
        return self.session.table("spark_parity_inputs", pd.DataFrame(rows))

    def parity(self, *, work_dir: str | Path | None = None) -> Any:
        """Run every job both ways on one Spark session; record the summary and one table per job."""
        from runbook_lib.workloads.spark_session import local_spark

        spark = local_spark()
        folder = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="runbook-parity-"))
        harness = ParityHarness(self.catalog, s3=self._s3(), spark=spark, work_dir=folder)
        self.report = harness.run(self._deployed())
        for job in self.report.jobs:
            self.session.table(f"spark_parity_{job.job}", job.table())
            if not job.ok:
                self.session.table(f"spark_parity_{job.job}_mismatching_keys", job.mismatch_table())
        return self.session.table("spark_parity", self.report.summary())

    def parity_tables(self) -> Any:
        """Every job's parity table, one under the other with a ``job`` column (after :meth:`parity`)."""
        import pandas as pd

        if self.report is None:
            raise SparkJobError("parity", "parity has not run", hint="run parity() first")
        return pd.concat([j.table().assign(job=j.job).set_index(["job", "output", "check"]) for j in self.report.jobs])

    def gate(self) -> None:
        """Raise when any job is red (the tables are already in the evidence)."""
        if self.report is None:
            raise SparkJobError("parity", "parity has not run", hint="run parity() first")
        self.report.raise_if_failed()

    def _deployed(self) -> dict[str, Any]:
        names = self.outputs.get("glue_job_names") or {}
        glue = aws_client("glue", self.session.params.aws)
        ours = {j.name for j in self.catalog.jobs}
        return deployed_jobs_from_glue(glue, {k: v for k, v in names.items() if k in ours})

    def _pg_mapping(self, database: str) -> Any:
        for mapping in self.session.params.migration.postgres:
            if mapping.name == database:
                return mapping
        raise SparkJobError(database, "no migration.postgres entry for the extract's database",
                            key="migration.postgres",
                            hint=f"add migration.postgres[name={database}] to the params")


def _sandbox_state(params: Any) -> Any | None:
    if not getattr(params, "is_sandbox", False):
        return None
    from runbook_lib.sandbox import load_state

    return load_state()
