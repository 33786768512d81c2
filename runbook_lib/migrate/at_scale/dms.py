"""At scale: AWS DMS full load (and change data capture) for databases too big to move with dump/restore.

Why a second path: ``pg_dump``/``pg_restore`` (and the batched Mongo copy) need the source frozen
from the dump until the restore is verified. Below ``migration.at_scale_threshold_bytes`` that
window is minutes; above it, hours. DMS copies the tables while the source stays live and, with
``full-load-and-cdc``, keeps applying changes until the cut-over, so the freeze shrinks to the
time CDC needs to catch up. :func:`choose_path` makes that call from the size (and from whether
writes must keep flowing).

What :class:`DmsMigration` does, idempotently by identifier (a re-run finds what exists):
replication instance (waits until ``available``), source and target endpoints (passwords go in the
API call or, better, as a Secrets Manager secret + access role; never in logs), a connection test
from the instance to each endpoint, the replication task, start (or resume), then
:meth:`~DmsMigration.follow`: a
progress bar on ``FullLoadProgressPercent`` until the full load finished (``full-load``) or until
CDC is running on top of a finished full load (``full-load-and-cdc``: time to stop the writers, let
the latency drain, then stop the task). Failures raise :class:`~runbook_lib.errors.DmsTaskError`
with DMS's own status fields. Verification afterwards is the same as for the native path: the
migrators' ``verify()`` (counts and checksums per table/collection), run once writes stopped.

Endpoints and mappings per engine:

* **PostgreSQL** (:meth:`DmsEndpoint.from_pg_endpoint`): table mappings include every table of the given
  schemas (:func:`table_mappings`). DMS creates tables minimally (no secondary indexes, constraints,
  defaults or sequence values), so the schema comes from the native tools: ``pg_restore
  --section=pre-data`` before the task, ``post-data`` and the sequence values after the full load
  (:mod:`runbook_lib.migrate.at_scale.dms_path` drives that through the PostgreSQL migrator). The task
  settings (:data:`DEFAULT_TASK_SETTINGS`) say ``TargetTablePrepMode=TRUNCATE_BEFORE_LOAD``: the
  prepared tables are kept, and a reloaded table is emptied first, so a restarted task never
  duplicates rows (the tables have no foreign keys yet, which TRUNCATE would trip over).
* **MongoDB -> DocumentDB** (:meth:`DmsEndpoint.from_mongo_uri`): a ``mongodb`` source in document
  mode (``NestingLevel=none``, ``ExtractDocId=false``: each document is copied whole, as AWS asks for
  a DocumentDB target) and a ``docdb`` target; DMS treats a database as a schema and a collection
  as a table, so :func:`collection_mappings` has one selection rule per collection (and renames the
  database when the target name differs). DMS copies documents and the ``_id`` index only: the
  secondary indexes are created by the Mongo migrator after the full load.

Not supported by moto (the sandbox's AWS), and therefore only exercised as far as moto goes:

* the replication instance is ``available`` at once; endpoints stay ``creating``; a connection test
  is ``successful`` at once; endpoint engines and settings are stored as given, never validated
  (``DescribeEndpoints`` returns them as they were sent);
* a task stays ``creating`` until started (real DMS: ``ready``), then jumps to ``running`` with fixed
  statistics (``FullLoadProgressPercent`` 100, one table loaded) and never stops by itself — so a
  ``full-load`` task never reports ``FULL_LOAD_ONLY_FINISHED`` and :meth:`~DmsMigration.follow` times out on it;
  table mappings and task settings are stored, never applied;
* ``DescribeTableStatistics`` is not implemented (:meth:`~DmsMigration.table_statistics` returns None and says
  so); CDC latency lives in CloudWatch (``CDCLatencySource``/``CDCLatencyTarget``), not read here;
* no data moves: the sandbox rehearses the control flow, not DMS's copy.

This module holds the choice by size (:func:`choose_path`) and re-exports the pieces:
:mod:`~runbook_lib.migrate.at_scale.dms_endpoints` (identifiers, URI parsing, ``CreateEndpoint``
arguments), :mod:`~runbook_lib.migrate.at_scale.dms_mappings` (table mappings, task settings) and
:mod:`~runbook_lib.migrate.at_scale.dms_tasks` (:class:`DmsMigration`, :class:`TaskProgress`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from runbook_lib.errors import ParamsError
from runbook_lib.migrate.at_scale.dms_endpoints import (
    MONGO_AUTH_MECHANISMS,
    DmsEndpoint,
    MongoUri,
    dms_identifier,
    parse_mongo_uri,
)
from runbook_lib.migrate.at_scale.dms_mappings import (
    DEFAULT_TASK_SETTINGS,
    DOCUMENTDB_TASK_SETTINGS,
    collection_mappings,
    table_mappings,
)
from runbook_lib.migrate.at_scale.dms_tasks import MIGRATION_TYPES, DmsMigration, MigrationType, TaskProgress


@dataclass(frozen=True)
class PathChoice:
    """The move to use for one database and why (shown to the operator, recorded in evidence)."""

    path: Literal["native", "dms"]
    reason: str
    size_bytes: int
    threshold_bytes: int


def choose_path(
    size_bytes: int, threshold_bytes: int, *, cdc_required: bool = False, native_mib_per_s: float = 50.0
) -> PathChoice:
    """Native dump/restore below the threshold; DMS above it, or whenever writes must keep flowing.

    Args:
        size_bytes: the source's size (``pg_database_size``, or the sum of collection sizes).
        threshold_bytes: ``migration.at_scale_threshold_bytes``.
        cdc_required: the source cannot be frozen for the copy (only CDC gives that).
        native_mib_per_s: the throughput assumed for the freeze estimate in the reason.
    """
    if threshold_bytes <= 0:
        raise ParamsError("at_scale_threshold_bytes", threshold_bytes, "> 0")
    freeze_min = size_bytes / 1024**2 / native_mib_per_s / 60
    gib = size_bytes / 1024**3
    if cdc_required:
        return PathChoice(
            "dms",
            "writes must keep flowing until the cut-over: only DMS CDC allows that",
            size_bytes,
            threshold_bytes,
        )
    if size_bytes >= threshold_bytes:
        return PathChoice(
            "dms",
            f"{gib:.1f} GiB is at or above the {threshold_bytes / 1024**3:.1f} GiB threshold: "
            f"a dump/restore would freeze the source for ~{freeze_min:.0f} min",
            size_bytes,
            threshold_bytes,
        )
    return PathChoice(
        "native",
        f"{gib:.2f} GiB is below the {threshold_bytes / 1024**3:.1f} GiB threshold: "
        f"dump/restore with a ~{max(freeze_min, 0.1):.1f} min freeze",
        size_bytes,
        threshold_bytes,
    )


__all__ = [
    "PathChoice",
    "choose_path",
    "DmsEndpoint",
    "DmsMigration",
    "MongoUri",
    "TaskProgress",
    "collection_mappings",
    "parse_mongo_uri",
    "table_mappings",
    "dms_identifier",
    "DEFAULT_TASK_SETTINGS",
    "DOCUMENTDB_TASK_SETTINGS",
    "MIGRATION_TYPES",
    "MONGO_AUTH_MECHANISMS",
    "MigrationType",
]
