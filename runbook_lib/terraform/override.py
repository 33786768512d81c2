"""Point unchanged Terraform stacks at an AWS stand-in (the sandbox's moto server).

Why an override file: the very stacks that target a real account must target
the emulator without copied code. Terraform merges ``*_override.tf`` files into
the configuration, so writing one provider override per ``aws`` provider block
(default and aliased) redirects every call, as LocalStack's ``tflocal`` does.

Terraform reads *every* ``*.tf`` of the stack directory, whichever environment
runs it, so the file must never be there when another environment's command
runs: the runner (:class:`~runbook_lib.terraform.runner.TerraformRunner`) holds
the stack directory's lock for each command, writes the file just before a
sandbox command and removes it right after (see ``docs/decisions.md``).

Every endpoint key the AWS provider knows is set, not only the services our
stacks use: a service left out would send its calls to the real AWS (seen
when a third-party module used ElastiCache and Redshift). The key list comes
from ``terraform providers schema -json`` of the provider in use when it can be
read, else from the list shipped with this package (taken from provider
5.100.0). One key per service: the provider also accepts aliases (``s3api``
for ``s3``, ``cloudwatchlogs`` for ``logs``, ...) and warns "Only one of the
following attributes should be set ... This will be an error in a future
release" when a service and its alias are both set, so aliases are dropped
where the canonical key is set (:func:`canonical_endpoint_keys`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from runbook_lib.errors import RunbookError

log = logging.getLogger("runbook_lib.terraform.override")

OVERRIDE_FILE_NAME = "_sandbox_override.tf"
_HEADER = "# Written by runbook_lib.terraform.override for the local sandbox. Do not commit; do not edit.\n"


@dataclass(frozen=True)
class ProviderBlock:
    """One ``provider "aws"`` block of a stack: its alias (None for the default)."""

    alias: str | None


def shipped_endpoint_keys() -> list[str]:
    """The endpoint keys of the AWS provider version this package was built against."""
    text = resources.files("runbook_lib.data").joinpath("aws_provider_endpoint_keys.json").read_text()
    return list(json.loads(text)["keys"])


def endpoint_key_aliases() -> dict[str, list[str]]:
    """Canonical endpoint key -> its aliases, as the provider's service names data lists them (shipped)."""
    text = resources.files("runbook_lib.data").joinpath("aws_provider_endpoint_keys.json").read_text()
    return {k: list(v) for k, v in json.loads(text).get("aliases", {}).items()}


def canonical_endpoint_keys(keys: list[str], aliases: dict[str, list[str]] | None = None) -> list[str]:
    """``keys`` with one key per service: an alias is dropped when its canonical key (or an earlier alias) is there.

    Every service stays redirected — its one key is kept — so nothing reaches the real AWS.
    """
    aliases = endpoint_key_aliases() if aliases is None else aliases
    present = set(keys)
    dropped: set[str] = set()
    for canonical, names in aliases.items():
        group = [k for k in (canonical, *names) if k in present]
        dropped.update(group[1:])
    return [k for k in keys if k not in dropped]


def endpoint_keys_from_schema(schema: dict) -> list[str]:
    """Endpoint keys from ``terraform providers schema -json`` output (the provider actually installed)."""
    for address, provider in schema.get("provider_schemas", {}).items():
        if address.endswith("hashicorp/aws"):
            block = provider["provider"]["block"]
            return sorted(block["block_types"]["endpoints"]["block"]["attributes"])
    raise RunbookError("the provider schema holds no hashicorp/aws provider", hint="run terraform init in the stack")


