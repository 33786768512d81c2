"""The parity harness: each platform job run twice on the same input - as the platform runs it, and as deployed.

"Platform" run: the job module from the jobs folder, called as spark-submit would (``run(spark, args)``).
"Deployed" run: what Glue has - the job's ``ScriptLocation`` and ``--extra-py-files`` downloaded back from
the scripts bucket, run with the Glue job's ``DefaultArguments`` (read from the Glue API) through the
local stand-in of the Glue context (:mod:`runbook_lib.workloads.glue_local`, which lists what differs).
Both read the same staged input (:mod:`runbook_lib.workloads.parity_inputs`); a job that reads another
job's output gets the platform run's output of that job on both sides, so each job is judged alone.
One SparkSession serves the whole harness run. Outputs are compared by key
(:mod:`runbook_lib.workloads.parity_compare`).
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.errors import ParityFailedError, SparkJobError
from runbook_lib.workloads.glue_local import isolated_imports, run_glue_script
from runbook_lib.workloads.parity_compare import OutputParity, compare_output
from runbook_lib.workloads.parity_inputs import StagedInput, stage_from_s3
from runbook_lib.workloads.scripts import download_object
from runbook_lib.workloads.spark_catalog import PACKAGE, SparkCatalog, SparkJob

log = logging.getLogger("runbook_lib.workloads.parity")


@dataclass(frozen=True)
class DeployedJob:
    """A Glue job as the Glue API returns it: what will really run."""

    key: str
    glue_name: str
    script_location: str
    arguments: dict[str, str]
    glue_version: str | None = None

    @property
    def extra_py_files(self) -> list[str]:
        value = self.arguments.get("--extra-py-files", "")
        return [uri for uri in value.split(",") if uri]


def deployed_jobs_from_glue(glue: Any, job_names: Mapping[str, str]) -> dict[str, DeployedJob]:
    """``GetJob`` for each of stack 04's ``glue_job_names`` (key -> Glue name)."""
    jobs = {}
    for key, name in job_names.items():
        try:
            job = glue.get_job(JobName=name)["Job"]
        except Exception as error:  # noqa: BLE001 - EntityNotFoundException and transport errors, named below
            raise SparkJobError(key, f"Glue job {name} cannot be read ({type(error).__name__})",
                                hint="apply stack 04 first") from None
        jobs[key] = DeployedJob(key=key, glue_name=name, script_location=job["Command"]["ScriptLocation"],
                                arguments=dict(job.get("DefaultArguments") or {}), glue_version=job.get("GlueVersion"))
    return jobs


@dataclass(frozen=True)
class JobParity:
    """One job's verdict: its outputs' comparisons, its staged inputs, and how long each run took."""

    job: str
    glue_name: str
    glue_version: str | None
    outputs: tuple[OutputParity, ...]
    inputs: tuple[StagedInput, ...]
    seconds_platform: float
    seconds_deployed: float

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outputs)

    def why(self) -> str:
        return "; ".join(f"{o.argument}: {o.why()}" for o in self.outputs if not o.ok)

    def table(self) -> Any:
        """The job's parity table: one row per check and output, each green or red."""
        import pandas as pd

        rows = []
        for o in self.outputs:
            rows += [
                {"output": o.argument, "check": "row count", "platform": o.rows_platform,
                 "deployed": o.rows_deployed, "ok": o.rows_equal},
                {"output": o.argument, "check": "schema", "platform": _schema_text(o.schema_platform),
                 "deployed": _schema_text(o.schema_deployed), "ok": o.schema_equal},
                {"output": o.argument, "check": "partitions", "platform": f"{o.partition_count} total",
                 "deployed": f"+{len(o.partitions_only_deployed)} / -{len(o.partitions_only_platform)}",
                 "ok": o.partitions_equal},
                {"output": o.argument, "check": f"match rate by {', '.join(o.keys)}",
                 "platform": f"{o.matching_rows} matching", "deployed": f"{o.match_rate:.4f} (min {o.min_match_rate})",
                 "ok": o.match_rate_ok},
            ]
        return pd.DataFrame(rows)

    def mismatch_table(self) -> Any:
        """The keys that failed (at most 20 per output): which side has them, which columns differ."""
        import pandas as pd

        rows = [{"output": o.argument, "where": m.where, **{f"key.{k}": v for k, v in m.key.items()},
                 "columns": ", ".join(m.columns)} for o in self.outputs for m in o.mismatches]
        return pd.DataFrame(rows)


