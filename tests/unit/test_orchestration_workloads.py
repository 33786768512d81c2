"""Phase 5 workloads, offline: the Grafana rewrite on the reference dashboards and the import into the local
API shim (sandbox_shims/grafana_api.py: no Grafana server installs here), DAG references and the handover plan,
Airflow connections/variables -> Secrets Manager and the MWAA bucket upload (moto in-process)."""

from __future__ import annotations

import json
import shutil

import pytest
from fakes import REPO

from runbook_lib.errors import OrchestrationError, UnmappedDatasourceError
from runbook_lib.params import load_params
from runbook_lib.workloads import airflow_dags, airflow_handover, airflow_secrets, grafana_import, mwaa_upload
from runbook_lib.workloads.grafana_rewrite import load_bundle, load_dashboard, rewrite_bundle

pytestmark = pytest.mark.unit
GRAFANA = REPO / "examples/platform/grafana"
DAGS = REPO / "examples/platform/dags"
SOURCE_UIDS = {"prometheus", "loki", "platform-postgres"}


@pytest.fixture(scope="module")
def params():
    return load_params("sandbox")


@pytest.fixture(scope="module")
def bundle():
    return load_bundle(GRAFANA / "dashboards", GRAFANA / "folders.yaml",
                       GRAFANA / "provisioning/alerting/rules.yaml")


def _uids(obj) -> set[str]:
    """Every datasource uid anywhere in a JSON value (``datasource.uid`` and ``datasourceUid``)."""
    found: set[str] = set()
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "datasource" and isinstance(value, dict) and "uid" in value:
                found.add(value["uid"])
            elif key == "datasourceUid":
                found.add(value)
            found |= _uids(value)
    elif isinstance(obj, list):
        for item in obj:
            found |= _uids(item)
    return found


def test_rewrite_reference_dashboards_maps_every_reference(bundle, params):
    entries = list(params.orchestration.grafana.datasource_map)
    new, rows = rewrite_bundle(bundle, entries)
    assert [d["uid"] for _, d in bundle.dashboards] == ["data-stores", "ingest-overview"]
    for _, dashboard in new.dashboards:
        assert _uids(dashboard) and not (_uids(dashboard) & SOURCE_UIDS), dashboard["uid"]
    assert _uids(new.rules) == {"amp", "cloudwatch-logs", "rds-postgres", "__expr__"}
    assert all(rule["isPaused"] for rule in new.rules) and not any(r["isPaused"] for r in bundle.rules)
    assert [f.uid for f in new.folders] == ["platform", "data-stores"]
    assert {(r.uid, r.folder_uid) for r in rows if r.kind == "dashboard"} == {
        ("data-stores", "data-stores"), ("ingest-overview", "platform")}
    logs = next(p for _, d in new.dashboards for p in d["panels"] if p["type"] == "logs")
    assert logs["targets"][0]["queryMode"] == "Logs" and "expr" not in logs["targets"][0]
    assert logs["targets"][0]["expression"].startswith("fields @timestamp")
    # the input is not changed
    assert _uids(bundle.dashboards[1][1]) == {"prometheus", "loki"}


def test_unmapped_datasource_is_refused_with_its_name(bundle, params):
    entries = [e for e in params.orchestration.grafana.datasource_map if e.source_uid != "loki"]
    with pytest.raises(UnmappedDatasourceError) as caught:
        rewrite_bundle(bundle, entries)
    assert "uid='loki'" in str(caught.value) and "ingest-overview" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_untranslated_query_on_type_change_is_refused(bundle, params):
    entries = [e.model_copy(update={"query_translations": {}}) if e.source_uid == "loki" else e
               for e in params.orchestration.grafana.datasource_map]
    with pytest.raises(OrchestrationError, match="has no translation to cloudwatch"):
        rewrite_bundle(bundle, entries)


