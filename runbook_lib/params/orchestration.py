"""The ``orchestration`` params section: what phase 5 moves — DAGs to MWAA, dashboards to Managed Grafana,
OpenMetadata ingestion configs — and the explicit maps it moves them through.

Why explicit maps: a datasource, a connection or a variable that nobody mapped must stop the phase with its
name, never be carried over pointing at the old platform.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from runbook_lib.params.formats import PositivePath, StrictModel
from runbook_lib.params.secret_refs import SecretRef


class AirflowConnectionParams(StrictModel):
    """One Airflow connection as MWAA should see it (target side), written to Secrets Manager.

    ``uri_ref`` gives login/password/host/port/schema from a DSN secret; ``extra_refs`` fills members of
    ``extra`` from secrets (a Kafka ``bootstrap.servers``); ``host`` and ``extra`` are plain, non-secret values.
    """

    conn_id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    conn_type: str = Field(pattern=r"^[a-z0-9_-]+$")
    uri_ref: SecretRef | None = None
    host: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)
    extra_refs: dict[str, SecretRef] = Field(default_factory=dict)


class AirflowParams(StrictModel):
    """The platform's Airflow and how its DAGs reach MWAA (stack 05 pins the Airflow version)."""

    dags_dir: PositivePath = Path("examples/platform/dags")
    plugins_dir: PositivePath = Path("examples/platform/airflow/plugins")
    requirements_in: PositivePath = Path("examples/platform/airflow/requirements.in")
    venv: PositivePath = Path(".venv-airflow")
    connections_prefix: str = "airflow/connections"
    variables_prefix: str = "airflow/variables"
    connections: list[AirflowConnectionParams] = Field(default_factory=list)
    variables: dict[str, str] = Field(default_factory=dict)
    dag_timeout_s: float = Field(default=300, gt=0, le=3600)


class DatasourceMapEntry(StrictModel):
    """One source datasource (by uid and type) and the Managed Grafana datasource that replaces it.

    ``query_translations`` maps a query of the source (e.g. LogQL) to the target's (CloudWatch Logs
    Insights) when the type changes: queries are not translated automatically.
    """

    source_uid: str
    source_type: str
    target_uid: str
    target_type: str
    target_name: str
    url: str | None = None
    url_output: str | None = Field(default=None, pattern=r"^[0-9]{2}_[a-z_]+\.[a-z0-9_]+$")
    json_data: dict[str, str] = Field(default_factory=dict)
    log_groups: list[str] = Field(default_factory=list)
    query_translations: dict[str, str] = Field(default_factory=dict)


class GrafanaParams(StrictModel):
    """The platform's dashboards, folders and alert rules, and the Managed Grafana they move to.

    ``url: shim`` means the local Grafana API shim (``sandbox_shims/grafana_api.py``) the caller starts.
    """

    dashboards_dir: PositivePath = Path("examples/platform/grafana/dashboards")
    folders_file: PositivePath = Path("examples/platform/grafana/folders.yaml")
    alert_rules_file: PositivePath = Path("examples/platform/grafana/provisioning/alerting/rules.yaml")
    url: str | None = None
    api_key_ref: SecretRef | None = None
    datasource_map: list[DatasourceMapEntry] = Field(default_factory=list)


class OpenMetadataParams(StrictModel):
    """The platform's OpenMetadata services and where the ingestion configs are validated."""

    services_file: PositivePath = Path("examples/platform/openmetadata/services.yaml")
    venv: PositivePath = Path(".venv-openmetadata")
    server_host_port: str = "http://openmetadata:8585/api"


class OrchestrationParams(StrictModel):
    """Phase 5's workloads: ``airflow``, ``grafana``, ``openmetadata``."""

    airflow: AirflowParams = Field(default_factory=AirflowParams)
    grafana: GrafanaParams = Field(default_factory=GrafanaParams)
    openmetadata: OpenMetadataParams = Field(default_factory=OpenMetadataParams)