@dataclass
class ParityReport:
    """Every job's verdict in one harness run."""

    jobs: list[JobParity] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(j.ok for j in self.jobs)

    def summary(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{"job": j.job, "glue_job": j.glue_name, "glue_version": j.glue_version,
                              "rows": sum(o.rows_platform for o in j.outputs),
                              "match_rate": min((o.match_rate for o in j.outputs), default=1.0),
                              "mismatching_keys": sum(o.mismatch_count for o in j.outputs),
                              "seconds_platform": round(j.seconds_platform, 1),
                              "seconds_deployed": round(j.seconds_deployed, 1), "ok": j.ok, "why": j.why()}
                             for j in self.jobs])

    def raise_if_failed(self) -> None:
        failed = {j.job: j.why() for j in self.jobs if not j.ok}
        if failed:
            raise ParityFailedError(failed)


class ParityHarness:
    """Runs the catalog's jobs both ways on one Spark session and compares their outputs.

    Args:
        catalog: the jobs (their metadata and the platform's own code).
        s3: boto3 S3 client (inputs and the deployed scripts are read with it).
        spark: the one session of this harness run (:func:`runbook_lib.workloads.spark_session.local_spark`).
        work_dir: staged inputs, downloaded scripts and both runs' outputs go below it.
    """

    def __init__(self, catalog: SparkCatalog, *, s3: Any, spark: Any, work_dir: str | Path) -> None:
        self.catalog = catalog
        self.s3 = s3
        self.spark = spark
        self.work_dir = Path(work_dir)
        self._written: dict[str, Path] = {}  # deployed output URI -> the platform run's output folder

    def run(self, deployed: Mapping[str, DeployedJob], *, only: list[str] | None = None) -> ParityReport:
        report = ParityReport()
        for job in self.catalog.jobs:
            if only is not None and job.name not in only:
                continue
            if job.name not in deployed:
                raise SparkJobError(job.name, "no deployed Glue job for it",
                                    hint=f"deployed jobs: {', '.join(deployed) or '(none)'}; apply stack 04")
            report.jobs.append(self.run_job(job, deployed[job.name]))
        return report

    def run_job(self, job: SparkJob, deployed: DeployedJob) -> JobParity:
        base = self.work_dir / job.name
        staged, local = self._stage_inputs(job, deployed, base / "inputs")
        platform_out = {o.argument: base / "platform" / o.argument for o in job.outputs}
        deployed_out = {o.argument: base / "deployed" / o.argument for o in job.outputs}

        started = time.monotonic()
        platform_args = {**job.arguments, **{k: str(v) for k, v in local.items()},
                         **{k: str(v) for k, v in platform_out.items()}}
        with isolated_imports([self.catalog.root], PACKAGE):
            module = importlib.import_module(f"{PACKAGE}.{job.module}")
            module.run(self.spark, {name: platform_args[name] for name in module.ARGUMENTS})
        seconds_platform = time.monotonic() - started

        started = time.monotonic()
        script_dir = base / "script"
        script = download_object(self.s3, deployed.script_location, script_dir / Path(deployed.script_location).name)
        extra = [download_object(self.s3, uri, script_dir / Path(uri).name) for uri in deployed.extra_py_files]
        glue_args = dict(deployed.arguments)
        glue_args.update({f"--{k}": str(v) for k, v in local.items()})
        glue_args.update({f"--{k}": str(v) for k, v in deployed_out.items()})
        run_glue_script(self.spark, script, glue_args, job_name=deployed.glue_name, extra_py_files=extra)
        seconds_deployed = time.monotonic() - started

        outputs = tuple(compare_output(o, platform_out[o.argument], deployed_out[o.argument]) for o in job.outputs)
        for o in job.outputs:
            self._written[deployed.arguments.get(f"--{o.argument}", "")] = platform_out[o.argument]
        result = JobParity(job=job.name, glue_name=deployed.glue_name, glue_version=deployed.glue_version,
                           outputs=outputs, inputs=tuple(staged), seconds_platform=seconds_platform,
                           seconds_deployed=seconds_deployed)
        log.info("parity %s: %s", job.name, "ok" if result.ok else result.why())
        return result

    def _stage_inputs(self, job: SparkJob, deployed: DeployedJob,
                      target: Path) -> tuple[list[StagedInput], dict[str, Path]]:
        """Each input argument -> a local folder: an earlier job's platform output, or staged from its S3 URI."""
        staged, local = [], {}
        for item in job.inputs:
            uri = deployed.arguments.get(f"--{item.argument}")
            if not uri:
                raise SparkJobError(job.name, f"the Glue job {deployed.glue_name} has no --{item.argument}",
                                    key=f"arguments.{item.argument}", hint="regenerate stack 04's spark_jobs and apply")
            if uri in self._written:
                local[item.argument] = self._written[uri]
                continue
            result = stage_from_s3(self.s3, uri, target / item.argument, argument=item.argument)
            staged.append(result)
            local[item.argument] = result.local_dir
        return staged, local


def _schema_text(schema: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{name}:{kind}" for name, kind in schema) or "(no output)"
