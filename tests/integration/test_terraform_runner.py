"""TerraformRunner with the real terraform and AWS provider against a moto_server started here.

Covers: a normal reviewed apply, a refused destructive plan (bucket rename),
a stale plan (re-plan after review), drift after an out-of-band tag change, and
a state-lock conflict on a real S3 backend with a DynamoDB lock table.
The AWS stand-in is the session sandbox's moto server.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import FIXTURES_DIR

from runbook_lib.clients import aws_client
from runbook_lib.errors import DestructiveChangeError, PlanError, StalePlanError, StateLockError
from runbook_lib.params import RunbookParams
from runbook_lib.terraform.approval import DecisionLog, headless_gate
from runbook_lib.terraform.backend import backend_config_from_params
from runbook_lib.terraform.cli_config import render_cli_config
from runbook_lib.terraform.runner import TerraformRunner
from runbook_lib.tools import find_provider_mirror

pytestmark = pytest.mark.integration

STACKS = FIXTURES_DIR / "tf_stacks"
REGION = "eu-west-1"
EVERYTHING = ["no-op", "create", "read", "update", "delete", "replace"]


@pytest.fixture(scope="module", autouse=True)
def own_redactor() -> Iterator[object]:
    """A fresh process-wide redactor for this module: secrets registered here must not mask other tests."""
    from runbook_lib import redact

    with pytest.MonkeyPatch.context() as patch:
        fresh = redact.Redactor()
        patch.setattr(redact, "_DEFAULT", fresh)
        yield fresh


@pytest.fixture(scope="module")
def moto_endpoint(aws_endpoint: str) -> str:
    """The sandbox's AWS stand-in (tests use their own bucket names)."""
    return aws_endpoint


@pytest.fixture(scope="module")
def tf_env(tmp_path_factory) -> dict[str, str]:
    """A Terraform CLI config that takes the AWS provider from the local mirror (found, not hard-coded)."""
    config = tmp_path_factory.mktemp("tfcli") / "cli.tfrc"
    config.write_text(render_cli_config(find_provider_mirror()))
    return {"TF_CLI_CONFIG_FILE": str(config)}


def _stack(tmp: Path, name: str) -> Path:
    target = tmp / name
    shutil.copytree(STACKS / name, target)
    return target


def _runner(stack: Path, tf_env: dict[str, str], endpoint: str | None, bucket: str, **kwargs) -> TerraformRunner:
    var_file = stack.parent / f"{bucket}.tfvars.json"
    var_file.write_text(json.dumps({"bucket_name": bucket}))
    return TerraformRunner(
        stack,
        env=tf_env,
        var_files=[var_file],
        endpoint_url=endpoint,
        region=REGION,
        data_dir=stack / ".terraform",
        plan_timeout_s=600,
        apply_timeout_s=600,
        **kwargs,
    )


def _approve(review):
    return headless_gate(review, EVERYTHING, "integration-test", decisions=DecisionLog())


@pytest.fixture(scope="module")
def applied(tmp_path_factory, moto_endpoint, tf_env):
    """The versioned-bucket stack, planned, approved and applied once for the module."""
    stack = _stack(tmp_path_factory.mktemp("s3"), "s3_versioned")
    bucket = f"runbook-it-{uuid.uuid4().hex[:10]}"
    runner = _runner(stack, tf_env, moto_endpoint, bucket)
    runner.init()
    review = runner.plan()
    result = runner.apply(review, gate=_approve(review), progress=False)
    return runner, review, result, bucket


def _s3(endpoint: str):
    return aws_client("s3", endpoint_url=endpoint, region=REGION)


def test_reviewed_plan_is_applied(applied, moto_endpoint):
    runner, review, result, bucket = applied
    assert review.plan.counts()["create"] == 2
    # The plan was made through the endpoint override (it applied against moto), which exists only while a
    # sandbox command runs: no other environment's command in this directory can read it.
    assert not (runner.stack_dir / "_sandbox_override.tf").exists()
    assert result.ok
    assert {(s.address, s.status) for s in result.resources} == {
        ("aws_s3_bucket.this", "complete"),
        ("aws_s3_bucket_versioning.this", "complete"),
    }
    assert result.change_summary["add"] == 2
    assert _s3(moto_endpoint).get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    outputs = runner.outputs()
    assert outputs["bucket_arn"].value == f"arn:aws:s3:::{bucket}"
    assert not outputs["bucket_arn"].sensitive


