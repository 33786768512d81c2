"""PostgreSQL migrator pieces needing no server: RDS rules, TOC parsing, hashes, secrets, checkpoints."""

from __future__ import annotations

import hashlib
import os
import stat
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from fakes import FIXTURES_DIR

from runbook_lib.migrate.base import CheckReport, CopyReport, Finding, Migrator, VerifyReport, VerifyRow
from runbook_lib.migrate.postgres import (
    DataEntry,
    PgCheckpoint,
    PgEndpoint,
    SourceInventory,
    TableRef,
    TargetInventory,
    combine_row_hashes,
    compare_keyed,
    compare_multisets,
    dump_checksum,
    evaluate_compatibility,
    load_rds_extensions,
    parse_toc,
    passfile_env,
    row_hash64,
    table_checksum_sql,
    with_host_port,
)

pytestmark = pytest.mark.unit

FIXTURES = FIXTURES_DIR / "migrate_postgres"
RDS15 = load_rds_extensions(15)


def _source(**changes: object) -> SourceInventory:
    base = SourceInventory(
        server_version_num=150018,
        database="platform",
        collate="C.UTF-8",
        ctype="C.UTF-8",
        extensions=[("plpgsql", "1.0"), ("pgcrypto", "1.3")],
        owners={"app": 12},
    )
    return replace(base, **changes)


def _target(**changes: object) -> TargetInventory:
    base = TargetInventory(
        server_version_num=150007,
        available_extensions={"pgcrypto", "plpgsql", "adminpack", "lo"},
        roles={"postgres", "app_rw"},
        locales={"C.UTF-8", "en_US.UTF-8"},
    )
    return replace(base, **changes)


def _evaluate(source: SourceInventory | None = None, target: TargetInventory | None = None, **kwargs: object):
    options = {"pg_dump_major": 15, "offline_extensions": RDS15, "target_database": "platform"}
    options.update(kwargs)
    return evaluate_compatibility(source or _source(), target if target is not None else _target(), **options)


def _by_object(findings: list[Finding]) -> dict[str, Finding]:
    return {f.object: f for f in findings}


# ----------------------------------------------------------------------------- the extension list


def test_rds_extension_list_has_the_common_ones_and_not_the_superuser_ones() -> None:
    assert RDS15 is not None
    assert {"pgcrypto", "lo", "postgis", "pg_stat_statements", "uuid-ossp", "plpgsql"} <= RDS15
    assert not {"adminpack", "file_fdw", "pg_surgery", "xml2", "plpython3u"} & RDS15
    assert load_rds_extensions(99) is None


# ----------------------------------------------------------------------------- compatibility rules


def test_a_clean_source_has_no_blockers() -> None:
    findings = _evaluate()
    assert [f for f in findings if f.severity == "blocker"] == []
    assert "ownership" in _by_object(findings)  # roles do not travel in a dump: said, not hidden


def test_an_extension_rds_lacks_is_a_blocker_per_the_offline_list() -> None:
    findings = _by_object(_evaluate(_source(extensions=[("adminpack", "2.1"), ("pgcrypto", "1.3")])))
    assert findings["extension:adminpack"].severity == "blocker"
    assert "rds_postgres_extensions.json" in findings["extension:adminpack"].message
    assert "extension:pgcrypto" not in findings


def test_the_live_rds_extensions_list_overrides_the_offline_one() -> None:
    target = _target(rds_extensions={"pgcrypto", "adminpack"})
    findings = _by_object(_evaluate(_source(extensions=[("adminpack", "2.1"), ("lo", "1.1")]), target))
    assert "extension:adminpack" not in findings
    assert findings["extension:lo"].severity == "blocker"
    assert "rds.extensions" in findings["extension:lo"].message


def test_an_allowed_extension_missing_on_the_target_server_is_a_blocker() -> None:
    findings = _by_object(_evaluate(_source(extensions=[("hstore", "1.8")])))
    assert findings["extension:hstore"].severity == "blocker"
    assert "not installed on the target" in findings["extension:hstore"].message


def test_superuser_objects_are_blockers() -> None:
    source = _source(
        superuser_functions=[("public.fast_hash(text)", "c"), ("public.run(text)", "plpython3u")],
        untrusted_languages=["plperlu"],
        event_triggers=["audit_ddl"],
        alter_system_settings=[("work_mem", "64MB")],
    )
    findings = _by_object(_evaluate(source))
    for obj in (
        "function:public.fast_hash(text)",
        "function:public.run(text)",
        "language:plperlu",
        "event trigger:audit_ddl",
        "setting:work_mem",
    ):
        assert findings[obj].severity == "blocker", obj
    assert "parameter group" in findings["setting:work_mem"].fix


