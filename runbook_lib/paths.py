"""Where the project's folders are: the checkout, ``params/``, ``outputs/`` and the sandbox's state.

A leaf: imports nothing of ours, so every layer may import it. Environment variables win over the
checkout layout so tests and CI can isolate a run (``RUNBOOK_PARAMS_DIR``, ``RUNBOOK_SANDBOX_DIR``).
"""

from __future__ import annotations

import os
from pathlib import Path

PARAMS_DIR_ENV = "RUNBOOK_PARAMS_DIR"
SANDBOX_DIR_ENV = "RUNBOOK_SANDBOX_DIR"


def project_root() -> Path:
    """The checkout holding ``runbook_lib/`` and ``params/`` (editable install), else the working directory."""
    candidate = Path(__file__).resolve().parent.parent
    return candidate if (candidate / "params").is_dir() else Path.cwd()


def params_dir() -> Path:
    """``params/`` of the project; ``RUNBOOK_PARAMS_DIR`` overrides it (e.g. for tests)."""
    override = os.environ.get(PARAMS_DIR_ENV)
    return Path(override) if override else project_root() / "params"


def outputs_dir() -> Path:
    """``outputs/`` of the project: where run folders (evidence) and checkpoints go by default."""
    return project_root() / "outputs"


def sandbox_dir() -> Path:
    """The running sandbox's state folder; ``RUNBOOK_SANDBOX_DIR`` overrides ``<project>/.sandbox``."""
    return Path(os.environ.get(SANDBOX_DIR_ENV) or project_root() / ".sandbox")
