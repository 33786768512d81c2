"""PostgreSQL -> RDS for PostgreSQL: :class:`PostgresMigrator` (``migrator``) and the steps it coordinates.

Imported by ``migrate.registry`` and ``migrate.at_scale`` (and tests, benchmarks); its modules import
``migrate.base``, ``params``/``clients``/``endpoints``/``tools``/``process`` and the leaves. Only re-exports.
"""

from runbook_lib.migrate.postgres.checkpoint import (
    DataEntry,
    PgCheckpoint,
    SchemaCheckpoint,
    SchemaStep,
    dump_checksum,
)
from runbook_lib.migrate.postgres.checksums import (
    combine_row_hashes,
    compare_keyed,
    compare_multisets,
    row_hash64,
    table_checksum_sql,
)
from runbook_lib.migrate.postgres.compat import evaluate_compatibility, load_rds_extensions
from runbook_lib.migrate.postgres.identifiers import TableRef, quote_ident
from runbook_lib.migrate.postgres.inventory import SourceInventory, TargetInventory
from runbook_lib.migrate.postgres.libpq import PgEndpoint, PgTools, passfile_env, with_host_port
from runbook_lib.migrate.postgres.migrator import PostgresMigrator
from runbook_lib.migrate.postgres.toc import TocEntry, parse_toc

__all__ = [
    "DataEntry",
    "PgCheckpoint",
    "PgEndpoint",
    "PgTools",
    "PostgresMigrator",
    "SchemaCheckpoint",
    "SchemaStep",
    "SourceInventory",
    "TableRef",
    "TargetInventory",
    "TocEntry",
    "combine_row_hashes",
    "compare_keyed",
    "compare_multisets",
    "dump_checksum",
    "evaluate_compatibility",
    "load_rds_extensions",
    "parse_toc",
    "passfile_env",
    "quote_ident",
    "row_hash64",
    "table_checksum_sql",
    "with_host_port",
]
