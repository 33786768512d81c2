"""The migrator kinds, registered in one visible list at the bottom of this module.

Why a list and not discovery: a newcomer (and ``runbook migrate KIND``) should see in one place
which kinds exist and which class moves each; importing every module of a folder to find out
hides that and runs import side effects. An unknown kind raises an error that lists the known ones.
"""

from __future__ import annotations

from runbook_lib.errors import ParamsError
from runbook_lib.migrate.base import Migrator
from runbook_lib.migrate.kafka import KafkaMigrator
from runbook_lib.migrate.mongo import MongoMigrator
from runbook_lib.migrate.objects import S3Migrator
from runbook_lib.migrate.postgres import PostgresMigrator

_KINDS: dict[str, type[Migrator]] = {}


def register_migrator(cls: type[Migrator]) -> type[Migrator]:
    """Make ``cls`` available by its ``kind``; a second class for a taken kind is refused."""
    existing = _KINDS.get(cls.kind)
    if existing is not None and existing is not cls:
        raise ValueError(f"migration kind {cls.kind!r} is already registered to {existing.__name__}")
    _KINDS[cls.kind] = cls
    return cls


def get_migrator(kind: str) -> type[Migrator]:
    """The migrator class for ``kind``; an unknown kind lists the known ones."""
    try:
        return _KINDS[kind]
    except KeyError:
        raise ParamsError("migration kind", kind, sorted(_KINDS)) from None


def known_kinds() -> list[str]:
    return sorted(_KINDS)


register_migrator(S3Migrator)
register_migrator(PostgresMigrator)
register_migrator(MongoMigrator)
register_migrator(KafkaMigrator)
