"""Build one GitHub Actions workflow per environment from the params (a plain dict, dumped as YAML).

Why generated and not hand-written: the pipeline must agree with the rest of the run — the same
environments, the same stacks, the deploy role stack 06 applied, the GitHub environments the role's
OIDC trust names (``repo:OWNER/REPO:environment:ENV``). Generating it from the params keeps those in
one place; :mod:`runbook_lib.cicd.validate` then checks every file with actionlint and the schema.

The shape of each workflow (``runbook-<env>.yml``):

* ``plan`` (pull request, push to the default branch, manual): OIDC credentials
  (``aws-actions/configure-aws-credentials`` with ``role-to-assume``; ``id-token: write``; no keys),
  ``runbook tf plan --json`` per stack, ``runbook cost estimate``, the summary posted on the pull
  request and into the job summary. It runs in the unprotected GitHub environment ``<env>-plan`` so
  that its token's subject is one the trust policy lists.
* ``apply`` (push / manual only, after ``plan``): in the GitHub environment ``<env>``, which the
  operator protects with required reviewers — the job waits for their approval —, ``runbook run``,
  ``runbook evidence verify``, and the evidence uploaded as an artifact even when the run failed.
* Concurrency per environment: one ``apply`` of an environment at a time, never cancelled; a newer
  plan of the same branch cancels the older one.

Plan files are not passed between jobs: Terraform writes sensitive values into them in clear, and
artifacts are readable by anyone who can read the repository. The apply job plans again inside
``runbook run``; its gate is the params' policy, which on a protected environment never approves a
delete or a replace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: Action versions the generated files use (major tags; pin to commit SHAs in a hardened repository).
CHECKOUT = "actions/checkout@v5"
SETUP_PYTHON = "actions/setup-python@v6"
SETUP_TERRAFORM = "hashicorp/setup-terraform@v3"
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials@v6"
UPLOAD_ARTIFACT = "actions/upload-artifact@v6"
#: Terraform version of the pipeline: the one the runbook is tested with.
TERRAFORM_VERSION = "1.11.4"
#: Where a role ARN comes from when the params do not name one: the GitHub environment's variable.
ROLE_VARIABLE = "RUNBOOK_DEPLOY_ROLE_ARN"


@dataclass(frozen=True)
class EnvironmentTarget:
    """What one environment's workflow needs to know (from that environment's params and tfvars)."""

    env: str
    region: str
    protected: bool
    stacks: tuple[str, ...]
    role_arn: str | None
    outputs_dir: str = "outputs"

    @property
    def role_expression(self) -> str:
        return self.role_arn or "${{ vars." + ROLE_VARIABLE + " }}"


@dataclass(frozen=True)
class PipelineSpec:
    """Everything the workflows of one repository share."""

    repository: str
    default_branch: str
    plan_environment_suffix: str
    runs_on: str
    python_version: str
    evidence_retention_days: int
    targets: tuple[EnvironmentTarget, ...]

    def plan_environment(self, env: str) -> str:
        return f"{env}{self.plan_environment_suffix}"

    def github_environments(self) -> list[tuple[str, str, str]]:
        """(environment, job, protection) rows: what the operator sets up in the repository's settings."""
        rows = []
        for target in self.targets:
            rows.append((self.plan_environment(target.env), "plan", "none (runs on every pull request)"))
            rows.append(
                (
                    target.env,
                    "apply",
                    f"required reviewers, prevent self-review; deployment branch {self.default_branch}",
                )
            )
        return rows

    def trusted_subjects(self) -> list[str]:
        """The OIDC token subjects the workflows present: what stack 06's trust policy must list."""
        return [
            f"repo:{self.repository}:environment:{name}"
            for target in self.targets
            for name in (self.plan_environment(target.env), target.env)
        ]


def _setup_steps(spec: PipelineSpec, target: EnvironmentTarget, job: str) -> list[dict[str, Any]]:
    """Checkout, Python, Terraform, the runbook, and OIDC credentials: the same for both jobs."""
    return [
        {"uses": CHECKOUT, "with": {"persist-credentials": False}},
        {"uses": SETUP_PYTHON, "with": {"python-version": spec.python_version, "cache": "pip"}},
        {
            "uses": SETUP_TERRAFORM,
            "with": {"terraform_version": TERRAFORM_VERSION, "terraform_wrapper": False},
        },
        {"name": "Install the runbook", "run": "python -m pip install -e '.[ci]'"},
        {
            "name": "AWS credentials (OIDC, no stored keys)",
            "uses": AWS_CREDENTIALS,
            "with": {
                "role-to-assume": target.role_expression,
                "role-session-name": f"runbook-{target.env}-{job}-${{{{ github.run_id }}}}",
                "aws-region": target.region,
            },
        },
    ]


def _plan_script(target: EnvironmentTarget) -> str:
    """Plan each stack to its saved file and keep the summary (``--json``: counts and addresses, no values)."""
    stacks = " ".join(target.stacks)
    return (
        "mkdir -p plan/cost\n"
        f"for stack in {stacks}; do\n"
        f'  runbook tf plan --stack "$stack" --env {target.env} --json > "plan/$stack.json"\n'
        "done\n"
    )


