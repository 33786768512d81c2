"""Make Terraform work offline: write its CLI configuration so providers come from the local mirror.

Why: here, as on many locked-down operator machines, the Terraform registry is out of reach, but
the AWS provider is laid out as a *provider filesystem mirror*. ``install_cli_config`` writes a
Terraform CLI configuration that takes what the mirror holds from the mirror and everything else
``direct``, so the same configuration works offline here and unchanged on a machine with network.

Finding the mirror is :func:`runbook_lib.tools.find_provider_mirror` (``runbook tools status``
reports it with the other tools, and ``tools`` sits below ``terraform``); this module only writes
the configuration that uses it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from runbook_lib.tools import ProviderMirror, cli_config_path, find_provider_mirror

CLI_CONFIG_MARKER = "# Managed by `runbook tools install`."


def render_cli_config(mirror: ProviderMirror) -> str:
    """A CLI config: what the mirror holds comes from the mirror, the rest ``direct``."""
    providers = sorted(mirror.providers)
    listed = ", ".join(f'"{p}"' for p in providers)
    return (
        f"{CLI_CONFIG_MARKER} Mirror found by {mirror.found_by}.\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror.path}"\n'
        f"    include = [{listed}]\n"
        "  }\n"
        "  direct {\n"
        f"    exclude = [{listed}]\n"
        "  }\n"
        "}\n"
    )


@dataclass(frozen=True)
class InstallResult:
    """What ``install_cli_config`` did."""

    path: Path
    action: str  # "written", "unchanged", "refused", "replaced"
    message: str
    mirror: Path | None = None


def install_cli_config(mirror_path: str | Path | None = None, *, force: bool = False) -> InstallResult:
    """Write the Terraform CLI configuration for the found mirror.

    A user's own configuration (one without our marker line) is never
    overwritten unless ``force``; then it is kept as ``<file>.bak``. A second
    run with the same mirror changes nothing and says so.
    """
    mirror = find_provider_mirror(mirror_path)
    path = cli_config_path()
    text = render_cli_config(mirror)
    if path.exists():
        current = path.read_text()
        if current == text:
            return InstallResult(
                path, "unchanged", f"{path} already points at {mirror.path}; nothing changed", mirror.path
            )
        if not current.startswith(CLI_CONFIG_MARKER) and not force:
            return InstallResult(
                path,
                "refused",
                f"{path} is your own CLI configuration; not overwritten. Add this block to it, or re-run with --force "
                f"(keeps a .bak):\n{text}",
                mirror.path,
            )
        if not current.startswith(CLI_CONFIG_MARKER):
            shutil.copy2(path, path.with_suffix(path.suffix + ".bak"))
        path.write_text(text)
        return InstallResult(path, "replaced", f"updated {path} to use the mirror {mirror.path}", mirror.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return InstallResult(path, "written", f"wrote {path}: providers from {mirror.path}, the rest direct", mirror.path)
