"""What every platform DAG shares: start date, no catchup, one run at a time, retries (imported by the DAG files;
MWAA puts the dags/ folder on sys.path as the self-hosted scheduler does)."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG


def platform_dag(dag_id: str, schedule, tags: list[str], *, retries: int = 1, retry_minutes: int = 5) -> DAG:
    """A DAG with the platform's defaults; ``tags`` always include ``platform``."""
    return DAG(
        dag_id=dag_id,
        start_date=datetime(2024, 1, 1),
        schedule=schedule,
        catchup=False,
        max_active_runs=1,
        tags=["platform", *tags],
        default_args={"retries": retries, "retry_delay": timedelta(minutes=retry_minutes)},
    )
