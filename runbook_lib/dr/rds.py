"""RDS for PostgreSQL in the drill: snapshot and restore through the RDS API, the restored data checked table by table.

Against AWS, ``CreateDBSnapshot`` / ``RestoreDBInstanceFromDBSnapshot`` produce a new instance, which is waited
for and then read. In the sandbox moto answers the same calls (the snapshot and the restored instance exist in
its API, ``available`` at once) but holds no data, so the data half is real PostgreSQL: the snapshot is a
``pg_dump -Fc`` of the target database taken at the snapshot call, and the restore a ``pg_restore`` of it into
a new database (``<db>_drill_<id>``) on the sandbox's target PostgreSQL - the server the RDS endpoint binds to.
Everything the drill creates (heartbeat table, snapshot, restored instance and database, dump file) is listed in
``created`` and removed by :meth:`RdsDrill.cleanup`; :meth:`RdsDrill.leftovers` proves it.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from runbook_lib.errors import DrillError
from runbook_lib.migrate.postgres.checksums import list_tables, prepare_session, table_checksum_sql
from runbook_lib.migrate.postgres.libpq import PgEndpoint, PgTools, passfile_env
from runbook_lib.process import run_command

log = logging.getLogger("runbook_lib.dr.rds")

APP = "runbook-dr-drill"


@dataclass(frozen=True)
class PgTarget:
    """The migrated database on the RDS target: where to connect, and the instance the API knows."""

    endpoint: PgEndpoint
    database: str
    instance_id: str | None


def pg_target_from_params(params: Any, sandbox_state: Any | None, rds: Any) -> PgTarget:
    """The first ``migration.postgres`` mapping's target, and the RDS instance that holds it (from the API)."""
    from runbook_lib.migrate.postgres.dsns import resolve_dsns

    if not params.migration.postgres:
        raise DrillError("the drill restores the migrated PostgreSQL database: migration.postgres is empty",
                         hint="add the database mapping to the params")
    mapping = params.migration.postgres[0]
    _, target_dsn = resolve_dsns(params, sandbox_state, mapping, None)
    instances = [i for i in rds.describe_db_instances().get("DBInstances", [])
                 if str(i.get("Engine", "")).startswith("postgres")
                 and not i["DBInstanceIdentifier"].startswith("dr-drill-")]  # never a drill's own restore
    named = [i for i in instances if i.get("DBName") == mapping.name] or instances
    instance_id = named[0]["DBInstanceIdentifier"] if named else None
    return PgTarget(PgEndpoint.from_dsn(target_dsn), mapping.name, instance_id)


