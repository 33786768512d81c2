"""DocumentDB in the drill: the cluster snapshot through the API where a cluster exists, the documents restored.

Against AWS, ``CreateDBClusterSnapshot`` / ``RestoreDBClusterFromSnapshot`` restore a cluster. The sandbox has no
DocumentDB cluster (moto's ``CreateDBCluster`` rejects the ``docdb`` engine, so stack 02 switches the cluster off
there) and its document store is mongomock, the one mock: what the drill shows there is the data half only - the
target database copied, at the backup moment, into ``<db>_drill_<id>`` through the pymongo API and compared
collection by collection (counts and content hashes) with the target - not DocumentDB's storage snapshot.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from runbook_lib.errors import DrillError

log = logging.getLogger("runbook_lib.dr.documents")


def _digest(collection: Any) -> tuple[int, str]:
    digest, count = hashlib.sha256(), 0
    for doc in collection.find({}, sort=[("_id", 1)]):
        digest.update(json.dumps(doc, sort_keys=True, default=str).encode())
        count += 1
    return count, digest.hexdigest()


@dataclass
class DocumentsDrill:
    """One drill's document side: API snapshot of the cluster (if any) and the copy of the target database."""

    client: Any  # pymongo-compatible client of the target
    database: str
    drill_id: str
    docdb: Any | None = None  # boto3 docdb client
    created: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def restored_database(self) -> str:
        return f"{self.database}_drill_{self.drill_id}"

    def _cluster(self) -> str | None:
        if self.docdb is None:
            return None
        try:
            clusters = self.docdb.describe_db_clusters().get("DBClusters", [])
        except Exception as error:  # noqa: BLE001 - an emulator without the call is a finding, not a crash
            self.notes.append(f"DescribeDBClusters failed: {type(error).__name__}")
            return None
        docdb = [c for c in clusters if c.get("Engine") == "docdb"]
        return docdb[0]["DBClusterIdentifier"] if docdb else None

    def backup(self) -> None:
        """Snapshot the cluster through the API when there is one; copy the target database (the data half)."""
        cluster = self._cluster()
        if cluster is not None:
            snapshot = f"dr-drill-{self.drill_id}"
            self.docdb.create_db_cluster_snapshot(DBClusterSnapshotIdentifier=snapshot, DBClusterIdentifier=cluster)
            self.created["cluster snapshot"] = snapshot
        else:
            self.notes.append("no DocumentDB cluster: the API snapshot/restore is not exercised here "
                              "(the sandbox switches the cluster off: moto has no docdb engine)")
        source, target = self.client[self.database], self.client[self.restored_database]
        self.created["restored database"] = self.restored_database
        for name in source.list_collection_names():
            docs = list(source[name].find({}))
            if docs:
                target[name].insert_many(docs)

    def restore(self) -> None:
        """``RestoreDBClusterFromSnapshot`` where a snapshot was taken (the data was copied at the backup)."""
        if "cluster snapshot" in self.created:
            restored = f"dr-drill-{self.drill_id}"
            self.docdb.restore_db_cluster_from_snapshot(DBClusterIdentifier=restored, Engine="docdb",
                                                        SnapshotIdentifier=self.created["cluster snapshot"])
            self.created["restored cluster"] = restored

    def verify(self) -> list[dict[str, Any]]:
        rows = []
        live, restored = self.client[self.database], self.client[self.restored_database]
        for name in sorted(live.list_collection_names()):
            want, got = _digest(live[name]), _digest(restored[name])
            rows.append({"unit": f"{self.database}.{name}", "source_count": want[0], "target_count": got[0],
                         "source_checksum": want[1][:16], "target_checksum": got[1][:16], "ok": want == got})
        return rows

    def cleanup(self) -> list[str]:
        done, errors = [], []
        for what, action in (
            ("restored database", lambda: self.client.drop_database(self.restored_database)),
            ("restored cluster", lambda: self.docdb.delete_db_cluster(
                DBClusterIdentifier=self.created["restored cluster"], SkipFinalSnapshot=True)),
            ("cluster snapshot", lambda: self.docdb.delete_db_cluster_snapshot(
                DBClusterSnapshotIdentifier=self.created["cluster snapshot"])),
        ):
            if what not in self.created:
                continue
            try:
                action()
                done.append(f"{what} {self.created.pop(what)}")
            except Exception as error:  # noqa: BLE001 - report every failure together
                errors.append(f"{what}: {type(error).__name__}: {error}")
        if errors:
            raise DrillError(f"document cleanup left things behind: {'; '.join(errors)}", hint="remove them by hand")
        return done

    def leftovers(self) -> list[str]:
        found = [f"database {n}" for n in self.client.list_database_names() if n == self.restored_database]
        if self.docdb is not None and "cluster snapshot" in self.created:
            found.append(f"cluster snapshot {self.created['cluster snapshot']}")
        return found