def test_an_accepted_blocker_becomes_a_recorded_warning() -> None:
    findings = _by_object(_evaluate(_source(alter_system_settings=[("work_mem", "64MB")]), accept=["setting:work_mem"]))
    assert findings["setting:work_mem"].severity == "warning"
    assert "accepted" in findings["setting:work_mem"].message


def test_database_and_role_settings_by_context() -> None:
    source = _source(
        db_role_settings=[
            ("database:platform", "session_replication_role=replica", "superuser"),
            ("role:app", "statement_timeout=5s", "user"),
        ]
    )
    findings = _by_object(_evaluate(source))
    assert findings["setting:database:platform:session_replication_role"].severity == "blocker"
    assert findings["setting:role:app:statement_timeout"].severity == "warning"


def test_tablespaces_block_unless_restored_without_them() -> None:
    source = _source(tablespaces=[("fast_ssd", 3)])
    assert _by_object(_evaluate(source))["tablespace:fast_ssd"].severity == "blocker"
    assert _by_object(_evaluate(source, no_tablespaces=True))["tablespace:fast_ssd"].severity == "warning"


def test_roles_large_objects_and_unlogged_tables_are_warnings() -> None:
    source = _source(
        privileged_roles=[("replicator", ["REPLICATION"])],
        large_objects=4,
        unlogged_tables=["public.cache"],
        foreign_tables=["public.remote"],
    )
    findings = _by_object(_evaluate(source))
    assert findings["role:replicator"].severity == "warning"
    assert "rds_replication" in findings["role:replicator"].fix
    assert findings["large objects"].severity == "warning"
    assert findings["unlogged table:public.cache"].severity == "warning"
    assert findings["foreign table:public.remote"].severity == "warning"


def test_version_rules() -> None:
    older_target = _by_object(_evaluate(target=_target(server_version_num=140010)))
    assert older_target["server version"].severity == "blocker"
    newer_target = _by_object(_evaluate(target=_target(server_version_num=160002)))
    assert newer_target["server version"].severity == "info"
    old_tools = _by_object(_evaluate(_source(server_version_num=160001), _target(server_version_num=160002)))
    assert old_tools["pg_dump"].severity == "blocker"


def test_unreachable_target_is_a_blocker() -> None:
    findings = evaluate_compatibility(_source(), None, pg_dump_major=15, offline_extensions=RDS15)
    assert _by_object(findings)["target"].severity == "blocker"


def test_role_map_needs_the_target_roles() -> None:
    findings = _by_object(_evaluate(role_map={"app": "app_rw", "etl": "etl_rw"}))
    assert findings["role map:etl"].severity == "blocker"
    assert "role map:app" not in findings


def test_a_non_empty_target_database_blocks_unless_ours_or_replaced() -> None:
    target = _target(database_exists=True, database_objects=7)
    assert _by_object(_evaluate(target=target))["target database"].severity == "blocker"
    assert "target database" not in _by_object(_evaluate(target=target, target_is_ours=True))
    assert "target database" not in _by_object(_evaluate(target=target, replace_target=True))
    cannot_create = _target(can_create_db=False)
    assert _by_object(_evaluate(target=cannot_create))["target database"].severity == "blocker"


# ----------------------------------------------------------------------------- TOC


def test_parse_toc_reads_ids_oids_and_multiword_descriptions() -> None:
    entries = parse_toc((FIXTURES / "toc_list.txt").read_text())
    by_id = {e.dump_id: e for e in entries}
    assert len(entries) == 11
    assert (
        by_id[3423].desc == "TABLE DATA" and by_id[3423].oid == 16443 and by_id[3423].label == "ingest events postgres"
    )
    assert by_id[3429].desc == "TABLE DATA" and by_id[3429].label == "public my table with spaces app_owner"
    assert by_id[3438].desc == "SEQUENCE SET"
    assert by_id[3436].desc == "SEQUENCE OWNED BY"
    assert by_id[3441].desc == "BLOBS"
    assert by_id[3277].desc == "FK CONSTRAINT"
    assert by_id[3500].desc == "MATERIALIZED VIEW DATA"
    assert by_id[2].desc == "EXTENSION"


# ----------------------------------------------------------------------------- hashes and comparisons


def test_row_hash_is_the_first_64_bits_of_md5_as_a_signed_bigint() -> None:
    digest = hashlib.md5(b"(1,alice)").hexdigest()  # noqa: S324 - the same function the SQL uses
    expected = int(digest[:16], 16)
    expected = expected - (1 << 64) if expected >= 1 << 63 else expected
    assert row_hash64("(1,alice)") == expected


