"""The thin AWS Glue entrypoint of every platform job: the only file that imports ``awsglue``.

Glue runs this script (``script_location``) with the job's default arguments; ``--extra-py-files`` puts
``platform_jobs.zip`` on ``sys.path`` and ``--job_module`` names the job. The job itself is plain
PySpark (``platform_jobs/<job>.py``: ``ARGUMENTS`` and ``run(spark, args)``), so the same code runs under
spark-submit on the self-hosted platform, here on Glue, and in the runbook's parity harness.
"""

from __future__ import annotations

import importlib
import sys


def main(argv: list[str]) -> None:
    # Imported here, not at module level: awsglue exists only inside Glue (and the harness's stand-in).
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    base = getResolvedOptions(argv, ["JOB_NAME", "job_module"])
    job_module = importlib.import_module(f"platform_jobs.{base['job_module']}")
    args = getResolvedOptions(argv, ["JOB_NAME", *job_module.ARGUMENTS])

    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    job_module.run(glue_context.spark_session, {name: args[name] for name in job_module.ARGUMENTS})
    job.commit()


if __name__ == "__main__":
    main(sys.argv)
