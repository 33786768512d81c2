"""The real AWS provider, through the endpoint override, creates resources in the sandbox that boto3 reads back."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from runbook_lib.clients import aws_client
from runbook_lib.process import run_command
from runbook_lib.terraform.override import OVERRIDE_FILE_NAME, write_override

pytestmark = pytest.mark.integration

STACK = """
terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.100, < 7.0" }
  }
}
provider "aws" {
  region = "eu-west-1"
}
resource "aws_s3_bucket" "this" {
  bucket = "smoke-test-bucket"
}
resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}
resource "aws_vpc" "this" {
  cidr_block = "10.42.0.0/16"
  tags       = { Name = "smoke" }
}
output "vpc_id" {
  value = aws_vpc.this.id
}
"""


def test_apply_creates_bucket_and_vpc_that_boto3_reads_back(tmp_path: Path, aws_endpoint: str, tf_env) -> None:
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "main.tf").write_text(STACK)
    write_override(stack, aws_endpoint, "eu-west-1")
    assert (stack / OVERRIDE_FILE_NAME).exists()
    terraform = shutil.which("terraform") or shutil.which("tofu")
    env = {**tf_env, "TF_DATA_DIR": str(tmp_path / ".terraform")}
    run_command([terraform, "init", "-input=false", "-no-color"], cwd=stack, env=env, timeout=300)
    run_command([terraform, "apply", "-auto-approve", "-input=false", "-no-color"], cwd=stack, env=env, timeout=300)
    output = run_command([terraform, "output", "-raw", "vpc_id"], cwd=stack, env=env, timeout=60).stdout.strip()

    s3 = aws_client("s3", endpoint_url=aws_endpoint, region="eu-west-1")
    assert s3.get_bucket_versioning(Bucket="smoke-test-bucket")["Status"] == "Enabled"
    ec2 = aws_client("ec2", endpoint_url=aws_endpoint, region="eu-west-1")
    vpcs = ec2.describe_vpcs(VpcIds=[output])["Vpcs"]
    assert vpcs[0]["CidrBlock"] == "10.42.0.0/16"

    plan = run_command(
        [terraform, "plan", "-detailed-exitcode", "-input=false", "-no-color"],
        cwd=stack,
        env=env,
        timeout=300,
        check=False,
    )
    assert plan.returncode == 0, plan.stdout  # applied config plans clean
    run_command([terraform, "destroy", "-auto-approve", "-input=false", "-no-color"], cwd=stack, env=env, timeout=300)
    assert "smoke-test-bucket" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert os.path.exists(stack / OVERRIDE_FILE_NAME)
