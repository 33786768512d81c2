"""The account allow-list in Terraform, against the sandbox (#14): the stacks' own provider block refuses.

Every stack symlinks ``terraform_infra/shared/stack/providers.tf``, whose provider sets
``allowed_account_ids`` from ``TF_VAR_allowed_account_ids`` (params ``aws.allowed_account_ids``). The
sandbox override no longer skips the provider's account lookup, so against moto (account 123456789012)
the list is enforced exactly as against AWS: a plan with moto's account allowed works, and the same plan
with another account listed is refused by the provider before anything is read or written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fakes import REPO

from runbook_lib.errors import RunbookError
from runbook_lib.terraform.cli_config import render_cli_config
from runbook_lib.terraform.runner import TerraformRunner
from runbook_lib.tools import find_provider_mirror

pytestmark = pytest.mark.integration

SHARED = REPO / "terraform_infra" / "shared" / "stack"
MOTO_ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Path:
    """A stack made of the real shared provider and variables, reading only the caller identity."""
    folder = tmp_path_factory.mktemp("guarded") / "stack"
    folder.mkdir()
    for name in ("providers.tf", "common_variables.tf"):
        shutil.copy(SHARED / name, folder / name)
    (folder / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
        'data "aws_caller_identity" "current" {}\n'
        'output "account_id" {\n  value = data.aws_caller_identity.current.account_id\n}\n'
    )
    return folder


def _runner(stack: Path, endpoint: str, allowed: list[str], tmp: Path) -> TerraformRunner:
    config = tmp / "cli.tfrc"
    config.write_text(render_cli_config(find_provider_mirror()))
    var_file = tmp / "vars.tfvars.json"
    var_file.write_text(json.dumps({"region": "eu-west-1"}))
    env = {"TF_CLI_CONFIG_FILE": str(config), "TF_VAR_allowed_account_ids": json.dumps(allowed)}
    return TerraformRunner(
        stack, env=env, var_files=[var_file], endpoint_url=endpoint, region="eu-west-1",
        data_dir=stack / ".terraform", plan_timeout_s=300,
    )


def test_the_provider_allows_moto_account_and_refuses_any_other(stack: Path, aws_endpoint: str, tmp_path: Path):
    allowed = _runner(stack, aws_endpoint, [MOTO_ACCOUNT], tmp_path)
    allowed.init()
    review = allowed.plan(tmp_path / "allowed.tfplan")
    assert review.plan.counts().get("delete", 0) == 0  # planned: the provider named its account and allowed it

    refused = _runner(stack, aws_endpoint, ["111111111111"], tmp_path)
    with pytest.raises(RunbookError) as info:
        refused.plan(tmp_path / "refused.tfplan")
    assert f"AWS account ID not allowed: {MOTO_ACCOUNT}" in str(info.value) + str(getattr(info.value, "hint", ""))
