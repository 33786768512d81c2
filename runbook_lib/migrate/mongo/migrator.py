"""MongoMigrator: MongoDB -> Amazon DocumentDB, coordinating the check, the copy and the verify.

Why our own copy rather than ``mongodump``/``mongorestore``: the sandbox has no MongoDB server
(its Mongo is the file-backed mongomock of ``sandbox_shims.mongo_store``), and a copy written
against the plain pymongo API runs unchanged against MongoDB, DocumentDB and the shim. Clients
come from :func:`runbook_lib.clients.mongo_client`; nothing here imports the shim.

* **check** (:mod:`~runbook_lib.migrate.mongo.compat`, rules in :mod:`~runbook_lib.migrate.mongo.rules`):
  what DocumentDB 5.0 does not support, and its limits.
* **copy** (:mod:`~runbook_lib.migrate.mongo.copy`): each collection in ``_id`` order, in upserted
  batches, checkpointed (:mod:`~runbook_lib.migrate.mongo.checkpoint`) after each; indexes after the data.
* **verify** (:mod:`~runbook_lib.migrate.mongo.verify`): per collection, a hash of each document's
  BSON matched by ``_id``, an order-independent checksum, and the index sets compared.

Limits: collections are copied one after another (the shim is not safe for concurrent writers);
verify holds one hash per source document in memory (~100 bytes each); documents changed on the
source after they were copied are not re-copied (a resumed copy only goes forward) — quiesce the
writers, or use DMS with CDC (:mod:`runbook_lib.migrate.at_scale.dms`) for a move under load.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from runbook_lib.clients import aws_client, mongo_client
from runbook_lib.endpoints import aws_endpoint_url, resolve_endpoint
from runbook_lib.errors import ParamsError
from runbook_lib.migrate._group import MappedMigrator, MemberOptions, Members
from runbook_lib.migrate.base import (
    CheckReport,
    CopyReport,
    ProgressFactory,
    VerifyReport,
)
from runbook_lib.migrate.mongo.checkpoint import MongoCheckpoint
from runbook_lib.migrate.mongo.compat import check_compatibility
from runbook_lib.migrate.mongo.copy import copy_collections
from runbook_lib.migrate.mongo.indexes import copy_indexes
from runbook_lib.migrate.mongo.listing import DatabaseSpec, is_view, iter_units, list_collections, unit_name
from runbook_lib.migrate.mongo.rules import DocumentDbRules
from runbook_lib.migrate.mongo.verify import verify_collections
from runbook_lib.params import resolve_secret

log = logging.getLogger("runbook_lib.migrate.mongo")


class MongoMigrator(MappedMigrator):
    """Move MongoDB databases to DocumentDB with the pymongo API (see the module docstring).

    Args:
        source_client: a pymongo-compatible client of the source (only read).
        target_client: a pymongo-compatible client of the target.
        databases: database names, or :class:`DatabaseSpec` for renames and collection subsets.
        batch_size: documents per bulk write and per checkpoint.
        checkpoint_dir: where the checkpoint lives.
        progress: tqdm-like factory.
        label: names the checkpoint file (default: derived from the database names).
        scan_limit: documents per collection the check scans for size limits (None: all).
        accept: finding objects the operator acknowledged (their blockers become warnings).
        max_problems: mismatched ``_id`` values listed per collection in the verify report.
        source_uri, target_uri: the connection URIs as AWS DMS must reach the two servers (the at-scale
            path builds its endpoints from them; the clients above are what this migrator reads and
            writes with). ``from_params`` sets them; without them the DMS path stops with a ParamsError.
    """

    kind = "mongo"

    def __init__(
        self,
        source_client: Any,
        target_client: Any,
        databases: Sequence[str | DatabaseSpec],
        batch_size: int = 1000,
        *,
        checkpoint_dir: Path,
        workers: int = 1,
        progress: ProgressFactory | None = None,
        label: str | None = None,
        scan_limit: int | None = None,
        accept: Iterable[str] = (),
        max_problems: int = 20,
        source_uri: str | None = None,
        target_uri: str | None = None,
    ) -> None:
        if batch_size < 1:
            raise ParamsError("batch_size", batch_size, ">= 1")
        super().__init__(checkpoint_dir=checkpoint_dir, workers=workers, progress=progress)
        self.source_client = source_client
        self.target_client = target_client
        self.databases = [d if isinstance(d, DatabaseSpec) else DatabaseSpec(d) for d in databases]
        if not self.databases:
            raise ParamsError("databases", [], "at least one database")
        self.batch_size = batch_size
        self.scan_limit = scan_limit
        self.accept = set(accept)
        self.max_problems = max_problems
        self.rules = DocumentDbRules.load()
        label = label or "+".join(f"{d.name}-{d.target}" for d in self.databases)
        self.label = label
        self.checkpoint_path = self.checkpoint_dir / f"mongo-{label}.json"
        # Held privately: they may carry passwords (registered with the redactor when resolved).
        self._source_uri, self._target_uri = source_uri, target_uri
        self._lock = threading.Lock()

    def target_identity(self) -> str:
        """The target's hosts and databases (an owner stamp's target; the URI's credentials left out)."""
        from urllib.parse import urlsplit

        hosts = urlsplit(self._target_uri).netloc.rpartition("@")[2] if self._target_uri else "target"
        return f"{hosts}/" + ",".join(d.target for d in self.databases)

    # ------------------------------------------------------------------ construction from params
    @classmethod
    def members_from_params(cls, params: Any, sandbox_state: Any | None, options: MemberOptions) -> Members:
        """One member per (source URI, target URI) pair of ``migration.mongo`` (a group when several).

        In the sandbox the target is where the DocumentDB endpoint binds: a cluster endpoint moto
        reports (``target_endpoint``, or discovered with ``DescribeDBClusters``) is resolved through
        :func:`runbook_lib.endpoints.resolve_endpoint`; without one, the ``mongo-target`` service is used.
        """
        mappings = list(params.migration.mongo)
        if not mappings:
            raise ParamsError(
                "migration.mongo", [], "at least one database mapping (name, source_uri_ref, target_uri_ref)"
            )
        resolver = (lambda name: sandbox_state.url(name, with_secret=True)) if sandbox_state is not None else None
        endpoint_url = aws_endpoint_url(params.aws)
        reported = options.target_endpoint or (_discover_docdb_endpoint(params) if params.is_sandbox else None)
        groups: dict[tuple[str, str], list[DatabaseSpec]] = {}
        dms_uris: dict[tuple[str, str], tuple[str, str]] = {}
        for mapping in mappings:
            source_uri = resolve_secret(mapping.source_uri_ref, sandbox_resolver=resolver, endpoint_url=endpoint_url)
            target_uri = resolve_secret(mapping.target_uri_ref, sandbox_resolver=resolver, endpoint_url=endpoint_url)
            # DMS reaches DocumentDB by the address AWS reports, not by the sandbox's binding of it.
            dms_target_uri = target_uri
            if params.is_sandbox and reported:
                dms_target_uri = f"mongodb://{reported}/"
                target_uri = resolve_endpoint("docdb", reported, sandbox=True).connect_to
                log.info("DocumentDB endpoint %s binds to %s in the sandbox", reported, target_uri)
            spec = DatabaseSpec(mapping.name, mapping.target_name, tuple(mapping.collections))
            groups.setdefault((source_uri, target_uri), []).append(spec)
            dms_uris[(source_uri, target_uri)] = (source_uri, dms_target_uri)
        members: Members = []
        for (source_uri, target_uri), specs in groups.items():
            label = "+".join(f"{s.name}-{s.target}" for s in specs)
            members.append(
                (
                    label,
                    cls(
                        mongo_client(source_uri),
                        mongo_client(target_uri),
                        specs,
                        checkpoint_dir=options.checkpoint_dir,
                        progress=options.progress,
                        label=label,
                        source_uri=dms_uris[(source_uri, target_uri)][0],
                        target_uri=dms_uris[(source_uri, target_uri)][1],
                    ),
                )
            )
        return members

    # ------------------------------------------------------------------ size (the input of the path choice)
    def source_size_bytes(self) -> int:
        """Uncompressed bytes of every collection to move: the input of the DMS/native choice.

        ``collStats.size`` where the server answers it (MongoDB, DocumentDB); otherwise (the sandbox's
        mongomock has no ``collStats``) the BSON size of each document, which reads the collection.
        """
        import bson

        total = 0
        for spec, name, options in iter_units(self.source_client, self.databases):
            if is_view(options):
                continue  # a view holds no data of its own
            db = self.source_client[spec.name]
            try:
                total += int(db.command({"collStats": name}).get("size", 0))
            except Exception as error:  # noqa: BLE001 - mongomock: NotImplementedError; old servers differ
                log.info(
                    "collStats unavailable for %s.%s (%s): summing BSON sizes", spec.name, name, type(error).__name__
                )
                total += sum(len(bson.encode(doc)) for doc in db[name].find({}))
        return total

    # ------------------------------------------------------------------ the three steps
    def check(self) -> CheckReport:
        """DocumentDB compatibility of every database, collection, view and index; scans for limits."""
        return check_compatibility(
            self.source_client,
            self.target_client,
            self.databases,
            self.rules,
            kind=self.kind,
            scan_limit=self.scan_limit,
            accept=self.accept,
        )

    def copy(self, *, resume: bool = True) -> CopyReport:
        """Copy every collection in ``_id`` order, batch by batch, then create its indexes."""
        started = time.monotonic()
        checkpoint = (MongoCheckpoint.load(self.checkpoint_path) if resume else None) or MongoCheckpoint()
        if not resume:
            checkpoint.save(self.checkpoint_path)
        report = copy_collections(
            self.source_client,
            self.target_client,
            self.databases,
            checkpoint,
            kind=self.kind,
            batch_size=self.batch_size,
            progress=self.progress,
            save=self._save,
        )
        report.seconds = time.monotonic() - started
        return report

    def _save(self, checkpoint: MongoCheckpoint) -> None:
        with self._lock:
            checkpoint.save(self.checkpoint_path)

    def verify(self) -> VerifyReport:
        """Per collection: documents matched by ``_id`` and BSON hash, an order-free checksum, the indexes."""
        return verify_collections(
            self.source_client,
            self.target_client,
            self.databases,
            kind=self.kind,
            progress=self.progress,
            max_problems=self.max_problems,
        )

    # ------------------------------------------------------------------ around an external load (DMS)
    @property
    def dms_uris(self) -> tuple[str | None, str | None]:
        """The source and target URIs as DMS must reach them (None when built from clients only)."""
        return self._source_uri, self._target_uri

    def collections_to_move(self, spec: DatabaseSpec) -> tuple[list[str], list[str]]:
        """``(collections, views)`` of one source database that a copy moves: views are not moved."""
        collections: list[str] = []
        views: list[str] = []
        for name, options in list_collections(self.source_client, spec):
            (views if is_view(options) else collections).append(name)
        return collections, views

    def create_indexes(self, databases: Iterable[DatabaseSpec] | None = None) -> dict[str, int]:
        """Create on the target every source index it lacks, for documents loaded by something else.

        Why: AWS DMS copies documents and the ``_id`` index only; after its full load the secondary
        indexes (unique, compound, TTL, partial …) come from here — the same step :meth:`copy` runs
        after its own data, with the same names and options, so :meth:`verify` compares them. Indexes
        already there are left alone, so it can run again. Returns the indexes created per unit.
        """
        created: dict[str, int] = {}
        for spec, name, options in iter_units(
            self.source_client, databases if databases is not None else self.databases
        ):
            if is_view(options):
                continue
            source = self.source_client[spec.name][name]
            target = self.target_client[spec.target][name]
            created[unit_name(spec, name)] = copy_indexes(source, target)
        return created

    def reset_target(self) -> None:
        """Drop the target collections this migrator writes and forget the checkpoint (tests, rehearsals)."""
        for spec in self.databases:
            for name, _ in list_collections(self.source_client, spec):
                self.target_client[spec.target].drop_collection(name)
        self.checkpoint_path.unlink(missing_ok=True)


def _discover_docdb_endpoint(params: Any) -> str | None:
    """The cluster endpoint moto reports for a DocumentDB cluster (the only one), or None."""
    try:
        docdb = aws_client("docdb", params.aws, max_attempts=1, connect_timeout=2)
        clusters = [
            c
            for c in docdb.describe_db_clusters().get("DBClusters", [])
            if c.get("Engine") == "docdb" and c.get("Endpoint")
        ]
    except Exception as error:  # noqa: BLE001 - no cluster yet is normal before phase 2
        log.info("cannot list DocumentDB clusters: %s", type(error).__name__)
        return None
    if len(clusters) != 1:
        return None
    return f"{clusters[0]['Endpoint']}:{clusters[0].get('Port', 27017)}"
