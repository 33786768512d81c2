"""Data migrators: one kind of data each (objects, PostgreSQL, MongoDB), behind check -> copy -> verify -> report.

Imported by ``phases`` and ``cli``; imports ``params``, ``clients``/``endpoints``, ``sandbox`` bindings and
the leaves. ``registry`` lists the kinds; ``at_scale`` holds the DMS/DataSync drivers and the path choice.
"""

from runbook_lib.migrate.base import (
    CheckReport,
    CopyReport,
    Finding,
    MigrationResult,
    Migrator,
    VerifyReport,
    VerifyRow,
)
from runbook_lib.migrate.registry import get_migrator, known_kinds, register_migrator

__all__ = [
    "CheckReport",
    "CopyReport",
    "Finding",
    "MigrationResult",
    "Migrator",
    "VerifyReport",
    "VerifyRow",
    "get_migrator",
    "known_kinds",
    "register_migrator",
]
