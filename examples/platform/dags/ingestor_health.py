"""Probe the ingestor's health endpoint every 5 minutes; a failure pages through the alert topic.

Providers: http (sensor). Connection: ingestor_api (self-hosted: the FastAPI container; on AWS: API Gateway).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.http.sensors.http import HttpSensor
from platform_defaults import platform_dag

with platform_dag("ingestor_health", timedelta(minutes=5), ["health"], retries=0) as dag:
    HttpSensor(
        task_id="ingestor_healthy",
        http_conn_id="ingestor_api",
        endpoint="health",
        response_check=lambda response: response.json().get("status") == "ok",
        poke_interval=15,
        timeout=120,
        mode="reschedule",
    )