def test_renaming_the_bucket_is_refused(applied, moto_endpoint, tf_env):
    runner, _, _, bucket = applied
    renamed = f"{bucket}-renamed"
    rename = _runner(runner.stack_dir, tf_env, moto_endpoint, renamed)
    review = rename.plan(runner.stack_dir / ".terraform" / "rename.tfplan")
    assert review.plan.resource_changes["aws_s3_bucket.this"].action == "replace"
    # the versioning resource is replaced with its bucket; deleting it suspends versioning, so it is guarded too
    assert review.refused == ["aws_s3_bucket.this", "aws_s3_bucket_versioning.this"]
    with pytest.raises(DestructiveChangeError) as caught:
        rename.apply(review, gate=_approve(review), progress=False)
    assert caught.value.addresses == ["aws_s3_bucket.this", "aws_s3_bucket_versioning.this"]
    names = {b["Name"] for b in _s3(moto_endpoint).list_buckets()["Buckets"]}
    assert bucket in names and renamed not in names


def test_replanning_makes_the_reviewed_plan_stale(applied, tf_env, moto_endpoint):
    runner, _, _, bucket = applied
    path = runner.stack_dir / ".terraform" / "stale.tfplan"
    first = runner.plan(path)
    first_gate = _approve(first)
    second = runner.plan(path)
    assert second.plan_sha256 != first.plan_sha256
    with pytest.raises(StalePlanError):
        runner.apply(first, gate=first_gate, progress=False)
    with pytest.raises(PlanError, match="approved plan"):
        runner.apply(second, gate=first_gate, progress=False)
    assert runner.apply(second, gate=_approve(second), progress=False).ok


def test_drift_after_an_out_of_band_tag_change(applied, moto_endpoint):
    runner, _, _, bucket = applied
    before = runner.drift()
    bucket_items = [i for i in before.items if i.address == "aws_s3_bucket.this"]
    assert not any(path.startswith("tags") for i in bucket_items for path in i.changed)

    s3 = _s3(moto_endpoint)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "Owner", "Value": "someone-else"}]})
    try:
        report = runner.drift()
    finally:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "Owner", "Value": "runbook"}]})
    assert report.has_drift and report.exit_code == 2
    frame = report.to_frame().set_index("address")
    assert "tags.Owner" in frame.loc["aws_s3_bucket.this", "changed"]
    assert frame.loc["aws_s3_bucket.this", "source"] == "drift"


def test_state_lock_conflict_on_an_s3_backend(tmp_path, moto_endpoint, tf_env):
    params = RunbookParams.model_validate(
        {
            "env": "itest",
            "protected": False,  # moto, no real data
            "aws": {"region": REGION, "endpoint_url": moto_endpoint},
            "terraform": {
                "backend": {
                    "bucket": f"tfstate-{uuid.uuid4().hex[:8]}",
                    "lock_table": "tflock",
                    "key_prefix": "runbook/itest",
                }
            },
        }
    )
    backend = params.terraform.backend
    s3 = _s3(moto_endpoint)
    s3.create_bucket(Bucket=backend.bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    dynamodb = aws_client("dynamodb", endpoint_url=moto_endpoint, region=REGION)
    dynamodb.create_table(
        TableName=backend.lock_table,
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    stack = _stack(tmp_path, "s3_backend_only")
    config = backend_config_from_params(params, stack.name, moto_endpoint)
    assert config["key"] == "runbook/itest/s3_backend_only.tfstate"
    runner = TerraformRunner(stack, env=tf_env, backend_config=config, data_dir=stack / ".terraform")
    runner.init()

    holder = {
        "ID": str(uuid.uuid4()),
        "Operation": "OperationTypeApply",
        "Info": "",
        "Who": "ops@elsewhere",
        "Version": "1.11.4",
        "Created": "2026-01-01T00:00:00Z",
        "Path": f"{backend.bucket}/{config['key']}",
    }
    dynamodb.put_item(
        TableName=backend.lock_table,
        Item={"LockID": {"S": f"{backend.bucket}/{config['key']}"}, "Info": {"S": json.dumps(holder)}},
    )
    with pytest.raises(StateLockError) as caught:
        runner.plan()
    assert caught.value.lock_info["ID"] == holder["ID"]
    assert caught.value.lock_info["Who"] == "ops@elsewhere"
    assert caught.value.lock_info["Operation"] == "OperationTypeApply"

    dynamodb.delete_item(TableName=backend.lock_table, Key={"LockID": {"S": f"{backend.bucket}/{config['key']}"}})
    review = runner.plan()  # the lock is gone: the same plan now succeeds
    assert review.plan.counts()["create"] == 1
