"""Data migrators, registered by kind. Importing this package registers the built-in ones."""

from __future__ import annotations

import importlib
import pkgutil

from runbook_lib.migrate.base import (  # noqa: F401 - public API
    CheckReport,
    CopyReport,
    Finding,
    MigrationResult,
    Migrator,
    VerifyReport,
    VerifyRow,
    get_migrator,
    known_kinds,
    register_migrator,
)

for _info in pkgutil.iter_modules(__path__):
    if _info.name not in ("base",) and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")
