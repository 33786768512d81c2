"""Drain the ingestor's Kafka topic into the raw zone of the data lake, every 15 minutes.

Providers: apache-kafka (consume), amazon (S3 write). Connections: kafka_platform, aws_default.
On the self-hosted platform the lake is MinIO (aws_default points at it); on AWS it is S3 and MSK.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.apache.kafka.operators.consume import ConsumeFromTopicOperator
from platform_defaults import platform_dag


def write_batch(messages, raw_bucket: str, ts_nodash: str) -> None:
    """Write one consumed batch as JSON lines under raw/events/ (called by the consume operator)."""
    lines = [m.value().decode("utf-8") for m in messages if m.value()]
    if not lines:
        return
    S3Hook(aws_conn_id="aws_default").load_string(
        "\n".join(lines),
        key=f"events/batch={ts_nodash}/part-{len(lines):06d}.jsonl",
        bucket_name=raw_bucket,
        replace=True,
    )


with platform_dag("ingest_events_to_lake", timedelta(minutes=15), ["ingest"], retries=2, retry_minutes=2) as dag:
    ConsumeFromTopicOperator(
        task_id="consume_events",
        kafka_config_id="kafka_platform",
        topics=["ingest.events"],
        apply_function_batch=write_batch,
        apply_function_kwargs={"raw_bucket": "{{ var.value.raw_bucket }}", "ts_nodash": "{{ ts_nodash }}"},
        max_messages=10_000,
        max_batch_size=1_000,
        commit_cadence="end_of_batch",
    )

