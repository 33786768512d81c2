"""Stack 03's MirrorMaker 2 resources, planned with the real AWS provider against the sandbox (never applied).

moto has no MSK Connect API, so the connectors cannot be applied here; the plan is what can be shown:
the library's connector configurations, written as the stack's ``mm2_connectors`` tfvars, become exactly
the planned ``aws_mskconnect_connector`` resources, and with the flags off nothing is planned.
The stack's own upstream state (stacks 01/02) is replaced by a stub root around the same msk_connect.tf.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fakes import REPO

from runbook_lib.migrate.at_scale import msk_connect
from runbook_lib.process import run_command
from runbook_lib.terraform.override import write_override

pytestmark = pytest.mark.integration

STACK_FILE = REPO / "terraform_infra" / "stacks" / "03_streaming_ingestion" / "msk_connect.tf"
STUB = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.100, < 7.0" }
  }
}
provider "aws" {
  region                      = "eu-west-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
}
variable "log_retention_days" {
  type    = number
  default = 30
}
locals {
  name_prefix = "dmig-sandbox"
  net = {
    security_group_ids = { msk = "sg-0123456789abcdef0" }
    private_subnet_ids = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
    kms_key_arns       = { logs = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
  }
}
module "msk" {
  source = "./msk_stub"
}
"""
MSK_STUB = """
output "bootstrap_brokers_sasl_iam" {
  value = "b-1.dmig.kafka.eu-west-1.amazonaws.com:9098"
}
output "cluster_arn" {
  value = "arn:aws:kafka:eu-west-1:123456789012:cluster/dmig/abc"
}
"""


def _plan(root: Path, env: dict[str, str], *args: str) -> dict:
    terraform = shutil.which("terraform") or shutil.which("tofu")
    run_command([terraform, "plan", "-input=false", "-no-color", "-out=plan.bin", *args], cwd=root, env=env,
                timeout=300)
    shown = run_command([terraform, "show", "-json", "plan.bin"], cwd=root, env=env, timeout=120)
    return json.loads(shown.stdout)


def test_mm2_connectors_planned_from_the_library_configs(tmp_path: Path, aws_endpoint: str, tf_env) -> None:
    root = tmp_path / "stack"
    (root / "msk_stub").mkdir(parents=True)
    shutil.copy(STACK_FILE, root / "msk_connect.tf")
    (root / "main.tf").write_text(STUB)
    (root / "msk_stub" / "main.tf").write_text(MSK_STUB)
    write_override(root, aws_endpoint, "eu-west-1")
    env = {**tf_env, "TF_DATA_DIR": str(tmp_path / ".terraform")}
    terraform = shutil.which("terraform") or shutil.which("tofu")
    run_command([terraform, "init", "-input=false", "-no-color"], cwd=root, env=env, timeout=300)

    off = _plan(root, env)
    assert not [c for c in off.get("resource_changes", []) if c["change"]["actions"] != ["no-op"]]

    configs = msk_connect.mm2_connector_configs(prefix="dmig-sandbox", source_bootstrap="kafka.platform:9092",
                                                target_bootstrap="b-1.dmig.kafka.eu-west-1.amazonaws.com:9098",
                                                topics=["ingest.events", "ingest.dlq"], groups=["analytics"])
    tfvars = msk_connect.write_tfvars(tmp_path / "mm2.tfvars.json", configs)
    on = _plan(root, env, f"-var-file={tfvars}", "-var=mm2_plugin_bucket_arn=arn:aws:s3:::plugins",
               "-var=mm2_service_execution_role_arn=arn:aws:iam::123456789012:role/mm2")
    planned = {c["address"]: c["change"]["after"] for c in on["resource_changes"]
               if c["change"]["actions"] == ["create"]}
    connectors = {a: v for a, v in planned.items() if a.startswith("aws_mskconnect_connector.mm2")}
    assert sorted(v["name"] for v in connectors.values()) == sorted(configs)
    for after in connectors.values():
        assert after["connector_configuration"] == configs[after["name"]]
        assert after["kafka_cluster_client_authentication"][0]["authentication_type"] == "IAM"
    assert "aws_mskconnect_custom_plugin.mm2[0]" in planned
    assert not any(a.startswith("aws_msk_replicator") for a in planned)  # the alternative stays off
