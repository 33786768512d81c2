"""Reading ``params/<env>.yaml`` into a validated :class:`~runbook_lib.params.model.RunbookParams`.

Relative paths in a params file (``terraform.stacks_dir``, ``evidence.outputs_dir`` …) are relative to
the project root, the folder that holds ``params/``: :func:`resolve_path` and
:func:`resolve_outputs_dir` make them absolute.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from runbook_lib import redact
from runbook_lib.errors import ParamsError
from runbook_lib.params.messages import dotted_key, params_error_from_validation
from runbook_lib.params.model import RunbookParams
from runbook_lib.params.secret_refs import reject_literal_secrets
from runbook_lib.paths import params_dir as params_dir_default
from runbook_lib.paths import project_root


def available_envs(params_dir: Path | None = None) -> list[str]:
    """Environment names that have a params file."""
    directory = params_dir or params_dir_default()
    return sorted(p.stem for p in directory.glob("*.yaml")) if directory.is_dir() else []


def load_params(env: str, params_dir: Path | None = None) -> RunbookParams:
    """Read and validate ``params/<env>.yaml``.

    Args:
        env: environment name (the file stem).
        params_dir: folder of params files; defaults to the project's ``params/``.

    Returns:
        The validated parameters. The configured ``evidence.redact_patterns`` are added to the
        process-wide redactor as a side effect, so any process that loads params also hides what
        they say to hide.

    Raises:
        ParamsError: unknown environment, unreadable YAML, or any invalid value (``key`` is its dotted path).
    """
    directory = params_dir or params_dir_default()
    envs = available_envs(directory)
    if env not in envs:
        raise ParamsError("env", env, envs or [f"(no *.yaml files in {directory})"], message=f"unknown env {env!r}")
    return load_params_file(directory / f"{env}.yaml", env=env)


def load_params_file(path: str | Path, *, env: str | None = None) -> RunbookParams:
    """Read and validate one params file (notebooks get its path as the ``params_file`` parameter).

    Args:
        path: the YAML file.
        env: if given, the file's ``env`` must equal it.

    Raises:
        ParamsError: as :func:`load_params`.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ParamsError(
            "params_file", str(path), "a readable YAML file", message=f"cannot read {path}: {error}"
        ) from None
    try:
        _refuse_duplicate_keys(yaml.compose(text, Loader=yaml.SafeLoader), path)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ParamsError(
            "params_file", str(path), "valid YAML", message=f"{path} is not valid YAML{where}: {error}"
        ) from None
    if not isinstance(data, dict):
        raise ParamsError(
            "params_file", str(path), "a YAML mapping with env, aws, terraform, gates, migration, evidence"
        )
    if env is not None and data.get("env") != env:
        raise ParamsError(
            "env", data.get("env"), [env], message=f"{path.name} says env={data.get('env')!r}, expected {env!r}"
        )
    params = parse_params(data)
    _require_var_files(params)
    redact.add_patterns(params.evidence.redact_patterns)
    return params


def _refuse_duplicate_keys(node: yaml.Node | None, path: Path) -> None:
    """Refuse a mapping that names one key twice (YAML keeps the later one silently).

    Why: a second ``aws:`` block further down a long file would replace the region or the accounts of the
    first without a word. Walks the composed node tree (aliases once), so the error gives the dotted key
    and both line numbers.

    Raises:
        ParamsError: ``key`` is the dotted path of the repeated key.
    """
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(node, ())] if node is not None else []
    seen_nodes: set[int] = set()
    while stack:
        current, loc = stack.pop()
        if id(current) in seen_nodes:
            continue
        seen_nodes.add(id(current))
        if isinstance(current, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key_node, value_node in current.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                    stack.append((value_node, loc))
                    continue
                key, line = key_node.value, key_node.start_mark.line + 1
                if key in first_line:
                    dotted = dotted_key((*loc, key))
                    raise ParamsError(
                        dotted,
                        None,
                        "each key once per mapping",
                        message=f"{path.name}: key {dotted} appears twice (lines {first_line[key]} and {line}); "
                        "YAML would keep the second silently",
                    )
                first_line[key] = line
                stack.append((value_node, (*loc, key)))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, (*loc, index)) for index, item in enumerate(current.value))


def _require_var_files(params: RunbookParams) -> None:
    """Every ``terraform.var_files`` entry must exist now, not when a stack is planned hours into a run.

    Relative entries are relative to the project root, as :func:`runbook_lib.infra.terraform_setup` reads them.
    """
    for index, entry in enumerate(params.terraform.var_files):
        file = resolve_path(entry)
        if not file.is_file():
            raise ParamsError(
                f"terraform.var_files[{index}]",
                str(entry),
                f"an existing .tfvars file (relative paths are relative to {project_root()})",
                message=f"terraform.var_files[{index}]: {file} does not exist",
            )


def parse_params(data: Mapping[str, Any]) -> RunbookParams:
    """Validate an already-parsed mapping (what :func:`load_params_file` does after YAML).

    Raises:
        ParamsError: for a literal secret (checked first, so the secret is never echoed) or any invalid value.
    """
    reject_literal_secrets(data)
    try:
        return RunbookParams.model_validate(data)
    except ValidationError as error:
        raise params_error_from_validation(error, RunbookParams) from None


def resolve_path(path: Path, root: Path | None = None) -> Path:
    """A params path made absolute: relative paths are relative to the project root."""
    return path if path.is_absolute() else (root or project_root()) / path


def resolve_outputs_dir(params: RunbookParams, params_dir: Path | None = None) -> Path:
    """``evidence.outputs_dir`` made absolute the way ``runbook run`` does it.

    Why relative to the parent of the params folder rather than to :func:`project_root`: with
    ``RUNBOOK_PARAMS_DIR`` (or ``--params-dir``) pointing at another checkout or a test's folder, the run
    folders — and the migration checkpoints that live beside them — belong to that tree, not to this one.
    For the project's own ``params/`` both are the same folder.

    Args:
        params: the validated parameters.
        params_dir: the folder the params file was read from (default :func:`runbook_lib.paths.params_dir`).
    """
    base = (params_dir or params_dir_default()).resolve().parent
    return resolve_path(params.evidence.outputs_dir, base).resolve()
