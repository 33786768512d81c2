"""What code a run used: the git commit and a sha256 per source file, for ``--resume`` to compare.

Why: evidence that mixes two versions of the code proves nothing. A run records the fingerprint of
the phase notebooks (cell sources only: executing a notebook is not a change), the ``runbook_lib``
package, the Terraform code in ``terraform_infra/`` and the environment's tfvars; ``runbook run
--resume`` refuses to continue when any of them changed, unless the operator accepts the changes
(recorded in the evidence).

Terraform files the runbook or Terraform write while running are not code and are left out:
``.terraform/`` and other hidden files (the provider lock file included), ``*_override.tf``
(the sandbox endpoint override), state, saved plans and their reviews, and Markdown. Other
environments' folders under ``terraform_infra/envs/`` are left out too: editing ``dev`` tfvars does
not change a sandbox run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.evidence import git_commit

#: The Terraform tree a run fingerprints, relative to the project root.
INFRA_DIR = "terraform_infra"

#: Suffixes of files Terraform or the runbook write while running (never fingerprinted).
_GENERATED_SUFFIXES = (".tfstate", ".tfstate.backup", ".tfplan", ".review.json", ".md", ".pyc", ".zip")


@dataclass(frozen=True)
class CodeFingerprint:
    """What code a run used: the git commit and a sha256 per source file."""

    git_commit: str
    sources_sha256: str
    files: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "git_commit": self.git_commit,
            "sources_sha256": self.sources_sha256,
            "files": dict(self.files),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CodeFingerprint:
        return cls(
            git_commit=str(data.get("git_commit", "unknown")),
            sources_sha256=str(data.get("sources_sha256", "")),
            files=dict(data.get("files", {})),
        )

    def changes_since(self, earlier: CodeFingerprint) -> list[str]:
        """What differs from ``earlier``, one phrase each (empty when nothing did)."""
        changes = []
        if self.git_commit != earlier.git_commit:
            changes.append(f"git commit {earlier.git_commit[:12]} -> {self.git_commit[:12]}")
        for name in sorted(set(self.files) | set(earlier.files)):
            if name not in earlier.files:
                changes.append(f"{name} added")
            elif name not in self.files:
                changes.append(f"{name} removed")
            elif self.files[name] != earlier.files[name]:
                changes.append(f"{name} changed")
        if not changes and self.sources_sha256 != earlier.sources_sha256:
            changes.append("sources hash differs")
        return changes


def _notebook_source_hash(path: Path) -> str:
    """Hash of a notebook's cell types and sources only: executing it in Jupyter is not a change."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        cells = [
            [
                cell.get("cell_type"),
                "".join(cell.get("source", "")) if isinstance(cell.get("source"), list) else cell.get("source", ""),
            ]
            for cell in document.get("cells", [])
        ]
        payload = json.dumps(cells, sort_keys=True, ensure_ascii=False).encode("utf-8")
    except (ValueError, AttributeError):
        payload = path.read_bytes()
    return hashlib.sha256(payload).hexdigest()


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_terraform_source(relative: Path) -> bool:
    """Whether a file under a Terraform folder is code an operator wrote (not something a run wrote)."""
    if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
        return False
    name = relative.name
    if name.endswith(_GENERATED_SUFFIXES) or ".tfstate." in name or ".tfplan" in name:
        return False
    return not (name == "override.tf" or name.endswith(("_override.tf", "_override.tf.json")))


def _tree(folder: Path, label: str, skip: Iterable[Path] = ()) -> dict[str, str]:
    """``label/relative`` -> sha256 of each Terraform source file under ``folder`` (minus ``skip``)."""
    skipped = [s.resolve() for s in skip]
    files: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(folder)
        if not is_terraform_source(relative) or any(path.resolve().is_relative_to(s) for s in skipped):
            continue
        files[f"{label}/{relative.as_posix()}"] = _file_hash(path)
    return files


def _label(path: Path, root: Path) -> str:
    resolved = path.resolve()
    return resolved.relative_to(root.resolve()).as_posix() if resolved.is_relative_to(root.resolve()) else str(resolved)


def infra_fingerprint(root: Path, env_dir: Path | None = None, var_files: Iterable[Path] = ()) -> dict[str, str]:
    """sha256 per Terraform source file a run of one environment depends on.

    Args:
        root: the project root; ``root/terraform_infra`` is fingerprinted without its ``envs/`` folder.
        env_dir: this environment's folder of tfvars and backend config (``terraform.env_dir``).
        var_files: extra tfvars files of this environment (``terraform.var_files``).

    Returns:
        Run-relative labels (``terraform_infra/stacks/01_network_iam/main.tf``) -> sha256; empty when the
        project has no Terraform folder.
    """
    files: dict[str, str] = {}
    infra = root / INFRA_DIR
    if infra.is_dir():
        files.update(_tree(infra, INFRA_DIR, skip=[infra / "envs"]))
    if env_dir is not None and env_dir.is_dir():
        files.update(_tree(env_dir, _label(env_dir, root)))
    for var_file in var_files:
        if var_file.is_file():
            files[_label(var_file, root)] = _file_hash(var_file)
    return files


def code_fingerprint(
    notebooks_dir: Path,
    lib_dir: Path | None = None,
    repo_dir: Path | None = None,
    *,
    infra_files: Mapping[str, str] | None = None,
) -> CodeFingerprint:
    """Fingerprint the notebooks (cell sources), the library (every file but bytecode) and the Terraform code.

    Args:
        notebooks_dir: the phase notebooks.
        lib_dir: the ``runbook_lib`` package folder (default: the one imported).
        repo_dir: where ``git rev-parse HEAD`` runs (default: the project root).
        infra_files: :func:`infra_fingerprint` of the environment (default: none).
    """
    lib_dir = lib_dir or Path(__file__).resolve().parent.parent
    files: dict[str, str] = {}
    for path in sorted(notebooks_dir.glob("*.ipynb")):
        files[f"notebooks/{path.name}"] = _notebook_source_hash(path)
    for path in sorted(lib_dir.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
            continue
        files[f"{lib_dir.name}/{path.relative_to(lib_dir).as_posix()}"] = _file_hash(path)
    files.update(infra_files or {})
    combined = hashlib.sha256("".join(f"{k}:{v}\n" for k, v in sorted(files.items())).encode()).hexdigest()
    return CodeFingerprint(git_commit=git_commit(repo_dir), sources_sha256=combined, files=files)


__all__ = ["CodeFingerprint", "code_fingerprint", "infra_fingerprint", "is_terraform_source"]