def test_not_json_dashboard_is_a_one_line_error(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{ not json")
    with pytest.raises(OrchestrationError) as caught:
        load_dashboard(bad)
    assert str(bad) in str(caught.value) and "not JSON" in str(caught.value) and "\n" not in str(caught.value)


def test_import_into_shim_reads_back_equal_and_is_idempotent(bundle, params):
    from sandbox_shims.grafana_api import GrafanaShim

    entries = list(params.orchestration.grafana.datasource_map)
    new, _ = rewrite_bundle(bundle, entries)
    datasources = grafana_import.datasource_payloads(entries, {"02_data_stores.postgres_address": "db.internal"})
    with GrafanaShim("t0ken") as shim:
        api = grafana_import.grafana_api(shim.url, "t0ken")
        first = grafana_import.import_bundle(api, new, datasources)
        assert {r.action for r in first} == {"created"} and all(r.read_back_equal for r in first)
        assert len(first) == 2 + 3 + 2 + 3
        assert all(r.paused for r in first if r.kind == "alert rule")
        stored = shim.store.dashboards["ingest-overview"]
        assert {k: v for k, v in stored["dashboard"].items() if k not in ("id", "version")} == new.dashboards[1][1]
        assert stored["meta"]["folderUid"] == "platform"
        writes = shim.store.writes
        second = grafana_import.import_bundle(api, new, datasources)
        assert {r.action for r in second} == {"unchanged"} and shim.store.writes == writes
        changed = json.loads(json.dumps(new.dashboards[1][1]))
        changed["title"] = "Ingest overview (AWS)"
        new.dashboards[1] = ("platform", changed)
        third = grafana_import.import_bundle(api, new, datasources)
        assert [r.uid for r in third if r.action == "updated"] == ["ingest-overview"]
        assert shim.store.dashboards["ingest-overview"]["dashboard"]["version"] == 2
    with GrafanaShim("right") as shim, pytest.raises(Exception, match="401|Unauthorized"):
        grafana_import.import_bundle(grafana_import.grafana_api(shim.url, "wrong"), new, datasources)


def test_missing_dag_folder_is_a_one_line_error(tmp_path):
    with pytest.raises(OrchestrationError) as caught:
        airflow_dags.dag_files(tmp_path / "dagz")
    assert "dagz: DAG folder does not exist" in str(caught.value) and "\n" not in str(caught.value)


def test_dag_references_and_unmapped_connection(params, tmp_path):
    refs = airflow_dags.dag_references(DAGS)
    assert refs.connections == {"platform_postgres", "kafka_platform", "ingestor_api", "aws_default"}
    assert refs.variables == {"raw_bucket", "curated_bucket", "glue_job_prefix", "dimension_schema"}
    assert "apache-airflow-providers-apache-kafka" in refs.providers
    airflow_secrets.check_mapped(refs.connections, refs.variables, params.orchestration.airflow)
    with pytest.raises(OrchestrationError, match="connection warehouse, variable missing_var"):
        airflow_secrets.check_mapped(refs.connections | {"warehouse"}, refs.variables | {"missing_var"},
                                     params.orchestration.airflow)


def test_handover_pauses_source_before_unpausing_mwaa():
    steps = airflow_handover.handover_plan(["b_dag", "a_dag"], "dmig-airflow")
    assert [s.dag_id for s in steps][:5] == ["a_dag"] * 5
    for dag in ("a_dag", "b_dag"):
        mine = [s for s in steps if s.dag_id == dag]
        pause = next(i for i, s in enumerate(mine) if (s.side, s.action) == ("source", "pause"))
        unpause = next(i for i, s in enumerate(mine) if (s.side, s.action) == ("mwaa", "unpause"))
        assert pause < unpause and "invoke_rest_api" in mine[unpause].call
    swapped = [s for s in steps if not (s.dag_id == "b_dag" and s.action == "pause")]
    with pytest.raises(OrchestrationError, match="b_dag: unpaused on MWAA before"):
        airflow_handover.check_order(swapped)


def test_secrets_written_without_values_and_upload_read_back(params, tmp_path):
    import boto3
    from moto import mock_aws

    from runbook_lib import redact

    airflow = params.orchestration.airflow
    secret = "pa$$-w0rd-orch"
    urls = {"postgres-target": f"postgresql://app:{secret}@10.0.0.5:5432/platform",
            "kafka-target": "kafka://b-1.msk:9098"}
    with mock_aws():
        sm = boto3.client("secretsmanager", region_name="eu-west-1")
        writes = airflow_secrets.write_secrets(airflow, sm, sandbox_resolver=urls.__getitem__)
        assert {w.secret_name for w in writes} >= {"airflow/connections/platform_postgres",
                                                     "airflow/variables/curated_bucket"}
        assert {w.action for w in writes} == {"created"}
        stored = json.loads(sm.get_secret_value(SecretId="airflow/connections/platform_postgres")["SecretString"])
        assert stored == {"conn_type": "postgres", "host": "10.0.0.5", "port": 5432, "login": "app",
                          "password": secret, "schema": "platform"}
        kafka = json.loads(sm.get_secret_value(SecretId="airflow/connections/kafka_platform")["SecretString"])
        assert kafka["extra"] == {"bootstrap.servers": "b-1.msk:9098", "group.id": "airflow-ingest"}
        frame = airflow_secrets.writes_frame(writes)
        assert secret not in frame.to_csv() and "10.0.0.5" not in frame.to_csv()
        assert redact.redact_text(f"x {secret} y") != f"x {secret} y"
        again = airflow_secrets.write_secrets(airflow, sm, sandbox_resolver=urls.__getitem__)
        assert {w.action for w in again} == {"unchanged"}

        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(Bucket="airflow-dmig-dags", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        dags = tmp_path / "dags"
        shutil.copytree(DAGS, dags)
        (tmp_path / "requirements.txt").write_text("--constraint x\n")
        (tmp_path / "plugins.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
        files = mwaa_upload.artifacts(airflow_dags.dag_files(dags), dags, tmp_path / "requirements.txt",
                                      tmp_path / "plugins.zip")
        first = mwaa_upload.upload_and_read_back(s3, "airflow-dmig-dags", files)
        assert [o.key for o in first][-2:] == ["requirements.txt", "plugins.zip"]
        assert "dags/curate_events_daily.py" in [o.key for o in first]
        assert all(o.ok and o.action == "uploaded" for o in first)
        second = mwaa_upload.upload_and_read_back(s3, "airflow-dmig-dags", files)
        assert all(o.ok and o.action == "unchanged" for o in second)
        with pytest.raises(OrchestrationError, match="no MWAA bucket"):
            mwaa_upload.upload_and_read_back(s3, None, files)
