"""The parity harness against the sandbox: moto's S3 and Glue API, the real PostgreSQL, pyspark 3.5 on Java 17.

The Glue jobs are registered here with ``CreateJob`` from the same definitions stack 04 gets (buckets filled
in as the stack fills them), so this tier needs no Terraform apply; notebook 04 runs the harness on the jobs
the stack created. One SparkSession serves the module (JVM start-up dominates on two cores).
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runbook_lib.clients import aws_client
from runbook_lib.errors import ParityFailedError, SparkJobError
from runbook_lib.workloads.glue_definitions import glue_job_definition
from runbook_lib.workloads.parity import ParityHarness, deployed_jobs_from_glue
from runbook_lib.workloads.parity_inputs import export_table_csv, stage_sample_events
from runbook_lib.workloads.scripts import script_objects, upload_scripts
from runbook_lib.workloads.spark_catalog import load_catalog
from runbook_lib.workloads.spark_session import local_spark

pytestmark = pytest.mark.integration

CURATE = "platform_jobs/curate_events.py"


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = local_spark("runbook-parity-tests")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def lake(sandbox: Any) -> dict[str, Any]:
    """Buckets like stack 02's and 04's, the sample events, and the PostgreSQL extract, in the sandbox's S3."""
    suffix = uuid.uuid4().hex[:8]
    s3 = aws_client("s3", endpoint_url=sandbox.url("aws"), region="eu-west-1")
    glue = aws_client("glue", endpoint_url=sandbox.url("aws"), region="eu-west-1")
    zones = {z: f"parity-{z}-{suffix}" for z in ("raw", "curated", "analytics", "scripts")}
    for bucket in zones.values():
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    catalog = load_catalog()
    upload_scripts(catalog, s3, zones["scripts"])
    stage_sample_events(s3, f"s3://{zones['raw']}/events/")
    rows = export_table_csv(sandbox.url("postgres-source", with_secret=True, dbname="platform"), "sales.customers", s3,
                            f"s3://{zones['scripts']}/extracts/postgres/platform/sales.customers/")
    names = {job.name: _create_job(glue, f"parity-{suffix}-{job.name}", glue_job_definition(job), zones)
             for job in catalog.jobs}
    return {"s3": s3, "glue": glue, "zones": zones, "catalog": catalog, "names": names, "customers": rows,
            "suffix": suffix}


def _create_job(glue: Any, name: str, definition: dict[str, Any], zones: dict[str, str],
                scripts_bucket: str | None = None) -> str:
    """CreateJob as stack 04 does it: zone placeholders to buckets, extra_py_files to --extra-py-files."""
    scripts = scripts_bucket or zones["scripts"]
    arguments = {k: v.format(**{**zones, "scripts": scripts}) for k, v in definition["default_arguments"].items()}
    arguments["--extra-py-files"] = ",".join(f"s3://{scripts}/{key}" for key in definition["extra_py_files"])
    glue.create_job(Name=name, Role="arn:aws:iam::123456789012:role/glue", GlueVersion=definition["glue_version"],
                    Command={"Name": "glueetl", "ScriptLocation": f"s3://{scripts}/{definition['script_key']}"},
                    DefaultArguments=arguments, WorkerType=definition["worker_type"],
                    NumberOfWorkers=definition["number_of_workers"])
    return name


def test_every_reference_job_is_green(lake: dict[str, Any], spark: Any, tmp_path: Path) -> None:
    assert lake["customers"] > 0  # the dimension came out of the real PostgreSQL
    harness = ParityHarness(lake["catalog"], s3=lake["s3"], spark=spark, work_dir=tmp_path)
    report = harness.run(deployed_jobs_from_glue(lake["glue"], lake["names"]))
    summary = report.summary()
    assert list(summary["job"]) == ["curate-events", "enrich-events", "daily-event-counts"]
    assert report.ok, summary.to_string()
    report.raise_if_failed()
    for job in report.jobs:
        assert job.table()["ok"].all() and job.mismatch_table().empty
        assert job.glue_version == "5.0"
        for output in job.outputs:
            assert output.rows_platform > 0 and output.partition_count == 3 and output.match_rate == 1.0
            assert output.schema_platform and output.schema_platform == output.schema_deployed
    curated = report.jobs[0]
    assert curated.outputs[0].rows_platform == 3 * 40  # duplicates and late copies collapsed to one per event_id
    assert curated.inputs[0].objects == 3 and curated.inputs[0].source.endswith("/events/")


def test_a_job_that_dropped_dedup_is_caught_with_its_keys(lake: dict[str, Any], spark: Any, tmp_path: Path) -> None:
    catalog, s3, zones = lake["catalog"], lake["s3"], lake["zones"]
    changed_bucket = f"parity-changed-{lake['suffix']}"
    s3.create_bucket(Bucket=changed_bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    source = (catalog.package_dir / "curate_events.py").read_text()
    no_dedup = source.replace('.where(F.col("_copy") == 1)', '.where(F.col("_copy") >= 1)')
    assert no_dedup != source
    objects = script_objects(catalog)
    buffer = io.BytesIO()
    original_zip = io.BytesIO(objects["jobs/platform_jobs.zip"])
    with zipfile.ZipFile(original_zip) as original, zipfile.ZipFile(buffer, "w") as out:
        for item in original.infolist():
            out.writestr(item, no_dedup if item.filename == CURATE else original.read(item))
    objects["jobs/platform_jobs.zip"] = buffer.getvalue()
    upload_scripts(catalog, s3, changed_bucket, objects=objects)
    job = catalog.job("curate-events")
    name = _create_job(lake["glue"], f"parity-{lake['suffix']}-changed", glue_job_definition(job), zones,
                       scripts_bucket=changed_bucket)

    harness = ParityHarness(catalog, s3=s3, spark=spark, work_dir=tmp_path)
    report = harness.run(deployed_jobs_from_glue(lake["glue"], {"curate-events": name}), only=["curate-events"])
    result = report.jobs[0]
    output = result.outputs[0]
    assert not result.ok
    assert output.rows_deployed > output.rows_platform == 120 and output.match_rate < 1.0
    mismatches = result.mismatch_table()
    assert set(mismatches["where"]) == {"only deployed"}
    assert "e-00-0000" in set(mismatches["key.event_id"])  # delivered twice: the ingestor's retry
    assert output.mismatch_count == output.rows_deployed - output.rows_platform
    table = result.table()
    assert not table.set_index("check").loc["row count", "ok"]
    with pytest.raises(ParityFailedError) as caught:
        report.raise_if_failed()
    assert "curate-events" in caught.value.one_line() and "rows 120 vs" in caught.value.one_line()


def test_missing_deployed_script_is_a_one_line_error(lake: dict[str, Any], spark: Any, tmp_path: Path) -> None:
    catalog = lake["catalog"]
    definition = glue_job_definition(catalog.job("curate-events"))
    definition["script_key"] = "jobs/not_uploaded.py"
    name = _create_job(lake["glue"], f"parity-{lake['suffix']}-missing", definition, lake["zones"])
    harness = ParityHarness(catalog, s3=lake["s3"], spark=spark, work_dir=tmp_path)
    with pytest.raises(SparkJobError) as caught:
        harness.run(deployed_jobs_from_glue(lake["glue"], {"curate-events": name}), only=["curate-events"])
    line = caught.value.one_line()
    assert "not_uploaded.py" in line and "cannot download" in line and "\n" not in line
    with pytest.raises(SparkJobError, match="cannot be read"):
        deployed_jobs_from_glue(lake["glue"], {"curate-events": "no-such-job"})
