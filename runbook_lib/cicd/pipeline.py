"""From the params to checked workflow files: what notebook 06 and ``runbook cicd generate`` call.

Each target environment is read from its *own* params file (region, gates, outputs folder) and its
own ``06_cicd.tfvars`` (the repository and the GitHub environments the deploy role trusts), so a
workflow can only name an environment the trust policy admits: a mismatch is listed as a problem of
that environment, next to the checkers' verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbook_lib.cicd.trust import TrustCheck, check_applied_trust
from runbook_lib.cicd.validate import ValidationReport, validate_workflows
from runbook_lib.cicd.workflow import EnvironmentTarget, PipelineSpec, write_workflows
from runbook_lib.errors import ParamsError, PipelineCheckError
from runbook_lib.params import RunbookParams, load_params, resolve_outputs_dir, resolve_path
from runbook_lib.terraform.tfvars import read_tfvars

if TYPE_CHECKING:
    import pandas as pd

#: The stack that bootstraps the state bucket keeps local state: the pipeline never plans it.
BOOTSTRAP_STACK = "00_state_backend"
CICD_STACK = "06_cicd"


@dataclass(frozen=True)
class TargetCheck:
    """What the generator found about one environment beyond the file's syntax."""

    env: str
    gates_mode: str
    trusted_environments: tuple[str, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class PipelineResult:
    """The files written, both checkers' verdicts, and the per-environment checks."""

    spec: PipelineSpec
    paths: tuple[Path, ...]
    report: ValidationReport
    targets: tuple[TargetCheck, ...]

    @property
    def ok(self) -> bool:
        return self.report.ok and not any(t.problems for t in self.targets)

    def problems(self) -> list[str]:
        """Every finding of both checkers and every environment problem, one line each."""
        found = [
            f"{check.path.name}: {f.checker} line {f.line}: {f.message}"
            for check in self.report.files
            for f in (*check.actionlint, *check.schema)
        ]
        return found + [f"{t.env}: {p}" for t in self.targets for p in t.problems]

    def applied_trust(self, env: str, role_arn: str, aws: Any) -> TrustCheck:
        """Read ``env``'s deploy role back from IAM: it must trust exactly this repository's two environments."""
        return check_applied_trust(
            role_arn, aws, repository=self.spec.repository, environments=[env, self.spec.plan_environment(env)]
        )

    def raise_for_problems(self, trust: TrustCheck | None = None) -> None:
        """Raise :class:`PipelineCheckError` naming every problem (files, environments, the applied trust)."""
        problems = self.problems() + [
            f"trust policy of {trust.role_name}: {p}" for p in (trust.problems if trust else ())
        ]
        if problems or not self.paths:
            raise PipelineCheckError(problems or ["no workflow was generated"])

    def environments_frame(self) -> pd.DataFrame:
        """The GitHub environments to create, and whether the deploy role's trust admits each."""
        import pandas as pd

        trusted = {t.env: t for t in self.targets}
        rows = []
        for name, job, protection in self.spec.github_environments():
            env = name.removesuffix(self.spec.plan_environment_suffix) if job == "plan" else name
            check = trusted[env]
            rows.append(
                {
                    "github environment": name,
                    "job": job,
                    "protection to set": protection,
                    "token subject": f"repo:{self.spec.repository}:environment:{name}",
                    "trusted by stack 06": name in check.trusted_environments,
                    "problems": "; ".join(check.problems),
                }
            )
        return pd.DataFrame(rows)


def _stacks(params: RunbookParams) -> tuple[str, ...]:
    if params.cicd.stacks:
        return tuple(params.cicd.stacks)
    root = resolve_path(Path(params.terraform.stacks_dir))
    return tuple(
        sorted(p.name for p in root.iterdir() if p.is_dir() and p.name[:2].isdigit() and p.name != BOOTSTRAP_STACK)
    )


def _cicd_tfvars(params: RunbookParams) -> dict:
    env_dir = params.terraform.env_dir
    path = resolve_path(Path(env_dir)) / f"{CICD_STACK}.tfvars" if env_dir else None
    return dict(read_tfvars(path).values) if path and path.is_file() else {}


def build_spec(
    params: RunbookParams, *, role_arns: dict[str, str] | None = None, params_dir: Path | None = None
) -> tuple[PipelineSpec, tuple[TargetCheck, ...]]:
    """The pipeline the params describe, and what is wrong with each environment of it.

    Args:
        params: the run's params (its ``cicd`` section decides; ``environments`` empty = this env).
        role_arns: deploy roles known from an applied stack 06 (env -> ARN); ``cicd.deploy_role_arns`` wins.
        params_dir: where the other environments' params files are (default: ``params/``).

    Raises:
        ParamsError: no repository in ``cicd.repository`` nor in ``06_cicd.tfvars``' ``github_repository``.
    """
    cicd = params.cicd
    repository = cicd.repository or _cicd_tfvars(params).get("github_repository")
    if not repository:
        raise ParamsError(
            "cicd.repository", None, 'a GitHub repository "owner/name" (or github_repository in 06_cicd.tfvars)'
        )
    roles = {**(role_arns or {}), **cicd.deploy_role_arns}
    targets, checks = [], []
    for env in cicd.environments or [params.env]:
        target_params = params if env == params.env else load_params(env, params_dir)
        tfvars = _cicd_tfvars(target_params)
        trusted = tuple(tfvars.get("allowed_environments") or ())
        problems = []
        if tfvars.get("github_repository") not in (None, repository):
            problems.append(f"06_cicd.tfvars trusts {tfvars['github_repository']}, not {repository}")
        for name in (env, f"{env}{cicd.plan_environment_suffix}"):
            if name not in trusted:
                problems.append(f"allowed_environments in {env}'s 06_cicd.tfvars lacks {name!r}")
        if target_params.gates.mode != "headless":
            problems.append("gates.mode is interactive: `runbook run` in CI stops at the first gate (use headless)")
        targets.append(
            EnvironmentTarget(
                env=env,
                region=target_params.aws.region,
                protected=target_params.protected,
                stacks=_stacks(target_params),
                role_arn=roles.get(env),
                outputs_dir=str(target_params.evidence.outputs_dir),
            )
        )
        checks.append(TargetCheck(env, target_params.gates.mode, trusted, tuple(problems)))
    spec = PipelineSpec(
        repository=repository,
        default_branch=cicd.default_branch,
        plan_environment_suffix=cicd.plan_environment_suffix,
        runs_on=cicd.runs_on,
        python_version=cicd.python_version,
        evidence_retention_days=cicd.evidence_retention_days,
        targets=tuple(targets),
    )
    return spec, tuple(checks)


def workflow_dir_for_run(params: RunbookParams, run_id: str, params_dir: Path | None = None) -> Path:
    """Where a run writes the workflows when ``cicd.workflow_dir`` is unset: ``<outputs>/.workflows/<run-id>/``.

    Not inside the run folder: every file there is written through the evidence ledger, which vouches for it;
    the evidence records each workflow's sha256 and verdicts instead (the files are reproducible from the params).
    """
    return resolve_outputs_dir(params, params_dir) / ".workflows" / run_id


def generate_pipeline(
    params: RunbookParams,
    *,
    default_dir: Path,
    role_arns: dict[str, str] | None = None,
    params_dir: Path | None = None,
) -> PipelineResult:
    """Write the workflows into ``cicd.workflow_dir`` (or ``default_dir``) and check every file.

    Args:
        params: the run's params.
        default_dir: where to write when ``cicd.workflow_dir`` is unset (the run's evidence folder).
        role_arns: deploy roles known from the applied stack (env -> ARN).
        params_dir: the other environments' params folder.
    """
    spec, checks = build_spec(params, role_arns=role_arns, params_dir=params_dir)
    directory = resolve_path(params.cicd.workflow_dir) if params.cicd.workflow_dir else default_dir
    paths = write_workflows(spec, directory)
    return PipelineResult(spec=spec, paths=tuple(paths), report=validate_workflows(paths), targets=checks)
