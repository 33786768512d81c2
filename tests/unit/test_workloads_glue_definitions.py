"""Glue job definitions and EMR steps come from the jobs' metadata; the committed tfvars file is current."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from runbook_lib.errors import SparkJobError
from runbook_lib.workloads.glue_definitions import (
    ENTRYPOINT_KEY,
    PACKAGE_ZIP_KEY,
    glue_job_definition,
    render_tfvars,
    tfvars_path,
    write_glue_tfvars,
)
from runbook_lib.workloads.scripts import package_zip
from runbook_lib.workloads.spark_catalog import default_jobs_dir, load_catalog

pytestmark = pytest.mark.unit


def test_committed_stack_04_tfvars_match_the_jobs_metadata() -> None:
    assert tfvars_path().read_text() == render_tfvars(load_catalog()), (
        "stale spark_jobs.auto.tfvars.json: run write_glue_tfvars(load_catalog()) (notebook 04 does)")


def test_definition_carries_metadata_sizing_bookmarks_and_arguments() -> None:
    catalog = load_catalog()
    assert [j.name for j in catalog.jobs] == ["curate-events", "enrich-events", "daily-event-counts"]  # producers first
    job = catalog.job("daily-event-counts")
    definition = glue_job_definition(job)
    assert definition["glue_version"] == "5.0" and definition["worker_type"] == "G.1X"
    assert definition["number_of_workers"] == 2 and job.glue.dpus == 2.0
    assert definition["script_key"] == ENTRYPOINT_KEY and definition["extra_py_files"] == [PACKAGE_ZIP_KEY]
    args = definition["default_arguments"]
    assert args["--job_module"] == "daily_event_counts"
    assert args["--job-bookmark-option"] == "job-bookmark-disable"
    assert args["--target_path"] == "s3://{analytics}/daily_event_counts/"
    assert job.outputs[0].tolerance == {"mean_value": 1e-9}


def test_changed_metadata_changes_the_generated_file(tmp_path: Path) -> None:
    root = tmp_path / "jobs"
    shutil.copytree(default_jobs_dir(), root)
    target = tmp_path / "out.auto.tfvars.json"
    first = write_glue_tfvars(load_catalog(root), target)
    assert first.changed and not write_glue_tfvars(load_catalog(root), target).changed
    meta = root / "platform_jobs" / "curate_events.yaml"
    meta.write_text(meta.read_text().replace("number_of_workers: 2", "number_of_workers: 6"))
    assert write_glue_tfvars(load_catalog(root), target).changed
    document = json.loads(target.read_text())
    assert document["spark_jobs"]["curate-events"]["number_of_workers"] == 6
    step = next(s for s in document["emr_spark_steps"] if s["name"] == "curate-events")
    assert step["args"][:2] == ["spark-submit", "--deploy-mode"] and "s3://{raw}/events/" in step["args"]


def test_package_zip_is_reproducible() -> None:
    package = default_jobs_dir() / "platform_jobs"
    assert package_zip(package) == package_zip(package)


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "jobs"
    shutil.copytree(default_jobs_dir(), root)
    return root


def test_missing_job_script_is_a_one_line_error(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "platform_jobs" / "enrich_events.py").unlink()
    with pytest.raises(SparkJobError) as caught:
        load_catalog(root)
    line = caught.value.one_line()
    assert "enrich-events" in line and "enrich_events.py is missing" in line and caught.value.key == "module"


@pytest.mark.parametrize(("old", "new", "key"), [
    ('version: "5.0"', 'version: "2.0"', "glue.version"),
    ("worker_type: G.1X", "worker_type: G.9X", "glue.worker_type"),
    ("s3://{raw}/events/", "s3://{lake}/events/", "arguments.source_path"),
    ("keys: [event_id]", "keys: []", "outputs.keys"),
])
def test_bad_metadata_names_the_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    root = _copy(tmp_path)
    meta = root / "platform_jobs" / "curate_events.yaml"
    meta.write_text(meta.read_text().replace(old, new, 1))
    with pytest.raises(SparkJobError) as caught:
        load_catalog(root)
    assert caught.value.key == key


@pytest.mark.parametrize("zone", ["raw", "curated", "analytics"])
def test_an_extract_staged_into_a_migrated_zone_is_refused(tmp_path: Path, zone: str) -> None:
    """The cutover verifies the zones against the source again: an extract there would be an extra object."""
    root = _copy(tmp_path)
    meta = root / "platform_jobs" / "enrich_events.yaml"
    meta.write_text(meta.read_text().replace("s3://{scripts}/extracts/", f"s3://{{{zone}}}/extracts/", 1))
    with pytest.raises(SparkJobError) as caught:
        load_catalog(root)
    assert caught.value.key == "arguments.dimension_path" and "{scripts}" in caught.value.one_line()


def test_reference_extracts_are_staged_in_the_scripts_bucket() -> None:
    job = load_catalog().job("enrich-events")
    assert job.arguments["dimension_path"].startswith("s3://{scripts}/extracts/")
    assert job.argument_zone("dimension_path") is None and job.argument_zone("source_path") == "curated"
