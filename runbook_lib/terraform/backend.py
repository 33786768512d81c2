"""Which Terraform to run and where its state lives: the binary, and a stack's ``-backend-config`` values.

Nothing here decides *what* the backend points at: an AWS stand-in's endpoint URL is an argument,
given by whoever builds the runner (``infra.terraform_setup``), never looked up here.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbook_lib.errors import ToolMissingError
from runbook_lib.tools import find_terraform_binary

if TYPE_CHECKING:
    from runbook_lib.params import RunbookParams

log = logging.getLogger("runbook_lib.terraform.backend")


def resolve_binary(binary: str = "auto") -> str:
    """The executable for ``auto``, ``terraform``, ``tofu``, or an explicit path.

    Raises:
        ToolMissingError: not found, naming what to install.
    """
    if os.sep in binary:
        if os.path.isfile(binary) and os.access(binary, os.X_OK):
            return binary
        raise ToolMissingError(binary, f"{binary} is not an executable file", hint="set terraform.binary to auto")
    _, path = find_terraform_binary(binary)
    return path


def _hcl_value(value: Any) -> str:
    """A backend-config value in HCL: JSON literals (strings, numbers, bools, objects) are valid HCL."""
    return json.dumps(value)


def render_backend_config(config: Mapping[str, Any]) -> str:
    """A ``.tfbackend`` file body: one ``key = value`` per line (maps such as ``endpoints`` allowed)."""
    return "".join(f"{key} = {_hcl_value(value)}\n" for key, value in config.items())


def detect_backend_type(stack_dir: Path) -> str | None:
    """The backend a stack declares (``s3``, ``local`` …), read with python-hcl2; None if none found."""
    try:
        import hcl2  # optional: installed with the sandbox tooling
    except ImportError:  # pragma: no cover - installed with the sandbox tooling
        log.debug("python-hcl2 is not installed; backend type of %s unknown", stack_dir)
        return None
    for tf in sorted(Path(stack_dir).glob("*.tf")):
        if tf.name.endswith("_override.tf"):
            continue
        try:
            with tf.open() as handle:
                parsed = hcl2.load(handle)
        except Exception as error:  # noqa: BLE001 - a parse problem is Terraform's to report, not ours
            log.debug("cannot parse %s: %s", tf, error)
            continue
        for block in parsed.get("terraform", []):
            for backend in block.get("backend", []):
                for name in backend:
                    return str(name).strip('"')
    return None


def backend_config_from_params(params: RunbookParams, stack_name: str, endpoint_url: str | None) -> dict[str, Any]:
    """``-backend-config`` values for a stack's S3 backend.

    With ``terraform.backend`` set: bucket, region, lock (the DynamoDB ``lock_table`` when given,
    else S3 lock files, Terraform >= 1.10) and key ``<key_prefix>/<stack>.tfstate``. Without it only
    the key ``<env>/<stack>.tfstate`` (the rest comes from ``envs/<env>/backend.hcl``). Against a
    stand-in the backend gets the endpoint and dummy credentials the provider override uses. No
    ``encrypt``: the state bucket's default encryption (SSE-KMS) applies.
    """
    backend = params.terraform.backend
    config: dict[str, Any] = {}
    if backend is not None:
        config.update(
            bucket=backend.bucket,
            key=f"{backend.key_prefix.rstrip('/')}/{stack_name}.tfstate",
            region=backend.region or params.aws.region,
        )
        if backend.lock_table:
            config["dynamodb_table"] = backend.lock_table
        else:
            config["use_lockfile"] = True
    else:
        config["key"] = f"{params.env}/{stack_name}.tfstate"
    if endpoint_url:
        config.update(
            {
                "endpoints": {
                    "s3": endpoint_url,
                    "dynamodb": endpoint_url,
                    "sts": endpoint_url,
                    "iam": endpoint_url,
                },
                "use_path_style": True,
                "skip_credentials_validation": True,
                "skip_requesting_account_id": True,
                "skip_metadata_api_check": True,
                "skip_region_validation": True,
                "access_key": "test",
                "secret_key": "test",
            }
        )
    elif params.aws.profile:
        config["profile"] = params.aws.profile
    return config
