"""The sandbox's ``bindings.json``: what moto reports for RDS, MSK and DocumentDB -> the local service behind it.

Written by ``runbook_lib.sandbox`` when the sandbox starts, read by ``runbook_lib.endpoints`` when library code
asks where to connect; this module is the only one that touches the file. It lives beside the other
foundation modules, not inside ``sandbox/``, because the sandbox seeds its data through ``clients`` and
``clients`` resolve through the bindings: inside ``sandbox/`` the two packages would import each other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runbook_lib.errors import SandboxDownError
from runbook_lib.paths import sandbox_dir
from runbook_lib.util import atomic_write_text

BINDINGS_NAME = "bindings.json"


def bindings_path(root: Path | None = None) -> Path:
    return Path(root or sandbox_dir()) / BINDINGS_NAME


def write_bindings(bindings: Mapping[str, Any], root: Path | None = None) -> Path:
    """Replace the bindings file atomically (a reader never sees half of it)."""
    path = bindings_path(root)
    atomic_write_text(path, json.dumps(dict(bindings), indent=2))
    return path


def load_bindings(root: Path | None = None) -> dict[str, Any]:
    """The running sandbox's bindings; ``SandboxDownError`` when there is none."""
    path = bindings_path(root)
    if not path.exists():
        raise SandboxDownError("resolving a sandbox endpoint")
    return json.loads(path.read_text())
