"""Build the :class:`~runbook_lib.terraform.runner.TerraformRunner` for one stack from an environment's params.

Why here and not in ``terraform``: this is the one place that knows the sandbox. It resolves the AWS
endpoint (``aws.endpoint_url: sandbox`` through the sandbox's bindings) and, for a ``local``-backend
stack against the sandbox, puts the state in the sandbox folder; the runner gets both as plain
arguments and never asks where it is pointed. Why ``infra`` and not ``phases``: ``infra.iac_check``
builds sandbox runners too, and ``infra`` may not import ``phases``; phases and the CLI import it here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbook_lib.endpoints import aws_endpoint_url
from runbook_lib.errors import ParamsError
from runbook_lib.paths import project_root, sandbox_dir
from runbook_lib.terraform.backend import backend_config_from_params, detect_backend_type
from runbook_lib.terraform.runner import TerraformRunner

if TYPE_CHECKING:
    from runbook_lib.params import RunbookParams


def runner_from_params(params: RunbookParams, stack: str | Path, **overrides: Any) -> TerraformRunner:
    """A runner for ``stack`` (a path, or a name under ``terraform.stacks_dir``) configured by the params.

    Sets: binary, var files (``terraform.var_files`` plus ``<env_dir>/<stack>.tfvars`` if it exists),
    the endpoint override, ``allow_destroy``, timeouts, a per-environment ``TF_DATA_DIR``
    (``<stack>/.terraform/envs/<env>``; the sandbox's in its own folder) and, for a stack with an ``s3`` backend,
    ``<env_dir>/backend.hcl`` (if present) plus :func:`~runbook_lib.terraform.backend.backend_config_from_params`.

    A stack with a ``local`` backend (stack 00, which creates the state bucket) keeps its state in
    ``<data dir>/terraform.tfstate``; against the sandbox, in the sandbox folder, so that it goes away
    with the sandbox it describes. Against a stand-in, ``AWS_ENDPOINT_URL_S3``/``_DYNAMODB`` and dummy
    credentials are set too, so ``terraform_remote_state`` reads earlier stacks from the stand-in.

    Args:
        overrides: any :class:`TerraformRunner` keyword, winning over what the params give.

    Raises:
        ParamsError: ``stack`` is neither a directory nor a stack under ``terraform.stacks_dir``.
        SandboxDownError: ``aws.endpoint_url`` is ``sandbox`` and the sandbox is not running.
    """
    root = project_root()
    stack_dir = _resolve_stack(stack, params, root)
    tf = params.terraform
    endpoint = aws_endpoint_url(params.aws)
    var_files = [_absolute(v, root) for v in tf.var_files]
    if tf.env_dir is not None:
        per_stack = _absolute(tf.env_dir, root) / f"{stack_dir.name}.tfvars"
        if per_stack.exists() and per_stack not in var_files:
            var_files.append(per_stack)
    backend_files: list[Path] = []
    backend: dict[str, Any] = {}
    backend_type = detect_backend_type(stack_dir)
    if backend_type == "s3" or (backend_type is None and tf.backend is not None):
        if tf.env_dir is not None and (_absolute(tf.env_dir, root) / "backend.hcl").exists():
            backend_files.append(_absolute(tf.env_dir, root) / "backend.hcl")
        backend = backend_config_from_params(params, stack_dir.name, endpoint)
    data_dir = _data_dir(stack_dir, params)
    if backend_type == "local":
        backend = {"path": str(_local_state_path(stack_dir, data_dir, sandbox=bool(endpoint)))}
        Path(backend["path"]).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {
        "binary": tf.binary,
        "env": _command_env(params, endpoint),
        "var_files": var_files,
        "backend_config": backend,
        "backend_config_files": backend_files,
        "allow_destroy": list(tf.allow_destroy),
        "endpoint_url": endpoint,
        "region": params.aws.region,
        "data_dir": data_dir,
        "env_name": params.env,
        "plan_timeout_s": tf.plan_timeout_s,
        "apply_timeout_s": tf.apply_timeout_s,
        "interrupt_grace_s": tf.interrupt_grace_s,
    }
    kwargs.update(overrides)
    return TerraformRunner(stack_dir, **kwargs)


def _command_env(params: RunbookParams, endpoint: str | None) -> dict[str, str]:
    """The AWS part of every command's environment: region, profile, a stand-in's endpoints, and the guard.

    Against real AWS the provider gets ``aws.allowed_account_ids`` (``TF_VAR_allowed_account_ids``, JSON)
    and ``aws.assume_role_arn`` (``TF_VAR_assume_role_arn``), which every stack's shared ``providers.tf``
    reads. Against a stand-in the list is enforced too (the sandbox's is moto's fixed account): the override
    lets the provider look its account up through the emulator's STS. No role is assumed there.
    """
    env: dict[str, str] = {"AWS_REGION": params.aws.region}
    env["TF_VAR_allowed_account_ids"] = json.dumps(list(params.aws.allowed_account_ids))
    if not endpoint:
        if params.aws.assume_role_arn:
            env["TF_VAR_assume_role_arn"] = params.aws.assume_role_arn
    if endpoint:
        env.update(
            AWS_ENDPOINT_URL_S3=endpoint,
            AWS_ENDPOINT_URL_DYNAMODB=endpoint,
            AWS_ENDPOINT_URL_STS=endpoint,
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
        )
    if params.aws.profile:
        env["AWS_PROFILE"] = params.aws.profile
    return env


def _local_state_path(stack_dir: Path, data_dir: Path, *, sandbox: bool) -> Path:
    """A ``local`` backend's state file: in the sandbox folder against a stand-in, else in the data dir."""
    if sandbox:
        return (sandbox_dir() / "terraform" / f"{stack_dir.name}.tfstate").resolve()
    return data_dir / "terraform.tfstate"


def _data_dir(stack_dir: Path, params: RunbookParams) -> Path:
    """``TF_DATA_DIR`` (backend settings, saved plans): ``<stack>/.terraform/envs/<env>``; the sandbox's in its folder.

    Why the sandbox's goes with the sandbox: two sandboxes (a demo and the test tiers, or two test tiers side by
    side) share one checkout; their plans and backend settings must not overwrite each other's in the stack folder.
    """
    if params.is_sandbox:
        return (sandbox_dir() / "terraform" / "data" / stack_dir.name).resolve()
    return stack_dir / ".terraform" / "envs" / params.env


def _absolute(path: str | Path, root: Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() else (root / path)


def _resolve_stack(stack: str | Path, params: RunbookParams, root: Path) -> Path:
    candidate = Path(stack)
    if candidate.is_dir():
        return candidate.resolve()
    under = _absolute(params.terraform.stacks_dir, root) / str(stack)
    if under.is_dir():
        return under.resolve()
    raise ParamsError(
        "stack",
        str(stack),
        f"a stack directory or a name under terraform.stacks_dir ({under.parent})",
        message=f"no stack {stack!r}: neither {candidate} nor {under} is a directory",
    )
