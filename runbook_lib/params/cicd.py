"""The ``cicd`` section: what the generated GitHub Actions workflows of phase 06 look like.

Why in the params: the pipeline is part of the migration's configuration (which repository, which
environments, which deploy role per environment), reviewed like the rest and fingerprinted with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from runbook_lib.params.formats import Allowed, EnvName, RoleArn, StrictModel

GITHUB_REPO_ALLOWED = 'a GitHub repository as "owner/name": letters, digits, ".", "_" and "-", no wildcards'
BRANCH_ALLOWED = "a branch name without wildcards or spaces, e.g. main"
RUNNER_ALLOWED = "a runs-on label such as ubuntu-latest or ubuntu-24.04"
PY_VERSION_ALLOWED = 'a Python version as a quoted string, e.g. "3.11"'
SUFFIX_ALLOWED = "'-' then lowercase letters, digits or '-', e.g. -plan"
STACK_ALLOWED = "a stack folder name under terraform.stacks_dir, e.g. 01_network_iam"

GithubRepo = Annotated[str, Allowed(GITHUB_REPO_ALLOWED, pattern=r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")]
BranchName = Annotated[str, Allowed(BRANCH_ALLOWED, pattern=r"[A-Za-z0-9._/-]+")]
RunnerLabel = Annotated[str, Allowed(RUNNER_ALLOWED, pattern=r"[A-Za-z0-9._-]+")]
PythonVersion = Annotated[str, Allowed(PY_VERSION_ALLOWED, pattern=r"3\.\d{1,2}")]
EnvSuffix = Annotated[str, Allowed(SUFFIX_ALLOWED, pattern=r"-[a-z0-9-]{1,20}")]
StackName = Annotated[str, Allowed(STACK_ALLOWED, pattern=r"[0-9]{2}_[a-z0-9_]+")]


class CicdParams(StrictModel):
    """The generated pipeline: one workflow per environment, plan on pull request, apply after approval.

    ``deploy_role_arns`` names the role each environment's jobs assume with OIDC (stack 06's
    ``deploy_role_arn`` in that account); an environment not listed reads it from the GitHub
    environment's variable ``RUNBOOK_DEPLOY_ROLE_ARN`` instead. ``workflow_dir`` unset writes the files
    into the run's evidence folder (to review and copy); a path writes them there (relative paths are
    taken from the project root), e.g. ``.github/workflows`` of the repository that runs the runbook.
    """

    repository: GithubRepo | None = None
    environments: list[EnvName] = Field(default_factory=list)
    deploy_role_arns: dict[EnvName, RoleArn] = Field(default_factory=dict)
    default_branch: BranchName = "main"
    #: The unprotected GitHub environment of the plan job is ``<env><plan_environment_suffix>``.
    plan_environment_suffix: EnvSuffix = "-plan"
    stacks: list[StackName] = Field(default_factory=list)
    runs_on: RunnerLabel = "ubuntu-latest"
    python_version: PythonVersion = "3.11"
    evidence_retention_days: int = Field(default=30, ge=1, le=90)
    workflow_dir: Path | None = None