@dataclass
class RdsDrill:
    """One drill's RDS side (see the module docstring)."""

    rds: Any
    target: PgTarget
    drill_id: str
    sandbox: bool
    created: dict[str, str] = field(default_factory=dict)
    _dump: Path | None = None
    _conn: Any = None

    @property
    def heartbeat_table(self) -> str:
        return f"runbook_dr_heartbeat_{self.drill_id}"

    @property
    def restored_database(self) -> str:
        return f"{self.target.database}_drill_{self.drill_id}"[:63]

    def _connect(self, database: str) -> Any:
        return self.target.endpoint.connect(database, application_name=APP)

    def open_heartbeat(self) -> Any:
        """Create the heartbeat table on the target; returns an autocommit connection for the writer."""
        self._conn = self._connect(self.target.database)
        self._conn.execute(
            f'CREATE TABLE public."{self.heartbeat_table}" (seq int PRIMARY KEY, at timestamptz NOT NULL)')
        self.created["heartbeat table"] = f"{self.target.database}.{self.heartbeat_table}"
        return self._conn

    def backup(self) -> str:
        """``CreateDBSnapshot`` (and, in the sandbox, the dump that is its data); returns the snapshot id."""
        snapshot = f"dr-drill-{self.drill_id}"
        if self.target.instance_id:
            self.rds.create_db_snapshot(DBSnapshotIdentifier=snapshot, DBInstanceIdentifier=self.target.instance_id)
            self.created["db snapshot"] = snapshot
        if self.sandbox:
            tools = PgTools.discover()
            folder = Path(tempfile.mkdtemp(prefix=f"runbook-dr-{self.drill_id}-"))
            self._dump = folder / "snapshot.dump"
            with passfile_env(self.target.endpoint, application_name=APP) as env:
                run_command([tools.pg_dump, "-Fc", "-f", str(self._dump), "-d",
                             self.target.endpoint.conninfo(self.target.database)], env=env, timeout=600,
                            logger_name=log.name)
            self.created["dump file"] = str(self._dump)
        return snapshot

    def restore(self) -> str:
        """``RestoreDBInstanceFromDBSnapshot`` (and the sandbox's ``pg_restore`` into a new database)."""
        restored = f"dr-drill-{self.drill_id}"
        if "db snapshot" in self.created:
            self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier=restored,
                                                          DBSnapshotIdentifier=self.created["db snapshot"])
            self.created["restored instance"] = restored
            if not self.sandbox:
                self.rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=restored)
        if self.sandbox:
            if self._dump is None:
                raise DrillError("no dump to restore", hint="backup() first")
            with self._connect("postgres") as conn:
                conn.execute(f'CREATE DATABASE "{self.restored_database}"')
            self.created["restored database"] = self.restored_database
            tools = PgTools.discover()
            with passfile_env(self.target.endpoint, application_name=APP) as env:
                run_command([tools.pg_restore, "--no-owner", "-d",
                             self.target.endpoint.conninfo(self.restored_database), str(self._dump)],
                            env=env, timeout=600, logger_name=log.name)
        return restored

    def _restored_conn(self) -> Any:
        if self.sandbox:
            return self._connect(self.restored_database)
        described = self.rds.describe_db_instances(DBInstanceIdentifier=self.created["restored instance"])
        address = described["DBInstances"][0]["Endpoint"]["Address"]
        from runbook_lib.migrate.postgres.libpq import with_host_port

        endpoint = PgEndpoint.from_dsn(with_host_port(self.target.endpoint.conninfo(self.target.database), address))
        return PgEndpoint(endpoint.params, self.target.endpoint.password).connect(self.target.database,
                                                                                 application_name=APP)

    def verify(self) -> tuple[list[dict[str, Any]], tuple[int, datetime] | None]:
        """Per table (the heartbeat table aside): count and checksum in the restore vs the target, and the newest beat.

        The target's tables do not change during the drill (only the heartbeat table is written), so equal sums
        mean the restore holds what the snapshot held.
        """
        rows: list[dict[str, Any]] = []
        with self._restored_conn() as restored, self._connect(self.target.database) as live:
            prepare_session(restored)
            prepare_session(live)
            for info in list_tables(live):
                if info.table.name == self.heartbeat_table or info.kind not in ("r", "p"):
                    continue
                sql = table_checksum_sql(info.table)
                want, got = live.execute(sql).fetchone(), restored.execute(sql).fetchone()
                rows.append({"unit": info.table.display, "source_count": int(want[0]), "target_count": int(got[0]),
                             "source_checksum": str(want[1]), "target_checksum": str(got[1]),
                             "ok": tuple(want) == tuple(got)})
            newest = f'SELECT seq, at FROM public."{self.heartbeat_table}" ORDER BY seq DESC LIMIT 1'
            last = restored.execute(newest).fetchone()
        return rows, (int(last[0]), last[1]) if last else None

    def cleanup(self) -> list[str]:
        """Remove everything :attr:`created` lists; returns what was removed (errors raise after the rest ran)."""
        done, errors = [], []

        def attempt(what: str, action: Any) -> None:
            if what not in self.created:
                return
            try:
                action()
                done.append(f"{what} {self.created.pop(what)}")
            except Exception as error:  # noqa: BLE001 - go on with the rest, report all
                errors.append(f"{what}: {type(error).__name__}: {error}")

        if self._conn is not None:
            self._conn.close()
            self._conn = None
        attempt("restored database", lambda: self._drop_database(self.restored_database))
        attempt("heartbeat table", self._drop_heartbeat)
        attempt("restored instance", lambda: self.rds.delete_db_instance(
            DBInstanceIdentifier=self.created["restored instance"], SkipFinalSnapshot=True,
            DeleteAutomatedBackups=True))
        attempt("db snapshot", lambda: self.rds.delete_db_snapshot(DBSnapshotIdentifier=self.created["db snapshot"]))
        attempt("dump file", self._remove_dump)
        if errors:
            raise DrillError(f"RDS cleanup left things behind: {'; '.join(errors)}", hint="remove them by hand")
        return done

    def _drop_database(self, name: str) -> None:
        with self._connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _drop_heartbeat(self) -> None:
        with self._connect(self.target.database) as conn:
            conn.execute(f'DROP TABLE IF EXISTS public."{self.heartbeat_table}"')

    def _remove_dump(self) -> None:
        if self._dump is not None:
            self._dump.unlink(missing_ok=True)
            self._dump.parent.rmdir()

    def leftovers(self) -> list[str]:
        """What of this drill still exists, looked up afresh (empty after a good cleanup)."""
        found = []
        with self._connect("postgres") as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.restored_database,)).fetchone():
                found.append(f"database {self.restored_database}")
        with self._connect(self.target.database) as conn:
            if conn.execute("SELECT to_regclass(%s)", (f'public."{self.heartbeat_table}"',)).fetchone()[0]:
                found.append(f"table {self.heartbeat_table}")
        snapshots = self.rds.describe_db_snapshots().get("DBSnapshots", [])
        found += [f"snapshot {s['DBSnapshotIdentifier']}" for s in snapshots
                  if s["DBSnapshotIdentifier"] == f"dr-drill-{self.drill_id}"]
        instances = self.rds.describe_db_instances().get("DBInstances", [])
        found += [f"instance {i['DBInstanceIdentifier']}" for i in instances
                  if i["DBInstanceIdentifier"] == f"dr-drill-{self.drill_id}"]
        if self._dump is not None and self._dump.parent.exists():
            found.append(f"folder {self._dump.parent}")
        return found