def test_combined_checksum_ignores_order_but_counts_duplicates() -> None:
    rows = ["(a,1)", "(b,2)", "(b,2)", "(c,3)"]
    forward = combine_row_hashes(row_hash64(r) for r in rows)
    backward = combine_row_hashes(row_hash64(r) for r in reversed(rows))
    one_duplicate_gone = combine_row_hashes(row_hash64(r) for r in rows[:2] + rows[3:])
    changed = combine_row_hashes(row_hash64(r) for r in ["(a,1)", "(b,2)", "(b,2)", "(c,4)"])
    assert forward == backward
    assert one_duplicate_gone[0] == 3 and one_duplicate_gone != forward
    assert changed[0] == forward[0] and changed[1] != forward[1]


def test_compare_keyed_and_multisets() -> None:
    missing, mismatched, extra = compare_keyed({"1": "a", "2": "b", "3": "c"}, {"1": "a", "2": "X", "4": "d"})
    assert (missing, mismatched, extra) == (["3"], ["2"], ["4"])
    assert compare_multisets(Counter({"h1": 2, "h2": 1}), Counter({"h1": 1, "h2": 1, "h3": 1})) == (1, 1)


def test_checksum_sql_quotes_awkward_names() -> None:
    query = table_checksum_sql(TableRef('we"ird', "my table"))
    assert 'FROM "we""ird"."my table" AS t' in query
    assert "md5(t::text)" in query and "count(*)" in query


# ----------------------------------------------------------------------------- secrets


def test_dsn_password_is_kept_out_of_the_conninfo() -> None:
    endpoint = PgEndpoint.from_dsn("postgresql://mig:s3cr:et@db.example.com:6432/platform?sslmode=require")
    assert endpoint.password == "s3cr:et"
    conninfo = endpoint.conninfo("other")
    assert "s3cr" not in conninfo and "dbname=other" in conninfo and "sslmode=require" in conninfo
    assert endpoint.describe("other") == "db.example.com:6432/other"


def test_passfile_is_private_escaped_and_removed() -> None:
    source = PgEndpoint.from_dsn("host=10.0.0.1 port=5432 user=mig password='pa:ss\\\\word'")
    assert source.password == "pa:ss\\word"
    target = PgEndpoint.from_dsn("host=rds.example.com port=5432 user=admin password=other")
    with passfile_env(source, target, application_name="runbook-migrate:x") as env:
        path = Path(env["PGPASSFILE"])
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        lines = path.read_text().splitlines()
        assert lines == ["10.0.0.1:5432:*:mig:pa\\:ss\\\\word", "rds.example.com:5432:*:admin:other"]
        assert env["PGAPPNAME"] == "runbook-migrate:x"
        assert not any("pa:ss" in value for key, value in env.items() if key != "PGPASSFILE")
    assert not path.exists()


def test_with_host_port_keeps_credentials() -> None:
    moved = with_host_port("postgresql://u:p@rds.amazonaws.com:5432/postgres", "127.0.0.1:40001")
    endpoint = PgEndpoint.from_dsn(moved)
    assert endpoint.get("host") == "127.0.0.1" and endpoint.get("port") == "40001" and endpoint.password == "p"


# ----------------------------------------------------------------------------- checkpoint and dump


def test_checkpoint_round_trip_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "cp.json"
    checkpoint = PgCheckpoint(
        source="a:1/db",
        target="b:2/db",
        dump_done=True,
        dump_sha256="ab" * 32,
        tables=[DataEntry(3423, "TABLE DATA", "ingest", "events", 1024)],
        tables_done=[3423],
    )
    checkpoint.save(path)
    loaded = PgCheckpoint.load(path)
    assert loaded == checkpoint
    assert loaded.tables[0].table == TableRef("ingest", "events")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cp.json"]
    loaded.reset_restore()
    assert loaded.tables_done == [] and loaded.post_data == "" and not loaded.complete


def test_dump_checksum_detects_a_changed_file(tmp_path: Path) -> None:
    (tmp_path / "toc.dat").write_bytes(b"toc")
    (tmp_path / "3423.dat").write_bytes(b"1\tx\n\\.\n")
    before = dump_checksum(tmp_path)
    assert dump_checksum(tmp_path) == before
    (tmp_path / "3423.dat").write_bytes(b"1\ty\n\\.\n")
    assert dump_checksum(tmp_path) != before
    os.remove(tmp_path / "3423.dat")
    assert dump_checksum(tmp_path) != before


# ----------------------------------------------------------------------------- group of migrators


