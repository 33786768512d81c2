"""MongoDB -> Amazon DocumentDB: compatibility check, batched resumable copy, content verification.

:class:`MongoMigrator` (``migrator``) coordinates ``compat``, ``copy`` and ``verify``; the registry, the
at-scale path and tests import from here. Re-exports only.
"""

from runbook_lib.migrate.mongo.checkpoint import CHECKPOINT_VERSION, CollectionState, MongoCheckpoint
from runbook_lib.migrate.mongo.compat import check_compatibility, index_key_size
from runbook_lib.migrate.mongo.copy import resume_filter, type_bracket, write_batch
from runbook_lib.migrate.mongo.documents import collection_checksum, doc_hash64, id_key, id_text
from runbook_lib.migrate.mongo.indexes import normalize_index
from runbook_lib.migrate.mongo.listing import DatabaseSpec
from runbook_lib.migrate.mongo.migrator import MongoMigrator
from runbook_lib.migrate.mongo.rules import (
    DocumentDbRules,
    evaluate_collection,
    evaluate_partial_filter,
    find_operators,
    index_key_types,
    pipeline_stages,
)
from runbook_lib.migrate.mongo.verify import verify_collection

__all__ = [
    "CHECKPOINT_VERSION",
    "CollectionState",
    "DatabaseSpec",
    "DocumentDbRules",
    "MongoCheckpoint",
    "MongoMigrator",
    "check_compatibility",
    "collection_checksum",
    "doc_hash64",
    "evaluate_collection",
    "evaluate_partial_filter",
    "find_operators",
    "id_key",
    "id_text",
    "index_key_size",
    "index_key_types",
    "normalize_index",
    "pipeline_stages",
    "resume_filter",
    "type_bracket",
    "verify_collection",
    "write_batch",
]
