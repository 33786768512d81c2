"""What a DMS task moves and how: table mappings (which tables or collections) and task settings.

Why these defaults: the schema comes from the native tools (``pg_restore --section=pre-data`` before
the task), so the task keeps the prepared tables and empties a reloaded one first
(``TRUNCATE_BEFORE_LOAD``); a restarted task never duplicates rows. For MongoDB, DMS treats a
database as a schema and a collection as a table.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from runbook_lib.errors import ParamsError

#: Task settings for a homogeneous move whose schema the native tools create (see the module docstring).
#: ``TargetTablePrepMode`` belongs to ``FullLoadSettings`` (``TargetMetadata`` has no such key).
DEFAULT_TASK_SETTINGS: dict[str, Any] = {
    "TargetMetadata": {
        "SupportLobs": True,
        "FullLobMode": False,
        "LimitedSizeLobMode": True,
        "LobMaxSize": 32,
    },
    "FullLoadSettings": {"TargetTablePrepMode": "TRUNCATE_BEFORE_LOAD", "MaxFullLoadSubTasks": 8},
    "Logging": {"EnableLogging": True},
    "ValidationSettings": {"EnableValidation": True, "ThreadCount": 5},
}

#: MongoDB -> DocumentDB: the same, without DMS's own validation (the Mongo migrator's ``verify()``,
#: hashes of every document's BSON, is the proof; DMS's validation targets relational tables).
DOCUMENTDB_TASK_SETTINGS: dict[str, Any] = {
    **copy.deepcopy(DEFAULT_TASK_SETTINGS),
    "ValidationSettings": {"EnableValidation": False},
}


def table_mappings(schemas: Sequence[str] = ("%",)) -> dict[str, Any]:
    """Selection rules including every table of each schema (``%`` = all)."""
    return {
        "rules": [
            {
                "rule-type": "selection",
                "rule-id": str(i + 1),
                "rule-name": f"include-{schema}",
                "object-locator": {"schema-name": schema, "table-name": "%"},
                "rule-action": "include",
            }
            for i, schema in enumerate(schemas)
        ]
    }


def collection_mappings(
    database: str, collections: Sequence[str], *, target_database: str | None = None
) -> dict[str, Any]:
    """One selection rule per collection of a MongoDB ``database`` (DMS: database = schema, collection = table).

    Named collections rather than ``%``: the migrator decided what moves (views and ``system.*``
    excluded, or the subset the parameters list), and DMS moves exactly that. A ``target_database``
    other than ``database`` adds a rule renaming the schema (the database) on the target.
    """
    if not collections:
        raise ParamsError(
            "collections", [], "at least one collection to move", message=f"{database} has no collection to move"
        )
    rules: list[dict[str, Any]] = [
        {
            "rule-type": "selection",
            "rule-id": str(i + 1),
            "rule-name": f"include-{database}-{name}"[:255],
            "object-locator": {"schema-name": database, "table-name": name},
            "rule-action": "include",
        }
        for i, name in enumerate(collections)
    ]
    if target_database and target_database != database:
        rules.append(
            {
                "rule-type": "transformation",
                "rule-id": str(len(rules) + 1),
                "rule-name": f"rename-{database}",
                "rule-target": "schema",
                "object-locator": {"schema-name": database},
                "rule-action": "rename",
                "value": target_database,
            }
        )
    return {"rules": rules}