class _Fake(Migrator):
    kind = "postgres"

    def __init__(self, name: str, tmp: Path, *, broken: bool = False) -> None:
        super().__init__(checkpoint_dir=tmp)
        self.name, self.broken = name, broken

    def check(self) -> CheckReport:
        return CheckReport(self.kind, [Finding("warning", "x", f"from {self.name}")])

    def copy(self, *, resume: bool = True) -> CopyReport:
        return CopyReport(self.kind, items_copied=2, bytes_copied=10)

    def verify(self) -> VerifyReport:
        report = VerifyReport(self.kind, rows=[VerifyRow("t", 2, 1 if self.broken else 2, 1, int(self.broken), 0, 0)])
        if self.broken:
            report.problems.append("t: 1 missing")
        return report


def test_group_merges_and_labels_every_member(tmp_path: Path) -> None:
    from runbook_lib.migrate._group import MigratorGroup

    group = MigratorGroup(
        "postgres",
        [("a", _Fake("a", tmp_path)), ("b", _Fake("b", tmp_path, broken=True))],
        checkpoint_dir=tmp_path,
    )
    result = group.run()
    assert result.kind == "postgres"
    assert [f.object for f in result.check.findings] == ["a/x", "b/x"]
    assert result.copy.items_copied == 4
    assert [r.unit for r in result.verify.rows] == ["a/t", "b/t"]
    assert result.verify.problems == ["b/t: 1 missing"] and not result.verify.ok


def test_a_passfile_left_by_a_killed_process_is_removed(tmp_path: Path, monkeypatch) -> None:
    import subprocess
    import sys
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"runbook-pgpass-{dead.pid}-abc"
    stale.mkdir()
    (stale / "pgpass").write_text("h:1:*:u:secret\n")
    alive = tmp_path / f"runbook-pgpass-{os.getpid()}-def"
    alive.mkdir()
    with passfile_env(PgEndpoint.from_dsn("host=h user=u password=x"), application_name="t"):
        pass
    assert not stale.exists() and alive.exists()


# ----------------------------------------------------------------------------- restore steps (no server)


class _Move:
    """A stand-in for the migrator as the step modules see it (``PgMove``): records commands and saves."""

    kind = "postgres"

    def __init__(self) -> None:
        from runbook_lib.migrate.postgres import PgTools

        self.tools = PgTools("/usr/bin/pg_dump", "/usr/bin/pg_restore", 15)
        self.jobs = 3
        self.no_tablespaces = True
        self.target = PgEndpoint.from_dsn("host=rds.example.com port=5432 user=admin")
        self.target_database = "platform"
        self.commands: list[list[str]] = []
        self.saved: list[tuple[str, str]] = []

    def run_tool(self, command: list[str], env: object) -> None:
        self.commands.append(command)

    def save_checkpoint(self, checkpoint: PgCheckpoint) -> None:
        self.saved.append((checkpoint.pre_data, checkpoint.post_data))


def test_a_section_restore_is_marked_and_an_interrupted_post_data_is_cleaned_first() -> None:
    from runbook_lib.migrate.postgres.restore import restore_section

    move = _Move()
    checkpoint = PgCheckpoint(source="a:1/db", target="b:2/db", dump_dir="/dumps/d1", post_data="started")
    restore_section(move, checkpoint, "pre-data", {})  # type: ignore[arg-type]
    restore_section(move, checkpoint, "post-data", {})  # type: ignore[arg-type]
    pre, post = move.commands
    dbname = f"--dbname={move.target.conninfo('platform')}"
    common = ["--no-owner", "--no-acl", "--exit-on-error", "--no-tablespaces"]
    assert pre == ["/usr/bin/pg_restore", "--section=pre-data", *common, dbname, "/dumps/d1"]
    assert post == [
        "/usr/bin/pg_restore",
        "--section=post-data",
        "--jobs=3",
        *common,
        "--clean",
        "--if-exists",
        dbname,
        "/dumps/d1",
    ]
    assert move.saved == [("started", "started"), ("done", "started"), ("done", "started"), ("done", "done")]


def test_a_dump_is_reused_only_while_intact(tmp_path: Path) -> None:
    from runbook_lib.migrate.postgres.dump import dump_intact

    folder = tmp_path / "dump-x"
    folder.mkdir()
    (folder / "toc.dat").write_bytes(b"toc")
    checkpoint = PgCheckpoint(source="a", target="b", dump_dir=str(folder), dump_done=True)
    checkpoint.dump_sha256 = dump_checksum(folder)
    assert dump_intact(checkpoint)
    (folder / "toc.dat").write_bytes(b"changed")
    assert not dump_intact(checkpoint)
    (folder / "toc.dat").unlink()
    assert not dump_intact(checkpoint)