def find_aws_provider_blocks(stack_dir: Path) -> list[ProviderBlock]:
    """The ``provider "aws"`` blocks declared in a stack's own ``.tf`` files, parsed with python-hcl2.

    Override files may only override blocks that exist, so the default block is
    only written when the stack declares it; aliased blocks get their own
    override so that a replica-region provider is redirected too.
    """
    import hcl2  # lazy: only needed when an endpoint override is written

    blocks: list[ProviderBlock] = []
    for tf in sorted(stack_dir.glob("*.tf")):
        if tf.name.endswith("_override.tf") or tf.name == "override.tf":
            continue
        with tf.open() as handle:
            parsed = hcl2.load(handle)
        for provider in parsed.get("provider", []):
            for name, body in provider.items():
                if name.strip('"') != "aws":
                    continue
                alias = body.get("alias")
                blocks.append(ProviderBlock(alias=alias.strip('"') if isinstance(alias, str) else None))
    return blocks


def render_override(
    endpoint_url: str,
    region: str,
    *,
    blocks: list[ProviderBlock],
    endpoint_keys: list[str],
    max_retries: int = 2,
) -> str:
    """The HCL text of the override for the given provider blocks (one endpoint key per service)."""
    endpoint_keys = canonical_endpoint_keys(list(endpoint_keys))
    out = [_HEADER]
    for block in blocks:
        out.append('provider "aws" {\n')
        if block.alias:
            out.append(f'  alias                       = "{block.alias}"\n')
        out.append(f'  region                      = "{region}"\n' if block.alias is None else "")
        out.append('  access_key                  = "test"\n')
        out.append('  secret_key                  = "test"\n')
        out.append("  skip_credentials_validation = true\n")
        out.append("  skip_metadata_api_check     = true\n")
        out.append("  s3_use_path_style           = true\n")
        out.append(f"  max_retries                 = {max_retries}\n")
        out.append("  endpoints {\n")
        width = max(len(k) for k in endpoint_keys)
        for key in endpoint_keys:
            out.append(f'    {key.ljust(width)} = "{endpoint_url}"\n')
        out.append("  }\n}\n\n")
    return "".join(out)


def write_override(stack_dir: Path, endpoint_url: str, region: str) -> Path:
    """Write ``_sandbox_override.tf`` (the shipped endpoint keys, few retries) into ``stack_dir``; returns its path.

    Arguments as in :func:`override_text`, which renders it.
    """
    return write_override_text(stack_dir, override_text(stack_dir, endpoint_url, region))


def override_text(
    stack_dir: Path,
    endpoint_url: str,
    region: str,
    *,
    endpoint_keys: list[str] | None = None,
    max_retries: int = 2,
) -> str:
    """The override :func:`write_override` writes, without writing it (a runner renders it once per stack).

    Args:
        stack_dir: the Terraform root to redirect.
        endpoint_url: the AWS stand-in, e.g. ``http://127.0.0.1:45123``.
        region: region for the default provider block (aliases keep their own).
        endpoint_keys: endpoint keys to set; defaults to the shipped list.
        max_retries: few retries so an unimplemented call (HTTP 500) fails fast.

    Raises:
        RunbookError: the stack declares no ``provider "aws"`` block.
    """
    stack_dir = Path(stack_dir)
    blocks = find_aws_provider_blocks(stack_dir)
    if not blocks:
        raise RunbookError(
            f"{stack_dir} declares no provider \"aws\" block, so there is nothing to point at the sandbox",
            hint='add `provider "aws" { region = var.region }` to the stack',
        )
    keys = endpoint_keys or shipped_endpoint_keys()
    log.debug("override for %s: %d provider blocks, %d endpoints", stack_dir, len(blocks), len(keys))
    return render_override(endpoint_url, region, blocks=blocks, endpoint_keys=keys, max_retries=max_retries)


def write_override_text(stack_dir: Path, text: str) -> Path:
    """Write an override rendered by :func:`override_text` into ``stack_dir``; returns its path."""
    path = Path(stack_dir) / OVERRIDE_FILE_NAME
    path.write_text(text)
    log.debug("wrote %s", path)
    return path


def remove_override(stack_dir: Path) -> bool:
    """Delete the override file if present; True when one was removed."""
    path = Path(stack_dir) / OVERRIDE_FILE_NAME
    if path.exists():
        path.unlink()
        return True
    return False
