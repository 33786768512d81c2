"""Airflow plugin of the platform: macros the DAGs' templates use (packed into plugins.zip for MWAA)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin


def partition_path(prefix: str, ds: str) -> str:
    """The lake's Hive-style daily partition path for a run date (``dt=YYYY-MM-DD``)."""
    return f"{prefix.rstrip('/')}/dt={ds}/"


class PlatformMacrosPlugin(AirflowPlugin):
    name = "platform_macros"
    macros = [partition_path]
