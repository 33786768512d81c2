"""The units ``runbook iac check`` reports on: the module and stack directories of ``terraform_infra``.

Every part of the check works on a snapshot of the tree (:func:`snapshot_tree`), so the files this
check generates (endpoint overrides, ``.terraform``, lock files) never touch the working tree.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

#: The logger every part of the check reports under (``runbook iac check`` has one log).
LOGGER_NAME = "runbook_lib.infra.iac_check"

#: Generated files a snapshot leaves out: they belong to whoever ran Terraform in the working tree.
_SNAPSHOT_IGNORE = shutil.ignore_patterns(
    ".terraform",
    "*_override.tf",
    "override.tf",
    "*.tfstate",
    "*.tfstate.*",
    "*.tfplan",
    "*.review.json",
    ".terraform.lock.hcl",
)


@dataclass(frozen=True)
class Unit:
    """A Terraform module or stack directory of ``terraform_infra``."""

    kind: str  # "module" | "stack"
    name: str

    @property
    def rel(self) -> str:
        return f"{self.kind}s/{self.name}"

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"


def discover_units(tf_root: Path) -> list[Unit]:
    """Every directory with ``.tf`` files under ``modules/`` and ``stacks/``, stacks in numeric order."""
    units: list[Unit] = []
    for kind in ("module", "stack"):
        base = tf_root / f"{kind}s"
        if base.is_dir():
            units += [Unit(kind, d.name) for d in sorted(base.iterdir()) if d.is_dir() and any(d.glob("*.tf"))]
    return units


def snapshot_tree(source: Path, target: Path) -> Path:
    """A fresh copy of ``terraform_infra`` without generated files (overrides, .terraform, state, plans)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=_SNAPSHOT_IGNORE)
    return target


def unit_of_file(path: str) -> str:
    """``modules/kms/main.tf`` -> ``module:kms``; ``envs/prod/x.tfvars`` -> ``env:prod``; else ``other``."""
    parts = Path(path.lstrip("/")).parts
    if len(parts) >= 2 and parts[0] in ("modules", "stacks", "envs"):
        return f"{parts[0][:-1]}:{parts[1]}"
    return "other"
