"""Refresh the customer dimension in PostgreSQL that the curated-events join reads, every hour.

Providers: postgres (through common-sql's operator). Connection: platform_postgres. Variable: dimension_schema.
This is the DAG with a connection and a variable: both move to MWAA's secrets backend (Secrets Manager).
"""

from __future__ import annotations

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.postgres.hooks.postgres import PostgresHook  # noqa: F401 - the conn type this DAG needs
from platform_defaults import platform_dag

with platform_dag("refresh_customer_dimension", "@hourly", ["postgres"], retries=3) as dag:
    SQLExecuteQueryOperator(
        task_id="refresh_dimension",
        conn_id="platform_postgres",
        sql="REFRESH MATERIALIZED VIEW CONCURRENTLY {{ var.value.dimension_schema }}.customer_dim",
    )
    SQLExecuteQueryOperator(
        task_id="analyze_dimension",
        conn_id="platform_postgres",
        sql="ANALYZE {{ var.value.dimension_schema }}.customer_dim",
    )
