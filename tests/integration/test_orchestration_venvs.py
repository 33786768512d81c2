"""Phase 5 checks that run in the heavy virtualenvs `make` builds (kept few: each is a subprocess).

- .venv-airflow (MWAA's Airflow as stack 05 pins it): the reference DAGs fill a DagBag; a DAG with an import
  error is reported with its file and line; requirements.txt resolves offline against the pinned Airflow.
- .venv-openmetadata (openmetadata-ingestion's own models): the generated Glue/S3/MSK configs validate, a
  broken one does not.
No sandbox is needed; a missing venv fails (never skipped) with the make target that builds it.
"""

from __future__ import annotations

import json
import shutil
import time

import pytest
from fakes import REPO

from runbook_lib.workloads import airflow_dags, airflow_package, openmetadata_configs
from runbook_lib.workloads.airflow_env import airflow_venv, mwaa_pins

pytestmark = pytest.mark.integration
DAGS = REPO / "examples/platform/dags"


def test_dagbag_reports_import_error_with_file_and_line(tmp_path):
    venv = airflow_venv(".venv-airflow")
    assert venv.require(mwaa_pins()) == "2.10.3"
    folder = tmp_path / "dags"
    shutil.copytree(DAGS, folder)
    (folder / "broken_dag.py").write_text(
        "from airflow import DAG\n"
        "from airflow.providers.amazon.aws.operators.glue import GlueJobOperator\n"
        "from airflow.operators.does_not_exist import Nothing  # line 3: the import error\n"
    )
    started = time.monotonic()
    result = airflow_dags.validate_dags(folder, venv)
    print(f"DagBag subprocess: {time.monotonic() - started:.1f} s for {len(result.files)} files")
    assert result.airflow_version == "2.10.3" and not result.ok
    by_file = {f.file: f for f in result.files}
    assert set(by_file) == {p.name for p in DAGS.glob("*.py")} | {"broken_dag.py"}
    broken = by_file["broken_dag.py"]
    assert (broken.ok, broken.line) == (False, 3) and "does_not_exist" in broken.error
    assert all(f.ok for f in by_file.values() if f.file != "broken_dag.py")
    assert all(f.dag_ids for name, f in by_file.items() if name not in ("broken_dag.py", "platform_defaults.py"))
    assert by_file["platform_defaults.py"].dag_ids == ()  # a helper module the DAGs import from the dags folder
    assert by_file["curate_events_daily.py"].dag_ids == ("curate_events_daily",)


def test_requirements_resolve_offline_against_pinned_airflow(tmp_path):
    pins = mwaa_pins()
    refs = airflow_dags.dag_references(DAGS)
    started = time.monotonic()
    reqs = airflow_package.build_requirements(REPO / "examples/platform/airflow/requirements.in", refs.providers,
                                              airflow_venv(".venv-airflow"), pins, tmp_path)
    print(f"pip --dry-run resolution: {time.monotonic() - started:.1f} s")
    lines = reqs.path.read_text().splitlines()
    assert lines[0] == ('--constraint "https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/'
                        'constraints-3.11.txt"')
    assert "apache-airflow-providers-amazon==9.0.0" in lines and reqs.would_install == ()
    conflicting = tmp_path / "conflict.txt"
    conflicting.write_text('--constraint "x"\napache-airflow-providers-amazon==9.0.0\napache-airflow==2.9.3\n')
    with pytest.raises(Exception, match="does not resolve against Airflow 2.10.3"):
        airflow_package.resolve_offline(conflicting, airflow_venv(".venv-airflow"), pins, tmp_path)
    plugins = airflow_package.build_plugins_zip(REPO / "examples/platform/airflow/plugins", tmp_path / "a")
    again = airflow_package.build_plugins_zip(REPO / "examples/platform/airflow/plugins", tmp_path / "b")
    assert plugins.members == ("platform_macros.py",) and plugins.sha256 == again.sha256


def test_openmetadata_configs_validate_and_a_broken_one_fails(tmp_path):
    outputs = {
        "04_processing.glue_database_name": "dmig_sandbox_curated",
        "02_data_stores.data_lake_bucket_names": {"raw": "dmig-sandbox-raw-1", "curated": "dmig-sandbox-curated-1"},
        "03_streaming_ingestion.msk_bootstrap_brokers_sasl_iam": "b-1.msk.example:9098,b-2.msk.example:9098",
    }
    configs = openmetadata_configs.build_configs(
        REPO / "examples/platform/openmetadata/services.yaml", outputs, region="eu-west-1",
        endpoint_url="http://127.0.0.1:5000", server="http://openmetadata:8585/api", out_dir=tmp_path)
    assert [c.target for c in configs] == ["glue", "s3", "msk"]
    # The sandbox switches MSK off: its stand-in broker (kafka-target, plaintext) is named instead, and says so.
    sandbox_outputs = {k: v for k, v in outputs.items() if not k.startswith("03_")}
    stand_in = openmetadata_configs.build_configs(
        REPO / "examples/platform/openmetadata/services.yaml", sandbox_outputs, region="eu-west-1",
        endpoint_url="http://127.0.0.1:5000", server="http://openmetadata:8585/api", out_dir=tmp_path / "sbx",
        sandbox_kafka="127.0.0.1:19092")
    assert "stands in for MSK" in stand_in[2].built_from
    kafka = json.loads(stand_in[2].path.read_text())["source"]["serviceConnection"]["config"]
    assert (kafka["bootstrapServers"], kafka["securityProtocol"]) == ("127.0.0.1:19092", "PLAINTEXT")
    broken = tmp_path / "broken.json"
    document = json.loads(configs[2].path.read_text())
    document["source"]["serviceConnection"]["config"]["securityProtocol"] = "CARRIER_PIGEON"
    broken.write_text(json.dumps(document))
    started = time.monotonic()
    checks = openmetadata_configs.validate_configs(
        [c.path for c in configs] + [broken, stand_in[2].path], REPO / ".venv-openmetadata")
    print(f"openmetadata-ingestion validation: {time.monotonic() - started:.1f} s")
    assert [c.ok for c in checks] == [True, True, True, False, True]
    assert checks[0].validated_with.startswith("openmetadata-ingestion 1.6.1")
    assert any("securityProtocol" in e for e in checks[3].errors)
    with pytest.raises(Exception, match="missing"):
        openmetadata_configs.build_configs(REPO / "examples/platform/openmetadata/services.yaml", {},
                                           region="eu-west-1", endpoint_url=None, server="x", out_dir=tmp_path)