def _summary_script(target: EnvironmentTarget) -> str:
    """The cost of each saved plan (``runbook cost estimate``), then the comment that holds both."""
    stacks = " ".join(target.stacks)
    return (
        f"for stack in {stacks}; do\n"
        f'  runbook cost estimate --stack "$stack" --env {target.env} --json > "plan/cost/$stack.json"\n'
        "done\n"
        "runbook cicd plan-comment --cost plan/cost/*.json -- plan/*.json > plan/summary.md\n"
        'cat plan/summary.md >> "$GITHUB_STEP_SUMMARY"\n'
    )


def build_workflow(spec: PipelineSpec, target: EnvironmentTarget) -> dict[str, Any]:
    """The workflow of one environment as the dict GitHub reads (see the module docstring)."""
    env = target.env
    branch = spec.default_branch
    plan_job: dict[str, Any] = {
        "name": f"plan ({env})",
        "runs-on": spec.runs_on,
        "environment": spec.plan_environment(env),
        "permissions": {"contents": "read", "id-token": "write", "pull-requests": "write"},
        "concurrency": {"group": f"runbook-{env}-plan-${{{{ github.ref }}}}", "cancel-in-progress": True},
        "timeout-minutes": 60,
        "steps": [
            *_setup_steps(spec, target, "plan"),
            {"name": "Plan every stack", "run": _plan_script(target)},
            {"name": "Plan summary and cost estimate", "run": _summary_script(target)},
            {
                "name": "Post the plan on the pull request",
                "if": "github.event_name == 'pull_request'",
                "env": {"GH_TOKEN": "${{ github.token }}", "PR_NUMBER": "${{ github.event.pull_request.number }}"},
                "run": 'gh pr comment "$PR_NUMBER" --body-file plan/summary.md\n',
            },
            {
                "name": "Keep the plan summary",
                "uses": UPLOAD_ARTIFACT,
                "with": {
                    "name": f"plan-{env}-${{{{ github.run_id }}}}",
                    "path": "plan/*.json\nplan/cost/*.json\nplan/*.md\n",
                    "retention-days": spec.evidence_retention_days,
                },
            },
        ],
    }
    outputs = target.outputs_dir.rstrip("/")
    apply_job: dict[str, Any] = {
        "name": f"apply ({env})",
        "needs": "plan",
        "if": f"github.event_name != 'pull_request' && github.ref == 'refs/heads/{branch}'",
        "runs-on": spec.runs_on,
        "environment": {"name": env},
        "permissions": {"contents": "read", "id-token": "write"},
        "concurrency": {"group": f"runbook-{env}", "cancel-in-progress": False},
        "timeout-minutes": 240,
        "steps": [
            *_setup_steps(spec, target, "apply"),
            {"name": "Run the runbook", "run": f"runbook run --env {env} --json | tee run.json\n"},
            {
                "name": "Verify the evidence",
                "run": 'runbook evidence verify "$(jq -r .run_dir run.json)"\n',
            },
            {
                "name": "Upload the evidence",
                "if": "always()",
                "uses": UPLOAD_ARTIFACT,
                "with": {
                    "name": f"evidence-{env}-${{{{ github.run_id }}}}",
                    "path": f"{outputs}/\n!{outputs}/.work/\n!{outputs}/.keys/\n!{outputs}/.checkpoints/\n",
                    "retention-days": spec.evidence_retention_days,
                    "if-no-files-found": "error",
                },
            },
        ],
    }
    return {
        "name": f"runbook {env}",
        "on": {
            "pull_request": {"branches": [branch]},
            "push": {"branches": [branch]},
            "workflow_dispatch": {},
        },
        "permissions": {"contents": "read"},
        "env": {"RUNBOOK_ENV": env, "AWS_REGION": target.region},
        "jobs": {"plan": plan_job, "apply": apply_job},
    }


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks (``run: |``), so the file reads like a hand-written one."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)

HEADER = (
    "# Generated by runbook_lib.cicd (phase 06) from params/{env}.yaml: edit the params and generate again.\n"
    "# Environments to create in the repository settings: '{plan_env}' (no protection) for the plan job and\n"
    "# '{env}' with required reviewers for the apply job; the deploy role trusts exactly these two.\n"
)


def render_workflow(spec: PipelineSpec, target: EnvironmentTarget) -> str:
    """The YAML text of one environment's workflow, header comment first."""
    body = yaml.dump(build_workflow(spec, target), Dumper=_Dumper, sort_keys=False, width=1000)
    header = HEADER.format(env=target.env, plan_env=spec.plan_environment(target.env))
    return header + body


def workflow_filename(env: str) -> str:
    return f"runbook-{env}.yml"


def write_workflows(spec: PipelineSpec, directory: Path) -> list[Path]:
    """Write ``runbook-<env>.yml`` for every target into ``directory`` (created); returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for target in spec.targets:
        path = directory / workflow_filename(target.env)
        path.write_text(render_workflow(spec, target))
        paths.append(path)
    return paths
