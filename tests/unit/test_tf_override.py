"""The endpoint override that points unchanged stacks at the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook_lib.errors import RunbookError
from runbook_lib.terraform import override as tf_override

pytestmark = pytest.mark.unit

STACK = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.100, < 7.0" }
  }
}
provider "aws" {
  region = var.region
}
provider "aws" {
  alias  = "replica"
  region = "eu-central-1"
}
variable "region" {
  type = string
}
"""


def test_every_endpoint_key_of_the_provider_is_set(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(STACK)
    path = tf_override.write_override(tmp_path, "http://127.0.0.1:4566", "us-east-1")
    text = path.read_text()
    keys = tf_override.shipped_endpoint_keys()
    assert len(keys) > 250  # the provider knows ~300 services; a short list would leak calls to real AWS
    for key in ("s3", "sts", "iam", "elasticache", "redshift", "kafka", "docdb", "mwaa", "grafana"):
        assert key in keys
    # two provider blocks, each with every service's one key (aliases of a set key are left out)
    assert text.count('provider "aws" {') == 2
    assert text.count('= "http://127.0.0.1:4566"') == 2 * len(tf_override.canonical_endpoint_keys(keys))
    assert 'alias                       = "replica"' in text
    for flag in (
        "skip_credentials_validation = true",
        "skip_metadata_api_check     = true",
        "s3_use_path_style           = true",
    ):
        assert text.count(flag) == 2
    # The provider looks its account up (through the emulator's STS), so allowed_account_ids is enforced.
    assert "skip_requesting_account_id" not in text


def test_a_stack_without_an_aws_provider_block_is_refused(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "terraform_data" "x" {}\n')
    with pytest.raises(RunbookError) as caught:
        tf_override.write_override(tmp_path, "http://127.0.0.1:1", "us-east-1")
    assert "no provider" in caught.value.message


def test_existing_override_files_are_not_parsed_as_stack_blocks(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(STACK)
    tf_override.write_override(tmp_path, "http://127.0.0.1:1", "us-east-1")
    again = tf_override.write_override(tmp_path, "http://127.0.0.1:2", "us-east-1").read_text()
    assert again.count('provider "aws" {') == 2 and "127.0.0.1:1" not in again
    assert tf_override.remove_override(tmp_path) is True
    assert tf_override.remove_override(tmp_path) is False


def test_keys_from_a_provider_schema() -> None:
    schema = {
        "provider_schemas": {
            "registry.terraform.io/hashicorp/aws": {
                "provider": {"block": {"block_types": {"endpoints": {"block": {"attributes": {"s3": {}, "ec2": {}}}}}}}
            }
        }
    }
    assert tf_override.endpoint_keys_from_schema(schema) == ["ec2", "s3"]


def _written_endpoint_keys(text: str) -> list[str]:
    import re

    return re.findall(r"^    (\w+)\s+= \"http://127\.0\.0\.1:4566\"$", text, flags=re.MULTILINE)


def test_no_service_is_set_twice_through_an_alias(tmp_path: Path) -> None:
    # The provider warns "Only one of the following attributes should be set: endpoints.0.s3, endpoints.0.s3api
    # ... This will be an error in a future release" when a service and its alias are both set.
    (tmp_path / "main.tf").write_text(STACK)
    text = tf_override.write_override(tmp_path, "http://127.0.0.1:4566", "us-east-1").read_text()
    block = text.split('provider "aws" {')[1]
    written = set(_written_endpoint_keys(block))
    aliases = tf_override.endpoint_key_aliases()
    assert aliases["s3"] == ["s3api"] and "s3" in written and "s3api" not in written
    for canonical, names in aliases.items():
        set_keys = [k for k in (canonical, *names) if k in written]
        assert set_keys == [canonical], (canonical, set_keys)  # exactly one per service: still redirected
    assert len(aliases) > 30 and all(k in tf_override.shipped_endpoint_keys() for k in aliases)


def test_an_alias_is_kept_when_the_schema_has_no_canonical_key() -> None:
    aliases = {"logs": ["cloudwatchlog", "cloudwatchlogs"], "s3": ["s3api"]}
    # the provider's precedence: the canonical key, else the first alias listed
    assert tf_override.canonical_endpoint_keys(["cloudwatchlogs", "cloudwatchlog", "s3api", "s3", "sts"], aliases) == [
        "cloudwatchlog", "s3", "sts"]
