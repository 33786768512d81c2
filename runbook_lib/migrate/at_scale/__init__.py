"""Moves too big for the direct path: AWS DMS (databases) and AWS DataSync (objects), and the choice by size.

Imported by ``phases`` and ``cli`` (``from runbook_lib.migrate import at_scale``); imports the migrators
it hands over to and the leaves. Re-exports only: the choice, the two drivers, the runs table, DMS's pieces.
"""

from runbook_lib.migrate.at_scale.datasync_path import run_datasync
from runbook_lib.migrate.at_scale.dms import (
    DEFAULT_TASK_SETTINGS,
    DOCUMENTDB_TASK_SETTINGS,
    MIGRATION_TYPES,
    DmsEndpoint,
    DmsMigration,
    MongoUri,
    PathChoice,
    TaskProgress,
    collection_mappings,
    dms_identifier,
    parse_mongo_uri,
    table_mappings,
)
from runbook_lib.migrate.at_scale.dms_path import (
    BILLING_NOTE,
    CDC_NOTE,
    DMS_KINDS,
    LARGE_OBJECTS_NOTE,
    MONGO_INDEX_NOTE,
    POST_DATA_PENDING_NOTE,
    SANDBOX_DMS_NOTE,
    SANDBOX_MONGO_NOTE,
    SANDBOX_MONGO_URI,
    SCHEMA_NOTE,
    SEQUENCES_CDC_NOTE,
    run_dms,
)
from runbook_lib.migrate.at_scale.path_choice import (
    AT_SCALE_PATHS,
    PATHS,
    PathDecision,
    decide,
    estimate_size,
    missing_section_key,
    required_section,
)
from runbook_lib.migrate.at_scale.runs import RUN_COLUMNS, AtScaleRun, copy_report_details

__all__ = [
    "AT_SCALE_PATHS",
    "BILLING_NOTE",
    "CDC_NOTE",
    "DEFAULT_TASK_SETTINGS",
    "DMS_KINDS",
    "DOCUMENTDB_TASK_SETTINGS",
    "LARGE_OBJECTS_NOTE",
    "MIGRATION_TYPES",
    "MONGO_INDEX_NOTE",
    "PATHS",
    "POST_DATA_PENDING_NOTE",
    "RUN_COLUMNS",
    "SANDBOX_DMS_NOTE",
    "SANDBOX_MONGO_NOTE",
    "SANDBOX_MONGO_URI",
    "SCHEMA_NOTE",
    "SEQUENCES_CDC_NOTE",
    "AtScaleRun",
    "DmsEndpoint",
    "DmsMigration",
    "MongoUri",
    "PathChoice",
    "PathDecision",
    "TaskProgress",
    "collection_mappings",
    "copy_report_details",
    "decide",
    "dms_identifier",
    "estimate_size",
    "missing_section_key",
    "parse_mongo_uri",
    "required_section",
    "run_datasync",
    "run_dms",
    "table_mappings",
]
