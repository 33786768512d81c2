"""PostgreSQL -> RDS stand-in, against the sandbox's two real PostgreSQL 15 servers.

Every test restores into a target database of its own (``it_<test>_<random>``) and drops it
afterwards, so tests do not collide with each other or with the demo's ``platform`` target.
The source ``platform`` database is only read; tests that need a different source create a scratch
database on the source server and drop it.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from pathlib import Path

import pytest
from fakes import quiet_progress, sigkill_mid_copy

from runbook_lib.errors import CompatibilityError
from runbook_lib.migrate.postgres import PgCheckpoint, PgEndpoint, PostgresMigrator, quote_ident
from runbook_lib.sandbox.seed import SOURCE_DATABASE

pytestmark = pytest.mark.integration

CHILD = Path(__file__).with_name("migrate_db_child.py")
SEED = 20261126




class _Dsns(tuple):
    """(source DSN, target DSN); the repr hides them so a failing test does not print passwords."""

    def __repr__(self) -> str:
        return "<source and target DSNs>"


@pytest.fixture()
def dsns(sandbox) -> tuple[str, str]:
    return _Dsns((sandbox.url("postgres-source", with_secret=True), sandbox.url("postgres-target", with_secret=True)))


@pytest.fixture()
def target_name(dsns):
    name = f"it_pg_{uuid.uuid4().hex[:8]}"
    yield name
    with PgEndpoint.from_dsn(dsns[1]).connect("postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")


@pytest.fixture()
def scratch_source(dsns):
    """A database of our own on the source server (dropped afterwards)."""
    endpoint = PgEndpoint.from_dsn(dsns[0])
    name = f"it_src_{uuid.uuid4().hex[:8]}"
    with endpoint.connect("postgres") as conn:
        conn.execute(f"CREATE DATABASE {quote_ident(name)}")
    yield name
    with endpoint.connect("postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")


def _migrator(dsns, target: str, tmp_path: Path, database: str = SOURCE_DATABASE, **kwargs) -> PostgresMigrator:
    return PostgresMigrator(
        dsns[0],
        dsns[1],
        database,
        kwargs.pop("jobs", 2),
        target_database=target,
        checkpoint_dir=tmp_path / "checkpoints",
        progress=quiet_progress,
        **kwargs,
    )


def test_platform_moves_verifies_and_keys_continue(dsns, target_name, tmp_path: Path) -> None:
    result = _migrator(dsns, target_name, tmp_path).run()
    assert result.ok, (result.verify.problems, [f.object for f in result.check.blockers])
    rows = {r.unit: r for r in result.verify.rows}
    assert {"ingest.events", "sales.customers", "sales.orders", "sales.audit_log", "ref.countries"} <= set(rows)
    assert rows["sales.audit_log"].source_count == rows["sales.audit_log"].target_count > 300  # duplicates kept
    assert rows["ingest.events"].matched == rows["ingest.events"].source_count > 0
    assert all(r.source_checksum == r.target_checksum for r in result.verify.rows if not r.unit.startswith("sequence"))
    assert {"sequence ingest.events_id_seq", "sequence sales.customers_id_seq"} <= set(rows)
    assert result.copy.items_copied == 5 and result.copy.details["phases_s"]["data"] >= 0

    with PgEndpoint.from_dsn(dsns[0]).connect(SOURCE_DATABASE) as conn:
        source_max = conn.execute("SELECT max(id) FROM sales.orders").fetchone()[0]
    with PgEndpoint.from_dsn(dsns[1]).connect(target_name) as conn:  # the application writes after the cut-over
        order_id = conn.execute(
            "INSERT INTO sales.orders (customer_id, total, status, ordered_at) "
            "VALUES (1, 9.99, 'new', now()) RETURNING id"
        ).fetchone()[0]
        customer_id = conn.execute(
            "INSERT INTO sales.customers (email, name, country) VALUES ('new@example.com', 'New', 'DE') RETURNING id"
        ).fetchone()[0]
        event_id = conn.execute(
            "INSERT INTO ingest.events (device_id, event_type, payload, created_at) "
            "VALUES (gen_random_uuid(), 'click', '{}', now()) RETURNING id"
        ).fetchone()[0]
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'sales' AND tablename = 'orders'")
        assert owner.fetchone()[0] == PgEndpoint.from_dsn(dsns[1]).get("user")  # --no-owner: the restoring user
    assert order_id == source_max + 1
    assert customer_id == rows["sales.customers"].source_count + 1
    assert event_id == rows["ingest.events"].source_count + 1


def test_a_corrupted_target_row_and_a_lost_duplicate_are_found(dsns, target_name, tmp_path: Path) -> None:
    assert _migrator(dsns, target_name, tmp_path).run().ok
    with PgEndpoint.from_dsn(dsns[1]).connect(target_name) as conn:
        conn.execute("UPDATE sales.customers SET name = name || ' (edited)' WHERE id = 42")
        duplicated = conn.execute(
            "SELECT actor, action, at FROM sales.audit_log GROUP BY 1, 2, 3 HAVING count(*) = 2 ORDER BY 3 LIMIT 1"
        ).fetchone()
        conn.execute(
            "DELETE FROM sales.audit_log WHERE ctid = (SELECT min(ctid) FROM sales.audit_log "
            "WHERE actor = %s AND action = %s AND at = %s)",
            duplicated,
        )
    report = _migrator(dsns, target_name, tmp_path).verify()  # a new object: the live source is compared
    rows = {r.unit: r for r in report.rows}
    assert (rows["sales.customers"].mismatched, rows["sales.customers"].missing) == (1, 0)
    assert rows["sales.customers"].source_count == rows["sales.customers"].target_count
    assert (rows["sales.audit_log"].missing, rows["sales.audit_log"].extra) == (1, 0)
    assert not rows["sales.customers"].ok and not rows["sales.audit_log"].ok and rows["sales.orders"].ok
    assert any("key (42) changed" in p for p in report.problems)
    assert not report.ok
    repair = _migrator(dsns, target_name, tmp_path)  # starting over may recreate the database it made itself
    repair.copy(resume=False)
    assert repair.verify().ok


def test_an_extension_rds_lacks_blocks_before_anything_moves(dsns, scratch_source, target_name, tmp_path: Path) -> None:
    with PgEndpoint.from_dsn(dsns[0]).connect(scratch_source) as conn:
        conn.execute("CREATE EXTENSION adminpack")  # contrib, installed here, not offered by RDS
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 100) g")
    migrator = _migrator(dsns, target_name, tmp_path, database=scratch_source)
    with pytest.raises(CompatibilityError) as caught:
        migrator.run()
    assert any(finding.startswith("extension:adminpack") for finding in caught.value.findings)
    with PgEndpoint.from_dsn(dsns[1]).connect("postgres") as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target_name,)).fetchone() is None
    assert not list((tmp_path / "checkpoints").glob("dump-*")) and not migrator.checkpoint_path.exists()


def _make_kill_source(dsns, database: str) -> None:
    """Enough rows in enough tables that a kill lands while tables are still being restored."""
    with PgEndpoint.from_dsn(dsns[0]).connect(database) as conn:
        for index in range(6):
            conn.execute(
                f"CREATE TABLE t{index} (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                "payload text NOT NULL, at timestamptz NOT NULL)"
            )
            conn.execute(
                f"INSERT INTO t{index} (payload, at) SELECT repeat(md5(g::text), 4), "
                "timestamptz '2026-11-01' + g * interval '1 s' FROM generate_series(1, 60000) g"
            )
        conn.execute("CREATE TABLE dupes (k int, v text)")  # no key, duplicate rows
        conn.execute("INSERT INTO dupes SELECT g / 2, md5((g / 2)::text) FROM generate_series(1, 40000) g")
        conn.execute("CREATE INDEX dupes_k ON dupes (k)")


def test_sigkill_mid_copy_then_resume_leaves_nothing_missing_or_doubled(
    dsns, scratch_source, target_name, tmp_path: Path
) -> None:
    _make_kill_source(dsns, scratch_source)
    checkpoints = tmp_path / "checkpoints"
    config = tmp_path / "child.json"
    fd = os.open(config, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(
            {
                "kind": "postgres",
                "source_dsn": dsns[0],
                "target_dsn": dsns[1],
                "database": scratch_source,
                "target_database": target_name,
                "jobs": 2,
                "checkpoints": str(checkpoints),
            },
            handle,
        )
    migrator = _migrator(dsns, target_name, tmp_path, database=scratch_source)

    def restore_begun() -> bool:
        checkpoint = PgCheckpoint.load(migrator.checkpoint_path) if migrator.checkpoint_path.exists() else None
        return checkpoint is not None and bool(checkpoint.pre_data)

    child_pid = sigkill_mid_copy(CHILD, config, restore_begun, poll=0.05, delay=(0.2, 1.0), seed=SEED)
    killed_at = PgCheckpoint.load(migrator.checkpoint_path)
    assert killed_at is not None and not killed_at.complete
    assert len(killed_at.tables_done) < len(killed_at.tables)

    report = migrator.copy(resume=True)
    assert report.details["dump_reused"] is True
    leftover = Path(tempfile.gettempdir()).glob(f"runbook-pgpass-{child_pid}-*")
    assert not list(leftover)  # the killed child's passfile was cleaned up by the next run
    assert report.items_skipped == len(killed_at.tables_done)
    verify = migrator.verify()
    assert verify.ok, verify.problems
    assert all(r.missing == 0 and r.extra == 0 and r.source_count == r.target_count for r in verify.rows)
    with PgEndpoint.from_dsn(dsns[1]).connect(target_name) as conn:
        for index in range(6):
            total, distinct = conn.execute(f"SELECT count(*), count(DISTINCT id) FROM t{index}").fetchone()
            assert total == distinct == 60000
        assert conn.execute("SELECT count(*) FROM dupes").fetchone()[0] == 40000


def test_odd_objects_move_and_owners_follow_the_role_map(dsns, scratch_source, target_name, tmp_path: Path) -> None:
    """Partitions, materialized views (one WITH NO DATA), a large object, an unlogged table, an owner."""
    suffix = uuid.uuid4().hex[:6]
    source_role, target_role = f"it_owner_{suffix}", f"it_app_{suffix}"
    source, target = PgEndpoint.from_dsn(dsns[0]), PgEndpoint.from_dsn(dsns[1])
    with source.connect("postgres") as conn:
        conn.execute(f"CREATE ROLE {source_role}")
    with target.connect("postgres") as conn:
        conn.execute(f"CREATE ROLE {target_role}")
    try:
        with source.connect(scratch_source) as conn:
            conn.execute("CREATE TABLE m (id int, at date NOT NULL) PARTITION BY RANGE (at)")
            conn.execute("CREATE TABLE m_2025 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')")
            conn.execute("CREATE TABLE m_2026 PARTITION OF m FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')")
            conn.execute("INSERT INTO m SELECT g, date '2025-06-01' + g FROM generate_series(1, 400) g")
            conn.execute(
                "CREATE MATERIALIZED VIEW m_by_year AS SELECT extract(year FROM at) y, count(*) n FROM m GROUP BY 1"
            )
            conn.execute("CREATE MATERIALIZED VIEW m_later AS SELECT * FROM m WITH NO DATA")
            conn.execute("CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v bytea)")
            conn.execute("INSERT INTO cache VALUES ('a', '\\x00ff'), ('b', NULL)")
            conn.execute("SELECT lo_from_bytea(0, 'large object body')")
            conn.execute("CREATE TABLE owned (id int PRIMARY KEY)")
            conn.execute(f"ALTER TABLE owned OWNER TO {source_role}")
        migrator = _migrator(dsns, target_name, tmp_path, database=scratch_source, role_map={source_role: target_role})
        result = migrator.run()
        assert result.ok, result.verify.problems
        findings = {f.object: f.severity for f in result.check.findings}
        assert findings["unlogged table:public.cache"] == "warning" and findings["large objects"] == "warning"
        rows = {r.unit: r for r in result.verify.rows}
        assert rows["public.m_2025"].target_count + rows["public.m_2026"].target_count == 400
        assert rows["public.m_by_year"].ok and rows["public.cache"].target_count == 2
        assert rows["large objects"].source_count == rows["large objects"].target_count == 1
        assert any("public.m: partitioned parent" in n for n in result.verify.notes)
        assert any("public.m_later: materialized view WITH NO DATA" in n for n in result.verify.notes)
        assert result.copy.details["owners_changed"] >= 1
        with target.connect(target_name) as conn:
            owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'owned'").fetchone()[0]
        assert owner == target_role
    finally:
        with source.connect("postgres") as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(scratch_source)} WITH (FORCE)")
            conn.execute(f"DROP ROLE IF EXISTS {source_role}")
        with target.connect("postgres") as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(target_name)} WITH (FORCE)")
            conn.execute(f"DROP ROLE IF EXISTS {target_role}")
