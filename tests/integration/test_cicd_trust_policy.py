"""The deploy role's OIDC trust, applied by the real AWS provider into the sandbox (moto) and read back with
``iam:GetRole``: its ``sub`` is exactly ``repo:ORG/REPO:environment:ENV`` for the generated workflow's two
GitHub environments, compared with StringEquals. A wildcard subject is refused by the module's variable
validation before anything is created.

moto stores the trust policy as given and does not evaluate it (no web-identity login happens here): what is
checked is the policy IAM holds, which is what AWS would evaluate.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fakes import REPO

from runbook_lib.cicd.trust import check_applied_trust
from runbook_lib.process import run_command
from runbook_lib.terraform.override import write_override

pytestmark = pytest.mark.integration

MODULE = REPO / "terraform_infra" / "modules" / "cicd"
REPO = "example-org/data-migration"
ROOT = f"""
terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = ">= 5.100, < 7.0" }}
  }}
}}
provider "aws" {{
  region = "eu-west-1"
}}
variable "github_repository" {{
  type    = string
  default = "{REPO}"
}}
variable "allowed_environments" {{
  type    = list(string)
  default = ["sandbox", "sandbox-plan"]
}}
resource "aws_kms_key" "ecr" {{
  description = "cicd trust test"
}}
module "cicd" {{
  source               = "{MODULE}"
  name_prefix          = "dmig-trusttest"
  github_repository    = var.github_repository
  allowed_environments = var.allowed_environments
  kms_key_arn          = aws_kms_key.ecr.arn
  ecr_force_delete     = true
}}
output "deploy_role_arn" {{
  value = module.cicd.deploy_role_arn
}}
"""


@pytest.fixture()
def stack(tmp_path: Path, aws_endpoint: str, tf_env: dict[str, str]):
    root = tmp_path / "stack"
    root.mkdir()
    (root / "main.tf").write_text(ROOT)
    write_override(root, aws_endpoint, "eu-west-1")
    terraform = shutil.which("terraform") or shutil.which("tofu")
    assert terraform, "terraform is required for the integration tier"
    env = {**tf_env, "TF_DATA_DIR": str(tmp_path / ".terraform")}

    def tf(*args: str, check: bool = True):
        return run_command([terraform, *args, "-no-color"], cwd=root, env=env, timeout=300, check=check)

    tf("init", "-input=false")
    yield tf
    tf("destroy", "-auto-approve", "-input=false", check=False)


def test_applied_trust_policy_restricts_sub_to_repository_environments(stack, aws_endpoint: str) -> None:
    stack("apply", "-auto-approve", "-input=false")
    role_arn = stack("output", "-raw", "deploy_role_arn").stdout.strip()

    class Aws:  # what aws_client reads of the params' aws section, pointed at the sandbox
        region = "eu-west-1"
        endpoint_url = aws_endpoint
        connect_timeout = 2.0
        max_attempts = 2
        profile = None
        assume_role_arn = None

    check = check_applied_trust(role_arn, Aws(), repository=REPO, environments=["sandbox", "sandbox-plan"])
    assert check.ok, check.problems
    assert sorted(check.subjects) == [
        f"repo:{REPO}:environment:sandbox",
        f"repo:{REPO}:environment:sandbox-plan",
    ]
    # and the same policy fails the check for another repository or a narrower set of environments
    assert not check_applied_trust(role_arn, Aws(), repository="other-org/data-migration").ok
    assert not check_applied_trust(role_arn, Aws(), repository=REPO, environments=["sandbox"]).ok


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("allowed_environments", '["*"]', "allowed_environments must name"),
        ("allowed_environments", '["prod-*"]', "allowed_environments must name"),
        ("allowed_environments", "[]", "allowed_environments must name"),
        ("github_repository", "example-org/*", "github_repository must be exactly"),
    ],
)
def test_wildcard_subject_is_refused_by_validation(stack, var: str, value: str, message: str) -> None:
    result = stack("plan", "-input=false", f"-var={var}={value}", check=False)
    assert result.returncode != 0
    assert message in " ".join((result.stdout + result.stderr).split())
