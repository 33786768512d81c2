"""Run the platform's Spark jobs once a day: raw events -> curated Parquet, then the daily aggregate.

Providers: amazon (Glue job operator and sensor). Variables: curated_bucket, glue_job_prefix.
The jobs are the ones phase 4 deploys to Glue; self-hosted, the same DAG ran them through spark-submit.
"""

from __future__ import annotations

from airflow.providers.amazon.aws.operators.glue import GlueJobOperator
from platform_defaults import platform_dag

JOB_ARGS = {
    "--run_date": "{{ ds }}",
    "--curated_path": "s3://{{ var.value.curated_bucket }}/events/",
}


def glue_job(task_id: str, job: str) -> GlueJobOperator:
    """The platform's Glue job ``<glue_job_prefix>-<job>`` for the run's date; the task ends when the job does."""
    return GlueJobOperator(
        task_id=task_id,
        job_name="{{ var.value.glue_job_prefix }}-" + job,
        script_args=JOB_ARGS,
        aws_conn_id="aws_default",
        wait_for_completion=True,
    )


with platform_dag("curate_events_daily", "30 1 * * *", ["spark"], retries=1, retry_minutes=10) as dag:
    curate = glue_job("curate_events", "curate-events")
    aggregate = glue_job("daily_aggregate", "daily-aggregate")
    curate >> aggregate
