"""PostgreSQL -> Amazon RDS for PostgreSQL: check, ``pg_dump -Fd -j`` / ``pg_restore -j``, verify.

Why the peer tools rather than our own COPY loop: ``pg_dump``/``pg_restore`` know every object type
PostgreSQL has (and the next release adds), order DDL correctly, and are what RDS documents for a
homogeneous move. What we add around them is what they lack for a cut-over with evidence:

* **check** before anything moves: extensions RDS does not offer (a data file of RDS's list, or the
  live ``rds.extensions`` when the target is RDS), objects only a superuser can create (C-language
  and untrusted-language functions, event triggers, superuser-only settings, tablespaces), roles
  with SUPERUSER/REPLICATION, large objects, unlogged tables, version compatibility, and whether
  the target database is free. Blockers stop :meth:`Migrator.run` before anything is written.
* **resumable copy** in phases recorded in a checkpoint (tmp + ``os.replace``): the dump (directory
  format, parallel, taken from an exported snapshot; reused on resume only if its sha256 is intact),
  then ``pre-data``, then the data one table per ``pg_restore`` (each table TRUNCATEd first, so a
  table interrupted by a kill is loaded again from empty: never duplicated), then sequences and
  large objects, then ``post-data`` (indexes, constraints, triggers) with ``--clean --if-exists``
  if a previous attempt got part-way. A run whose pre-data did not finish recreates the target
  database. Passwords reach the tools through a temporary 0600 passfile (``PGPASSFILE``), never
  the command line, so neither logs nor ``ps`` show them.
* **verify** per table: row count plus an order-independent checksum computed *in* each database
  (sum of the first 64 bits of ``md5(row::text)``), which works without a primary key and counts
  duplicate rows; a table that differs is drilled down to the keys (or row hashes) that differ.
  Sequences must match and continue past the largest id; large objects are counted and hashed.
  The source side is computed under the dump's snapshot while the restore runs, so the comparison
  is against exactly what was copied even if the source is live, and the source is read while it
  would otherwise be idle. (That snapshot's transaction stays open on the source until the restore
  and those checksums finish, as ``pg_dump``'s own does: it holds back VACUUM there meanwhile.)

What it does not move (reported by :meth:`PostgresMigrator.check`, never skipped silently): roles
and their passwords, tablespaces and ``ALTER SYSTEM`` settings (cluster-wide, not in a database
dump), ``ALTER DATABASE ... SET`` settings, and changes made on the source after the snapshot (use
the DMS path, :mod:`runbook_lib.migrate.at_scale.dms`, for a move under write load).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Self

from runbook_lib.errors import CopyFailedError, MigrationError, ParamsError, ToolMissingError
from runbook_lib.migrate.base import (
    CheckReport,
    CopyReport,
    Finding,
    Migrator,
    ProgressFactory,
    VerifyReport,
    VerifyRow,
    default_checkpoint_dir,
)
from runbook_lib.process import run_command
from runbook_lib.util import atomic_write_text

log = logging.getLogger("runbook_lib.migrate.postgres")

#: Session settings that make ``row::text`` identical on both sides whatever the servers' defaults are.
TEXT_FORM_SETTINGS: tuple[tuple[str, str], ...] = (
    ("TimeZone", "UTC"),
    ("DateStyle", "ISO, MDY"),
    ("IntervalStyle", "postgres"),
    ("extra_float_digits", "1"),
    ("bytea_output", "hex"),
    ("lc_monetary", "C"),
    ("search_path", ""),
    ("statement_timeout", "0"),
)

#: One row's 64-bit hash, as SQL: the first 16 hex digits of md5 of the row's text form, as a signed bigint.
ROW_HASH_SQL = "('x' || substr(md5({row}::text), 1, 16))::bit(64)::bigint"

#: Schemas that belong to the server, not to the application.
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")

#: GUC contexts a non-superuser (and so RDS's ``rds_superuser``) cannot set per database or role.
SUPERUSER_CONTEXTS = frozenset(
    {"internal", "postmaster", "sighup", "superuser", "superuser-backend", "backend"}
)

#: Descriptions in ``pg_restore -l`` output that are more than one word, longest first.
_MULTIWORD_DESCS = (
    "MATERIALIZED VIEW DATA",
    "SEQUENCE OWNED BY",
    "TEXT SEARCH CONFIGURATION",
    "TEXT SEARCH DICTIONARY",
    "TEXT SEARCH PARSER",
    "TEXT SEARCH TEMPLATE",
    "FOREIGN DATA WRAPPER",
    "DATABASE PROPERTIES",
    "FK CONSTRAINT",
    "CHECK CONSTRAINT",
    "TABLE DATA",
    "SEQUENCE SET",
    "DEFAULT ACL",
    "LARGE OBJECT",
    "MATERIALIZED VIEW",
    "FOREIGN TABLE",
    "FOREIGN SERVER",
    "USER MAPPING",
    "EVENT TRIGGER",
    "TABLE ATTACH",
    "INDEX ATTACH",
    "OPERATOR CLASS",
    "OPERATOR FAMILY",
    "PROCEDURAL LANGUAGE",
    "ACCESS METHOD",
    "PUBLICATION TABLE",
    "PUBLICATION TABLES IN SCHEMA",
    "ROW SECURITY",
    "SHELL TYPE",
)

CHECKPOINT_VERSION = 1


# ============================================================================ small pure helpers


def quote_ident(name: str) -> str:
    """Quote an identifier the way PostgreSQL's ``quote_ident`` does when in doubt: always."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, order=True)
class TableRef:
    """A table by schema and name; ``qualified`` is safe to splice into SQL."""

    schema: str
    name: str

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    @property
    def display(self) -> str:
        return f"{self.schema}.{self.name}"


def row_hash64(row_text: str) -> int:
    """The Python twin of :data:`ROW_HASH_SQL` for one row's text form (used by tests and drill-downs)."""
    return int.from_bytes(hashlib.md5(row_text.encode("utf-8")).digest()[:8], "big", signed=True)  # noqa: S324


def combine_row_hashes(hashes: Iterable[int]) -> tuple[int, int]:
    """``(count, sum)`` of row hashes: order-independent, and a removed duplicate changes both."""
    count = total = 0
    for value in hashes:
        count += 1
        total += value
    return count, total


def table_checksum_sql(table: TableRef) -> str:
    """``SELECT count(*), sum(hash)`` over one table, computed in the database (two numbers travel)."""
    row_hash = ROW_HASH_SQL.format(row="t")
    return f"SELECT count(*), coalesce(sum({row_hash}), 0)::text FROM {table.qualified} AS t"


def compare_keyed(
    source: Mapping[str, str], target: Mapping[str, str]
) -> tuple[list[str], list[str], list[str]]:
    """Keys missing on the target, present on both with different content, and extra on the target."""
    missing = [k for k in source if k not in target]
    mismatched = [k for k in source if k in target and source[k] != target[k]]
    extra = [k for k in target if k not in source]
    return missing, mismatched, extra


def compare_multisets(source: Counter[str], target: Counter[str]) -> tuple[int, int]:
    """Rows (by content hash, duplicates counted) missing on / extra on the target: tables without a key."""
    return sum((source - target).values()), sum((target - source).values())


@dataclass(frozen=True)
class TocEntry:
    """One line of ``pg_restore -l``: what ``-L`` needs (the dump id) and what we show."""

    dump_id: int
    desc: str
    oid: int
    label: str


def parse_toc(text: str) -> list[TocEntry]:
    """Parse ``pg_restore -l`` output (there is no JSON form; this is the format ``-L`` reads back).

    Each entry line is ``ID; TABLEOID OID DESC TAG...``; comment lines start with ``;``. Only the
    dump id and the object id are relied on; the label is for messages.
    """
    entries: list[TocEntry] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        head, _, rest = line.partition(";")
        parts = rest.strip().split(" ", 2)
        if not head.strip().isdigit() or len(parts) < 3:
            continue
        tail = parts[2]
        desc = next(
            (d for d in _MULTIWORD_DESCS if tail == d or tail.startswith(d + " ")), tail.split(" ", 1)[0]
        )
        label = tail[len(desc) :].strip()
        entries.append(TocEntry(int(head), desc, int(parts[1]) if parts[1].isdigit() else 0, label))
    return entries


def major_version(version_num: int) -> int:
    """``server_version_num`` (150018) -> 15."""
    return version_num // 10000


def load_rds_extensions(major: int) -> set[str] | None:
    """The extensions RDS offers for a major version, from the data file; None if it has no list for it."""
    data = json.loads(
        resources.files("runbook_lib.data").joinpath("rds_postgres_extensions.json").read_text()
    )
    names = data["by_major_version"].get(str(major))
    if names is None:
        return None
    return set(names) | set(data.get("always_allowed", []))


# ============================================================================ connections and secrets


@dataclass(frozen=True)
class PgEndpoint:
    """A PostgreSQL server; the password is kept apart from everything logged or put on a command line."""

    params: tuple[tuple[str, str], ...]
    password: str | None = None

    @classmethod
    def from_dsn(cls, dsn: str) -> PgEndpoint:
        """Parse a URL or key=value DSN; ``dbname`` is dropped (the migrator picks the database)."""
        from psycopg.conninfo import conninfo_to_dict

        try:
            values = {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
        except Exception as error:  # noqa: BLE001 - psycopg raises ProgrammingError; the text may hold the secret
            raise ParamsError(
                "dsn",
                "[REDACTED]",
                "a libpq URL or key=value connection string",
                message=f"cannot parse a PostgreSQL DSN: {type(error).__name__}",
            ) from None
        password = values.pop("password", None)
        values.pop("dbname", None)
        if password:
            from runbook_lib import redact

            redact.register_secret(password)
        return cls(tuple(sorted(values.items())), password or None)

    def conninfo(self, dbname: str) -> str:
        """A libpq conninfo string without the password (safe for argv and logs)."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(**dict(self.params), dbname=dbname)

    def get(self, key: str, default: str = "") -> str:
        return dict(self.params).get(key, default)

    def describe(self, dbname: str) -> str:
        host = self.get("host", "local socket")
        port = self.get("port", "5432")
        return f"{host}:{port}/{dbname}"

    def connect(
        self,
        dbname: str,
        *,
        read_only: bool = False,
        application_name: str = "runbook-migrate",
        connect_timeout: int = 10,
    ) -> Any:
        """An autocommit psycopg connection; ``read_only`` makes every transaction read-only (the source)."""
        import psycopg

        options = "-c default_transaction_read_only=on" if read_only else None
        kwargs: dict[str, Any] = {
            "autocommit": True,
            "application_name": application_name[:63],
            "connect_timeout": connect_timeout,
        }
        if self.password:
            kwargs["password"] = self.password
        if options:
            kwargs["options"] = options
        return psycopg.connect(self.conninfo(dbname), **kwargs)


def _passfile_line(endpoint: PgEndpoint) -> str | None:
    if not endpoint.password:
        return None

    def esc(value: str) -> str:
        return value.replace("\\", "\\\\").replace(":", "\\:")

    host = endpoint.get("host") or "*"
    port = endpoint.get("port") or "*"
    user = endpoint.get("user") or "*"
    return ":".join((esc(host), esc(port), "*", esc(user), esc(endpoint.password)))


_PASSFILE_PREFIX = "runbook-pgpass-"


def _remove_stale_passfiles() -> None:
    """Remove passfile folders of processes that died without cleaning up (a SIGKILL skips ``finally``)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_PASSFILE_PREFIX}*-*"):
        pid_text = folder.name[len(_PASSFILE_PREFIX) :].split("-", 1)[0]
        if not pid_text.isdigit() or not folder.is_dir() or folder.stat().st_uid != os.getuid():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            continue


@contextlib.contextmanager
def passfile_env(*endpoints: PgEndpoint, application_name: str) -> Iterator[dict[str, str]]:
    """Environment for libpq tools: ``PGPASSFILE`` -> a 0600 file in a private temp dir, removed afterwards.

    Why a passfile and not ``PGPASSWORD``: one file serves both servers (source and target have
    different passwords), and the value never enters a process environment other processes of the
    same user could read through ``/proc``.
    """
    lines = [line for line in (_passfile_line(e) for e in endpoints) if line]
    _remove_stale_passfiles()
    folder = Path(tempfile.mkdtemp(prefix=f"{_PASSFILE_PREFIX}{os.getpid()}-"))
    try:
        env = {"PGAPPNAME": application_name[:63], "PGCONNECT_TIMEOUT": "15"}
        if lines:
            path = folder / "pgpass"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write("\n".join(lines) + "\n")
            env["PGPASSFILE"] = str(path)
        yield env
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class PgTools:
    """Where ``pg_dump`` and ``pg_restore`` are, and their major version."""

    pg_dump: str
    pg_restore: str
    major: int

    @classmethod
    def discover(cls) -> PgTools:
        from runbook_lib.tools import postgres_bindir

        found: dict[str, str] = {}
        for name in ("pg_dump", "pg_restore"):
            path = shutil.which(name)
            if path is None:
                bindir = postgres_bindir()
                candidate = bindir / name if bindir else None
                path = str(candidate) if candidate and candidate.exists() else None
            if path is None:
                raise ToolMissingError(
                    name, f"{name} was not found", hint="apt-get install postgresql-client"
                )
            found[name] = path
        # `pg_dump --version` prints "pg_dump (PostgreSQL) 15.18 (Debian ...)"; the tool has no JSON form.
        words = run_command([found["pg_dump"], "--version"], timeout=30, logger_name=log.name).stdout.split()
        major = int(words[2].split(".")[0]) if len(words) > 2 and words[2].split(".")[0].isdigit() else 0
        return cls(found["pg_dump"], found["pg_restore"], major)


# ============================================================================ compatibility inventory


@dataclass
class SourceInventory:
    """What the source database contains that matters for RDS (gathered read-only)."""

    server_version_num: int
    database: str
    encoding: str = "UTF8"
    collate: str = ""
    ctype: str = ""
    extensions: list[tuple[str, str]] = field(default_factory=list)
    superuser_functions: list[tuple[str, str]] = field(default_factory=list)  # (function, language)
    untrusted_languages: list[str] = field(default_factory=list)
    event_triggers: list[str] = field(default_factory=list)
    alter_system_settings: list[tuple[str, str]] = field(default_factory=list)
    settings_visible: bool = True
    db_role_settings: list[tuple[str, str, str]] = field(default_factory=list)  # (scope, name=value, context)
    tablespaces: list[tuple[str, int]] = field(default_factory=list)  # (tablespace, objects using it)
    privileged_roles: list[tuple[str, list[str]]] = field(default_factory=list)
    owners: dict[str, int] = field(default_factory=dict)
    large_objects: int = 0
    unlogged_tables: list[str] = field(default_factory=list)
    foreign_tables: list[str] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)
    tables_without_pk: list[str] = field(default_factory=list)
    table_count: int = 0
    total_bytes: int = 0


@dataclass
class TargetInventory:
    """What the target server offers and whether the target database is free."""

    server_version_num: int
    rds_extensions: set[str] | None = None  # the live rds.extensions list when the target is RDS
    available_extensions: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    can_create_db: bool = True
    database_exists: bool = False
    database_objects: int = 0
    locales: set[str] = field(default_factory=set)


def evaluate_compatibility(
    source: SourceInventory,
    target: TargetInventory | None,
    *,
    pg_dump_major: int,
    offline_extensions: set[str] | None,
    role_map: Mapping[str, str] | None = None,
    no_tablespaces: bool = False,
    accept: Iterable[str] = (),
    target_is_ours: bool = False,
    replace_target: bool = False,
    target_database: str = "",
) -> list[Finding]:
    """Every finding for moving ``source`` onto RDS (``target`` None when it could not be reached).

    Pure, so it is unit-tested on crafted inventories. ``accept`` lists finding objects the operator
    has acknowledged: those blockers are recorded as warnings instead (nothing is dropped).
    """
    findings: list[Finding] = []
    source_major = major_version(source.server_version_num)
    accepted = set(accept)

    def add(severity: str, obj: str, message: str, fix: str = "") -> None:
        if severity == "blocker" and obj in accepted:
            severity, message = "warning", f"{message} (accepted by the operator)"
        findings.append(Finding(severity, obj, message, fix))

    # -- versions
    if pg_dump_major and pg_dump_major < source_major:
        add(
            "blocker",
            "pg_dump",
            f"pg_dump {pg_dump_major} cannot dump a PostgreSQL {source_major} server",
            f"install the PostgreSQL {source_major} (or newer) client tools",
        )
    if target is None:
        add(
            "blocker",
            "target",
            "the target server could not be reached",
            "check the RDS endpoint, security group and credentials",
        )
    else:
        target_major = major_version(target.server_version_num)
        if target_major < source_major:
            add(
                "blocker",
                "server version",
                f"target runs PostgreSQL {target_major}, older than the source's {source_major}",
                f"create the RDS instance with engine_version >= {source_major}",
            )
        elif target_major > source_major:
            add(
                "info",
                "server version",
                f"major upgrade {source_major} -> {target_major} during the move",
                "review the release notes for removed features; ANALYZE runs after the restore",
            )

    # -- extensions
    allowed: set[str] | None
    list_source: str
    if target is not None and target.rds_extensions is not None:
        allowed, list_source = target.rds_extensions | {"plpgsql"}, "the target's rds.extensions"
    else:
        target_major = major_version(target.server_version_num) if target else source_major
        allowed = offline_extensions
        list_source = (
            f"the RDS for PostgreSQL {target_major} list (runbook_lib/data/rds_postgres_extensions.json)"
        )
        if allowed is None:
            add(
                "warning",
                "extensions",
                f"no offline list of RDS extensions for PostgreSQL {target_major}",
                "check each extension against `SHOW rds.extensions` on the RDS instance",
            )
    for name, version in source.extensions:
        if name == "plpgsql":
            continue
        if allowed is not None and name not in allowed:
            add(
                "blocker",
                f"extension:{name}",
                f"extension {name} {version} is not offered by RDS (per {list_source})",
                "drop it on the source or replace what uses it before migrating",
            )
        elif target is not None and target.available_extensions and name not in target.available_extensions:
            add(
                "blocker",
                f"extension:{name}",
                f"extension {name} is not installed on the target server",
                "install it on the target (or pick an engine version that ships it)",
            )

    # -- objects only a superuser can create
    for function, language in source.superuser_functions:
        add(
            "blocker",
            f"function:{function}",
            f"{language}-language function needs a superuser to create; RDS has none",
            "rewrite it in SQL/PL/pgSQL or replace it with an RDS-supported extension",
        )
    for language in source.untrusted_languages:
        add(
            "blocker",
            f"language:{language}",
            f"untrusted language {language} is not available on RDS",
            "rewrite its functions in a trusted language (plpgsql, plperl, plv8)",
        )
    for trigger in source.event_triggers:
        add(
            "blocker",
            f"event trigger:{trigger}",
            "event triggers need a superuser; RDS has none",
            "drop it or re-implement it (e.g. with pg_tle) after the move",
        )
    for name, value in source.alter_system_settings:
        add(
            "blocker",
            f"setting:{name}",
            f"set with ALTER SYSTEM ({name}={value}); RDS has no ALTER SYSTEM",
            "put it in the RDS DB parameter group (terraform rds_postgres module), then accept this finding",
        )
    if not source.settings_visible:
        add(
            "warning",
            "settings",
            "ALTER SYSTEM settings could not be read (needs pg_read_all_settings)",
            "grant pg_read_all_settings to the migration user, or compare postgresql.auto.conf by hand",
        )
    for scope, assignment, context in source.db_role_settings:
        name = assignment.split("=", 1)[0]
        if context in SUPERUSER_CONTEXTS:
            add(
                "blocker",
                f"setting:{scope}:{name}",
                f"{scope} sets {assignment}, which only a superuser may set",
                "set it in the RDS DB parameter group instead, then accept this finding",
            )
        else:
            add(
                "warning",
                f"setting:{scope}:{name}",
                f"{scope} sets {assignment}; a database dump does not carry it",
                f"re-apply it on the target: ALTER {scope.split(':')[0].upper()} ... SET {assignment}",
            )
    for tablespace, objects in source.tablespaces:
        if no_tablespaces:
            add(
                "warning",
                f"tablespace:{tablespace}",
                f"{objects} objects in tablespace {tablespace} go to the default "
                "tablespace (--no-tablespaces)",
            )
        else:
            add(
                "blocker",
                f"tablespace:{tablespace}",
                f"{objects} objects use tablespace {tablespace}; RDS manages storage itself",
                "restore with no_tablespaces=True (everything lands in the default tablespace)",
            )

    # -- roles and ownership
    for role, attrs in source.privileged_roles:
        add(
            "warning",
            f"role:{role}",
            f"role {role} has {', '.join(attrs)}; RDS grants no SUPERUSER/REPLICATION",
            "grant rds_superuser / rds_replication to the role on RDS instead",
        )
    mapped = dict(role_map or {})
    if source.owners:
        owners = ", ".join(f"{role} ({count})" for role, count in sorted(source.owners.items()))
        unmapped = sorted(set(source.owners) - set(mapped))
        add(
            "info",
            "ownership",
            f"objects are owned by {owners}; roles are not part of a database dump",
            "restored with --no-owner/--no-acl (owned by the target user)"
            + (f"; roles not mapped: {', '.join(unmapped)}" if unmapped else ""),
        )
    if target is not None:
        for source_role, target_role in sorted(mapped.items()):
            if target_role not in target.roles:
                add(
                    "blocker",
                    f"role map:{source_role}",
                    f"role {target_role} (mapped from {source_role}) does not exist on the target",
                    f"CREATE ROLE {quote_ident(target_role)} on the target first",
                )

    # -- data shapes that need attention
    if source.large_objects:
        add(
            "warning",
            "large objects",
            f"{source.large_objects} large objects: copied by pg_dump and verified by count "
            "and checksum, but slow to move and not replicated by DMS",
            "consider bytea or S3 for new data",
        )
    for table in source.unlogged_tables:
        add(
            "warning",
            f"unlogged table:{table}",
            "unlogged: copied, but emptied after an RDS crash/failover and not on read replicas",
            "ALTER TABLE ... SET LOGGED if the data matters",
        )
    for table in source.foreign_tables:
        add(
            "warning",
            f"foreign table:{table}",
            "foreign table: its definition moves, its data lives elsewhere",
            "make the remote server reachable from the RDS VPC",
        )
    for subscription in source.subscriptions:
        add(
            "warning",
            f"subscription:{subscription}",
            "logical-replication subscription is restored disabled",
            "re-create or enable it on the target after the cut-over",
        )
    if source.tables_without_pk:
        shown = ", ".join(source.tables_without_pk[:5]) + (" …" if len(source.tables_without_pk) > 5 else "")
        add(
            "info",
            "tables without primary key",
            f"{len(source.tables_without_pk)}: {shown}",
            "verified by content hash with duplicates counted; DMS CDC needs a key for them",
        )

    # -- locale and the target database itself
    if target is not None:
        if source.collate and target.locales and source.collate not in target.locales:
            add(
                "warning",
                "collation",
                f"the target does not list the source's locale {source.collate}",
                "the target database gets the server default; text ordering and indexes may differ",
            )
        if not target.database_exists and not target.can_create_db:
            add(
                "blocker",
                "target database",
                f"{target_database} does not exist and the target user cannot create it",
                "create it on RDS (db_name) or grant CREATEDB",
            )
        if target.database_exists and target.database_objects and not (target_is_ours or replace_target):
            add(
                "blocker",
                "target database",
                f"{target_database} already holds {target.database_objects} objects",
                "pick an empty target database, resume the run that filled it, or pass replace_target=True",
            )
    return findings


_SOURCE_QUERIES: dict[str, str] = {
    "extensions": "SELECT extname, extversion FROM pg_extension ORDER BY 1",
    "superuser_functions": """
        SELECT p.oid::regprocedure::text, l.lanname
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE (l.lanname IN ('c', 'internal') OR (NOT l.lanpltrusted AND l.lanname <> 'sql'))
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                          AND d.deptype = 'e')
        ORDER BY 1""",
    "untrusted_languages": """
        SELECT l.lanname FROM pg_language l
        WHERE NOT l.lanpltrusted AND l.lanname NOT IN ('c', 'internal')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_language'::regclass AND d.objid = l.oid
                          AND d.deptype = 'e')
        ORDER BY 1""",
    "event_triggers": """
        SELECT e.evtname FROM pg_event_trigger e
        WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_event_trigger'::regclass
                          AND d.objid = e.oid AND d.deptype = 'e')
        ORDER BY 1""",
    "settings_visible": """
        SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)
               OR pg_has_role(current_user, 'pg_read_all_settings', 'member')""",
    "alter_system_settings": """
        SELECT name, setting FROM pg_settings WHERE sourcefile LIKE '%postgresql.auto.conf' ORDER BY 1""",
    "db_role_settings": """
        SELECT CASE WHEN s.setdatabase = 0 THEN 'role:' || r.rolname
                    WHEN s.setrole = 0 THEN 'database:' || d.datname
                    ELSE 'role:' || r.rolname || ' in database:' || d.datname END,
               c.cfg, coalesce(g.context, 'user')
        FROM pg_db_role_setting s
        LEFT JOIN pg_database d ON d.oid = s.setdatabase
        LEFT JOIN pg_roles r ON r.oid = s.setrole
        CROSS JOIN LATERAL unnest(s.setconfig) AS c(cfg)
        LEFT JOIN pg_settings g ON lower(g.name) = lower(split_part(c.cfg, '=', 1))
        WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
        ORDER BY 1, 2""",
    "tablespaces": """
        SELECT t.spcname, count(*) FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace
        WHERE t.spcname NOT IN ('pg_default', 'pg_global') GROUP BY 1
        UNION ALL
        SELECT t.spcname, 1 FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace
        WHERE d.datname = current_database() AND t.spcname NOT IN ('pg_default', 'pg_global')
        ORDER BY 1""",
    "privileged_roles": """
        SELECT rolname, rolsuper, rolreplication, rolbypassrls FROM pg_roles
        WHERE (rolsuper OR rolreplication OR rolbypassrls) AND rolname !~ '^pg_' ORDER BY 1""",
    "owners": """
        SELECT pg_get_userbyid(c.relowner), count(*)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
        GROUP BY 1""",
    "large_objects": "SELECT count(*) FROM pg_largeobject_metadata",
    "relations": """
        SELECT format('%I.%I', n.nspname, c.relname), c.relkind, c.relpersistence,
               EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),
               pg_total_relation_size(c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'f', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
        ORDER BY 1""",
    "subscriptions": """
        SELECT subname FROM pg_subscription
        WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1""",
    "database": """
        SELECT pg_encoding_to_char(encoding), datcollate, datctype
        FROM pg_database WHERE datname = current_database()""",
}


def inspect_source(conn: Any) -> SourceInventory:
    """Gather :class:`SourceInventory` with read-only catalog queries."""

    def rows(name: str) -> list[tuple[Any, ...]]:
        return list(conn.execute(_SOURCE_QUERIES[name]).fetchall())

    version = int(conn.execute("SHOW server_version_num").fetchone()[0])
    database = conn.execute("SELECT current_database()").fetchone()[0]
    inventory = SourceInventory(server_version_num=version, database=database)
    encoding, collate, ctype = rows("database")[0]
    inventory.encoding, inventory.collate, inventory.ctype = encoding, collate, ctype
    inventory.extensions = [(n, v) for n, v in rows("extensions")]
    inventory.superuser_functions = [(f, lang) for f, lang in rows("superuser_functions")]
    inventory.untrusted_languages = [r[0] for r in rows("untrusted_languages")]
    inventory.event_triggers = [r[0] for r in rows("event_triggers")]
    inventory.settings_visible = bool(rows("settings_visible")[0][0])
    if inventory.settings_visible:
        inventory.alter_system_settings = [(n, s) for n, s in rows("alter_system_settings")]
    inventory.db_role_settings = [(scope, cfg, ctx) for scope, cfg, ctx in rows("db_role_settings")]
    inventory.tablespaces = [(t, int(n)) for t, n in rows("tablespaces")]
    for role, is_super, is_repl, bypass in rows("privileged_roles"):
        attrs = [
            name
            for name, on in (("SUPERUSER", is_super), ("REPLICATION", is_repl), ("BYPASSRLS", bypass))
            if on
        ]
        inventory.privileged_roles.append((role, attrs))
    inventory.owners = {role: int(n) for role, n in rows("owners")}
    inventory.large_objects = int(rows("large_objects")[0][0])
    for name, kind, persistence, has_pk, size in rows("relations"):
        if kind in ("r", "p"):
            inventory.table_count += 1
            if persistence == "u":
                inventory.unlogged_tables.append(name)
            if kind == "r" and not has_pk:
                inventory.tables_without_pk.append(name)
        if kind == "f":
            inventory.foreign_tables.append(name)
        inventory.total_bytes += int(size or 0)
    try:
        inventory.subscriptions = [r[0] for r in rows("subscriptions")]
    except Exception as error:  # noqa: BLE001 - pg_subscription may be unreadable for the user
        log.info("cannot list subscriptions: %s", type(error).__name__)
    return inventory


def inspect_target(conn: Any, database: str) -> TargetInventory:
    """Gather :class:`TargetInventory` from the target server's maintenance database."""
    version = int(conn.execute("SHOW server_version_num").fetchone()[0])
    inventory = TargetInventory(server_version_num=version)
    row = conn.execute("SELECT setting FROM pg_settings WHERE name = 'rds.extensions'").fetchone()
    if row and row[0]:
        inventory.rds_extensions = {name.strip() for name in row[0].split(",") if name.strip()}
    inventory.available_extensions = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions")}
    inventory.roles = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles")}
    inventory.can_create_db = bool(
        conn.execute("SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user").fetchone()[
            0
        ]
    )
    inventory.database_exists = (
        conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is not None
    )
    inventory.locales = {
        r[0]
        for r in conn.execute(
            "SELECT datcollate FROM pg_database "
            "UNION SELECT collcollate FROM pg_collation WHERE collcollate IS NOT NULL"
        )
    }
    return inventory


_COUNT_USER_OBJECTS = """
    SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
              AND n.nspname NOT LIKE 'pg\\_temp%')
         + (SELECT count(*) FROM pg_namespace
            WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public')
            AND nspname NOT LIKE 'pg\\_%')
         + (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')"""


# ============================================================================ checkpoint


@dataclass
class DataEntry:
    """A data-section entry of the dump: one table's rows, or the sequences/large objects."""

    dump_id: int
    desc: str
    schema: str
    name: str
    bytes: int = 0

    @property
    def table(self) -> TableRef:
        return TableRef(self.schema, self.name)


@dataclass
class PgCheckpoint:
    """Which phases of one database's move are done; written atomically after each step."""

    source: str
    target: str
    version: int = CHECKPOINT_VERSION
    dump_dir: str = ""
    dump_done: bool = False
    dump_sha256: str = ""
    dumped_at: str = ""
    tables: list[DataEntry] = field(default_factory=list)
    other_data: list[int] = field(default_factory=list)  # dump ids of SEQUENCE SET / BLOBS entries
    target_prepared: bool = False
    pre_data: str = ""  # "", "started", "done"
    tables_done: list[int] = field(default_factory=list)
    other_data_done: bool = False
    post_data: str = ""
    owners_done: bool = False
    analyzed: bool = False
    complete: bool = False

    @classmethod
    def load(cls, path: Path) -> Self | None:
        if not path.exists():
            return None
        raw = json.loads(path.read_text())
        if raw.get("version") != CHECKPOINT_VERSION:
            log.warning(
                "%s: checkpoint version %s is not %s; starting over",
                path,
                raw.get("version"),
                CHECKPOINT_VERSION,
            )
            return None
        raw["tables"] = [DataEntry(**t) for t in raw.get("tables", [])]
        return cls(**raw)

    def save(self, path: Path) -> None:
        atomic_write_text(path, json.dumps(asdict(self), indent=1))

    def reset_restore(self) -> None:
        """Forget restore progress (a new dump makes it stale); the target database gets recreated."""
        self.pre_data = "started" if self.target_prepared else ""
        self.tables_done, self.other_data_done, self.post_data = [], False, ""
        self.owners_done = self.analyzed = self.complete = False


@dataclass
class SchemaCheckpoint(PgCheckpoint):
    """The schema around a load this migrator does not do itself (AWS DMS): pre-data, the load, post-data.

    The same phases as :class:`PgCheckpoint` (its ``dump_*`` fields describe a schema-only dump);
    ``loaded`` records that the external load finished, so a re-run never restarts a load into
    tables that already carry their constraints.
    """

    loaded: bool = False
    sequences_set: int = 0


@dataclass(frozen=True)
class SchemaStep:
    """What one schema step around an external load did (a row of the at-scale runs' notes)."""

    phase: str  # "pre-data" | "post-data"
    skipped: bool
    seconds: float
    sequences_set: int = 0
    owners_changed: int = 0
    dump_dir: str = ""


def dump_checksum(folder: Path) -> str:
    """sha256 over every file of a directory-format dump (names and contents, in name order)."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


# ============================================================================ the migrator


@dataclass(frozen=True)
class TableInfo:
    """A table as verification sees it."""

    table: TableRef
    kind: str  # pg_class.relkind
    has_pk: bool
    bytes: int
    extension_member: bool
    populated: bool = True  # False for a materialized view created WITH NO DATA


@dataclass
class TableSums:
    count: int
    total: int


_LIST_TABLES = """
    SELECT n.nspname, c.relname, c.relkind,
           EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),
           pg_table_size(c.oid),
           EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                   AND d.deptype = 'e'),
           c.relispopulated
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
    ORDER BY 1, 2"""

_LIST_SEQUENCES = """
    SELECT s.schemaname, s.sequencename, s.last_value, s.start_value, s.increment_by,
           (SELECT format('%I.%I', tn.nspname, tc.relname) || '|' || a.attname
            FROM pg_depend d JOIN pg_class tc ON tc.oid = d.refobjid
            JOIN pg_namespace tn ON tn.oid = tc.relnamespace
            JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE d.classid = 'pg_class'::regclass
              AND d.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass
              AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1)
    FROM pg_sequences s WHERE s.schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"""

_LARGE_OBJECTS_SQL = (
    "SELECT count(*), coalesce(sum(('x' || substr(md5(lo_get(oid)), 1, 16))::bit(64)::bigint), 0)::text "
    "FROM pg_largeobject_metadata"
)

_OWNED_OBJECTS = """
    SELECT 'SCHEMA', format('%I', n.nspname), pg_get_userbyid(n.nspowner) FROM pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid
                      AND d.deptype = 'e')
    UNION ALL
    SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                          WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
           c.oid::regclass::text, pg_get_userbyid(c.relowner)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i'))))
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
           p.oid::regprocedure::text, pg_get_userbyid(p.proowner)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                      AND d.deptype = 'e')
    UNION ALL
    SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype::text,
           pg_get_userbyid(t.typowner)
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typtype IN ('e', 'd', 'r', 'c') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_%'
      AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                      AND d.deptype = 'e')"""


class PostgresMigrator(Migrator):
    """Move one PostgreSQL database to RDS for PostgreSQL (see the module docstring).

    Args:
        source_dsn: the source server (URL or key=value; its dbname is ignored). Used read-only.
        target_dsn: the target server (the RDS endpoint); its user creates the target database.
        database: the source database to move.
        jobs: parallel ``pg_dump``/``pg_restore`` workers (tables are restored this many at a time).
        target_database: the name on the target (default: ``database``).
        checkpoint_dir: where the checkpoint and the dump folder live.
        workers: parallel checksum queries in verify (default: ``jobs``).
        progress: tqdm-like factory.
        role_map: source role -> target role; objects the source role owns are given to the target
            role after the restore (everything else stays with the restoring user, as RDS wants).
        compress: ``pg_dump`` compression level; 0 by default because the dump is a local staging
            copy read once by ``pg_restore`` — compressing it costs CPU and saves nothing on the wire.
        replace_target: allow dropping a non-empty target database this migrator did not create.
        no_tablespaces: restore everything into the default tablespace (RDS manages storage).
        accept: finding objects the operator acknowledged (their blockers become warnings).
        dump_dir: parent folder for dumps (default: ``checkpoint_dir``).
        maintenance_db: the target database used to create/drop the target database.
        drill_down_limit: tables larger than this many rows are not compared row by row on mismatch.
        analyze: run ANALYZE on the target after the restore (planner statistics are not dumped).
        command_timeout: seconds before a pg_dump/pg_restore call is killed (None: no limit).
    """

    kind = "postgres"

    def __init__(
        self,
        source_dsn: str,
        target_dsn: str,
        database: str,
        jobs: int = 2,
        *,
        target_database: str | None = None,
        checkpoint_dir: Path,
        workers: int | None = None,
        progress: ProgressFactory | None = None,
        role_map: Mapping[str, str] | None = None,
        compress: int = 0,
        replace_target: bool = False,
        no_tablespaces: bool = False,
        accept: Iterable[str] = (),
        dump_dir: Path | None = None,
        maintenance_db: str = "postgres",
        drill_down_limit: int = 2_000_000,
        analyze: bool = True,
        command_timeout: float | None = None,
        tools: PgTools | None = None,
    ) -> None:
        if jobs < 1:
            raise ParamsError("jobs", jobs, ">= 1")
        super().__init__(checkpoint_dir=checkpoint_dir, workers=workers or jobs, progress=progress)
        self.source = PgEndpoint.from_dsn(source_dsn)
        self.target = PgEndpoint.from_dsn(target_dsn)
        self.database = database
        self.target_database = target_database or database
        self.jobs = jobs
        self.role_map = dict(role_map or {})
        self.compress = compress
        self.replace_target = replace_target
        self.no_tablespaces = no_tablespaces
        self.accept = list(accept)
        self.dump_root = Path(dump_dir) if dump_dir else self.checkpoint_dir
        self.maintenance_db = maintenance_db
        self.drill_down_limit = drill_down_limit
        self.analyze = analyze
        self.command_timeout = command_timeout
        self._tools = tools
        self.app_name = f"runbook-migrate:{self.target_database}"[:63]
        self.checkpoint_path = self.checkpoint_dir / f"postgres-{database}-to-{self.target_database}.json"
        #: The schema steps around a DMS load (a separate file: the native copy's phases are not DMS's).
        self.schema_checkpoint_path = self.checkpoint_dir / f"postgres-{database}-to-{self.target_database}.schema.json"
        self._lock = threading.Lock()
        #: Source sums taken under the dump's snapshot by the last copy() of this object, by table.
        self._snapshot_sums: dict[TableRef, TableSums] = {}
        self._snapshot_note = ""

    # ------------------------------------------------------------------ construction from params
    @classmethod
    def from_params(
        cls,
        params: Any,
        sandbox_state: Any | None,
        *,
        checkpoint_dir: Path | None = None,
        progress: ProgressFactory | None = None,
        rds_endpoint: str | None = None,
    ) -> Migrator:
        """One migrator per ``migration.postgres`` mapping (a group when there are several).

        In the sandbox the target is where the RDS endpoint binds: the RDS instance moto reports
        (``rds_endpoint``, or discovered with ``DescribeDBInstances``) is resolved through
        :func:`runbook_lib.endpoints.resolve_endpoint`; without one, the ``postgres-target``
        service of the sandbox state is used directly. Against real AWS the target DSN secret
        names the RDS endpoint itself.
        """
        from runbook_lib.migrate._group import MigratorGroup

        mappings = list(params.migration.postgres)
        if not mappings:
            raise ParamsError(
                "migration.postgres",
                [],
                "at least one database mapping (name, source_dsn_ref, target_dsn_ref)",
            )
        base_dir = checkpoint_dir or default_checkpoint_dir(params.env, cls.kind)
        members: list[tuple[str, Migrator]] = []
        for mapping in mappings:
            source_dsn, target_dsn = _resolve_dsns(params, sandbox_state, mapping, rds_endpoint)
            members.append(
                (
                    mapping.name,
                    cls(
                        source_dsn,
                        target_dsn,
                        mapping.name,
                        mapping.jobs,
                        checkpoint_dir=base_dir,
                        workers=params.migration.workers,
                        progress=progress,
                    ),
                )
            )
        if len(members) == 1:
            return members[0][1]
        return MigratorGroup(cls.kind, members, checkpoint_dir=base_dir, progress=progress)

    # ------------------------------------------------------------------ helpers
    @property
    def tools(self) -> PgTools:
        if self._tools is None:
            self._tools = PgTools.discover()
        return self._tools

    def _source_conn(self, *, application_name: str | None = None) -> Any:
        return self.source.connect(
            self.database, read_only=True, application_name=application_name or self.app_name
        )

    def _target_conn(self, dbname: str | None = None) -> Any:
        return self.target.connect(dbname or self.target_database, application_name=self.app_name)

    def _run(self, command: list[str], env: Mapping[str, str]) -> Any:
        return run_command(command, env=env, timeout=self.command_timeout, logger_name=log.name)

    def _save(self, checkpoint: PgCheckpoint) -> None:
        path = self.schema_checkpoint_path if isinstance(checkpoint, SchemaCheckpoint) else self.checkpoint_path
        with self._lock:
            checkpoint.save(path)

    def source_size_bytes(self) -> int:
        """``pg_database_size`` of the source: the input of :func:`runbook_lib.migrate.at_scale.dms.choose_path`."""
        with self._source_conn() as conn:
            return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])

    # ------------------------------------------------------------------ check
    def check(self) -> CheckReport:
        """Compatibility with RDS and readiness of the target, before anything moves. Writes nothing."""
        report = CheckReport(kind=self.kind)
        with self._source_conn() as conn:
            source = inspect_source(conn)
        target: TargetInventory | None
        try:
            with self._target_conn(self.maintenance_db) as conn:
                target = inspect_target(conn, self.target_database)
            if target.database_exists:
                with self._target_conn() as conn:
                    target.database_objects = int(conn.execute(_COUNT_USER_OBJECTS).fetchone()[0])
        except Exception as error:  # noqa: BLE001 - an unreachable target is a finding, not a crash
            log.warning(
                "target %s unreachable: %s", self.target.describe(self.maintenance_db), type(error).__name__
            )
            target = None
        checkpoint = PgCheckpoint.load(self.checkpoint_path)
        schema = SchemaCheckpoint.load(self.schema_checkpoint_path)  # a DMS run's target is ours too
        offline = load_rds_extensions(
            major_version(target.server_version_num if target else source.server_version_num)
        )
        report.findings = evaluate_compatibility(
            source,
            target,
            pg_dump_major=self.tools.major,
            offline_extensions=offline,
            role_map=self.role_map,
            no_tablespaces=self.no_tablespaces,
            accept=self.accept,
            replace_target=self.replace_target,
            target_is_ours=bool((checkpoint and checkpoint.target_prepared) or (schema and schema.target_prepared)),
            target_database=self.target_database,
        )
        report.findings.append(
            Finding(
                "info",
                "size",
                f"{source.table_count} tables, "
                f"{source.total_bytes / 1024**2:.1f} MiB on disk in {self.database}",
            )
        )
        return report

    # ------------------------------------------------------------------ copy
    def copy(self, *, resume: bool = True) -> CopyReport:
        """Dump, then restore in phases; each finished phase and table is checkpointed.

        Args:
            resume: continue from the checkpoint (a reused dump must still match its sha256).
                Without it the checkpoint and old dumps are discarded; a target database this
                migrator created in an earlier attempt is then treated as foreign (see ``replace_target``).
        """
        started = time.monotonic()
        previous = PgCheckpoint.load(self.checkpoint_path)
        checkpoint = previous if resume else None
        src_desc, tgt_desc = self.source.describe(self.database), self.target.describe(self.target_database)
        same_pair = previous is not None and previous.source == src_desc and previous.target == tgt_desc
        if checkpoint is not None and not same_pair:
            raise MigrationError(
                f"checkpoint {self.checkpoint_path} belongs to {checkpoint.source} -> {checkpoint.target}",
                hint="use another checkpoint_dir, or copy with resume=False",
            )
        if checkpoint is None:
            self._discard_dumps()
            # Starting over still knows the target database came from this migrator: it may be recreated.
            ours = bool(same_pair and previous is not None and previous.target_prepared)
            checkpoint = PgCheckpoint(source=src_desc, target=tgt_desc, target_prepared=ours)
        report = CopyReport(
            kind=self.kind,
            details={
                "database": self.database,
                "target_database": self.target_database,
                "jobs": self.jobs,
                "resumed": bool(resume and checkpoint.dump_done),
            },
        )
        if checkpoint.complete:
            report.items_skipped = len(checkpoint.tables)
            report.details["already_complete"] = True
            report.seconds = time.monotonic() - started
            return report
        phases: dict[str, float] = {}
        report.details["phases_s"] = phases
        with (
            passfile_env(self.source, self.target, application_name=self.app_name) as env,
            ThreadPoolExecutor(max_workers=max(1, self.workers), thread_name_prefix="pg-src-sum") as sum_pool,
        ):
            snapshot_conn = None
            source_futures: dict[TableRef, Future[TableSums]] = {}
            try:
                self._end_leftover_sessions()
                t0 = time.monotonic()
                if not (checkpoint.dump_done and self._dump_intact(checkpoint)):
                    snapshot_conn, snapshot_id = self._export_snapshot()
                    self._dump(checkpoint, env, snapshot_conn, snapshot_id)
                    report.details["snapshot"] = snapshot_id
                    # Read the source side of verify now, under the dump's snapshot, while the target works.
                    for info in self._list_tables(snapshot_conn):
                        if info.kind in ("r", "m") and info.populated and not info.extension_member:
                            source_futures[info.table] = sum_pool.submit(
                                self._snapshot_table_sums, info.table, snapshot_id
                            )
                else:
                    report.details["dump_reused"] = True
                phases["dump"] = time.monotonic() - t0
                self._restore(checkpoint, env, report, phases)
            finally:
                if sys.exc_info()[0] is not None:
                    for future in source_futures.values():
                        future.cancel()
                sums: dict[TableRef, TableSums] = {}
                for table, future in source_futures.items():
                    if future.cancelled():
                        continue
                    try:
                        sums[table] = future.result()
                    except Exception as error:  # noqa: BLE001 - verify() recomputes what is missing
                        log.warning("snapshot checksum of %s failed: %s", table.display, error)
                if snapshot_conn is not None:
                    snapshot_conn.close()
                if sums:
                    self._snapshot_sums = sums
                    self._snapshot_note = (
                        f"source side read under the dump's snapshot ({checkpoint.dumped_at})"
                    )
        report.seconds = time.monotonic() - started
        return report

    def _discard_dumps(self) -> None:
        for old in self.dump_root.glob(f"dump-{self.database}-to-{self.target_database}-*"):
            shutil.rmtree(old, ignore_errors=True)
        self.checkpoint_path.unlink(missing_ok=True)

    def _dump_intact(self, checkpoint: PgCheckpoint) -> bool:
        folder = Path(checkpoint.dump_dir)
        if not (folder / "toc.dat").exists():
            log.warning("the dump %s is gone; dumping again", folder)
            return False
        actual = dump_checksum(folder)
        if actual != checkpoint.dump_sha256:
            log.warning(
                "the dump %s changed since it was taken (sha256 %s != %s); dumping again",
                folder,
                actual[:12],
                checkpoint.dump_sha256[:12],
            )
            return False
        return True

    def _end_leftover_sessions(self) -> None:
        """End target sessions a killed earlier attempt left behind (orphaned pg_restore children)."""
        try:
            with self._target_conn(self.maintenance_db) as conn:
                ended = conn.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = %s AND datname = %s AND pid <> pg_backend_pid()",
                    (self.app_name, self.target_database),
                ).fetchone()[0]
            if ended:
                log.warning("ended %s sessions a previous attempt left on %s", ended, self.target_database)
                time.sleep(0.5)
        except Exception as error:  # noqa: BLE001 - best effort; the restore phases are safe without it
            log.info("could not look for leftover sessions: %s", type(error).__name__)

    def _export_snapshot(self) -> tuple[Any, str]:
        conn = self._source_conn(application_name=f"{self.app_name}:snapshot")
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot_id = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        return conn, snapshot_id

    def _dump(
        self, checkpoint: PgCheckpoint, env: Mapping[str, str], snapshot_conn: Any, snapshot_id: str
    ) -> None:
        if checkpoint.dump_done or checkpoint.pre_data:
            log.warning(
                "a new dump makes the earlier restore progress stale: the target database will be recreated"
            )
        checkpoint.reset_restore()
        self._discard_dumps()
        folder = self.dump_root / f"dump-{self.database}-to-{self.target_database}-{uuid.uuid4().hex[:8]}"
        checkpoint.dump_dir, checkpoint.dump_done, checkpoint.dump_sha256 = str(folder), False, ""
        self._save(checkpoint)
        folder.parent.mkdir(parents=True, exist_ok=True)
        log.info(
            "pg_dump %s -> %s (jobs=%s, snapshot %s)",
            self.source.describe(self.database),
            folder,
            self.jobs,
            snapshot_id,
        )
        self._run(
            [
                self.tools.pg_dump,
                "--format=directory",
                f"--jobs={self.jobs}",
                f"--compress={self.compress}",
                f"--snapshot={snapshot_id}",
                f"--file={folder}",
                f"--dbname={self.source.conninfo(self.database)}",
            ],
            env,
        )
        toc = self._run([self.tools.pg_restore, "--list", "--section=data", str(folder)], env).stdout
        names = {
            int(oid): (schema, name)
            for oid, schema, name in snapshot_conn.execute(
                "SELECT c.oid, n.nspname, c.relname "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            )
        }
        tables: list[DataEntry] = []
        other: list[int] = []
        for entry in parse_toc(toc):
            if entry.desc == "TABLE DATA":
                schema, name = names.get(entry.oid, ("", entry.label))
                data_file = folder / f"{entry.dump_id}.dat"
                size = data_file.stat().st_size if data_file.exists() else 0
                if not data_file.exists():
                    size = sum(p.stat().st_size for p in folder.glob(f"{entry.dump_id}.dat*"))
                tables.append(DataEntry(entry.dump_id, entry.desc, schema, name, size))
            else:
                other.append(entry.dump_id)
        checkpoint.tables, checkpoint.other_data = tables, other
        checkpoint.dump_sha256 = dump_checksum(folder)
        checkpoint.dumped_at = datetime.now(UTC).isoformat(timespec="seconds")
        checkpoint.dump_done = True
        self._save(checkpoint)

    def _restore(
        self, checkpoint: PgCheckpoint, env: Mapping[str, str], report: CopyReport, phases: dict[str, float]
    ) -> None:
        folder = Path(checkpoint.dump_dir)
        common = ["--no-owner", "--no-acl", "--exit-on-error"] + (
            ["--no-tablespaces"] if self.no_tablespaces else []
        )
        target_conninfo = self.target.conninfo(self.target_database)
        t0 = time.monotonic()
        if checkpoint.pre_data != "done":
            self._prepare_target(checkpoint)
            checkpoint.pre_data = "started"
            self._save(checkpoint)
            self._run(
                [
                    self.tools.pg_restore,
                    "--section=pre-data",
                    *common,
                    f"--dbname={target_conninfo}",
                    str(folder),
                ],
                env,
            )
            checkpoint.pre_data = "done"
            self._save(checkpoint)
        phases["pre_data"] = time.monotonic() - t0

        t0 = time.monotonic()
        done = set(checkpoint.tables_done)
        pending = sorted((e for e in checkpoint.tables if e.dump_id not in done), key=lambda e: -e.bytes)
        report.items_skipped = len(checkpoint.tables) - len(pending)
        units: dict[str, dict[str, Any]] = report.details.setdefault("units", {})
        for entry in checkpoint.tables:
            units[entry.table.display] = {
                "dump_bytes": entry.bytes,
                "status": "skipped (restored earlier)" if entry.dump_id in done else "pending",
            }
        failed: dict[str, str] = {}
        total_bytes = sum(e.bytes for e in pending)
        bar = self.progress(
            total=total_bytes, desc=f"restore {self.target_database}", unit="B", unit_scale=True
        )
        try:
            with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="pg-restore") as pool:
                futures = {
                    pool.submit(self._restore_table, entry, folder, common, target_conninfo, env): entry
                    for entry in pending
                }
                for future in as_completed(futures):  # checkpoint each table the moment it is loaded
                    entry = futures[future]
                    try:
                        future.result()
                    except Exception as error:  # noqa: BLE001 - collected, the other tables go on
                        failed[entry.table.display] = str(getattr(error, "stderr", "") or error).strip()[
                            -300:
                        ]
                        units[entry.table.display]["status"] = "failed"
                        continue
                    units[entry.table.display]["status"] = "restored"
                    with self._lock:
                        checkpoint.tables_done.append(entry.dump_id)
                    self._save(checkpoint)
                    report.items_copied += 1
                    report.bytes_copied += entry.bytes
                    bar.update(entry.bytes)
        finally:
            bar.close()
        if failed:
            raise CopyFailedError(self.kind, self.target_database, failed, report.items_copied)
        if not checkpoint.other_data_done and checkpoint.other_data:
            listing = folder.parent / f".{folder.name}.other.list"
            listing.write_text("".join(f"{dump_id};\n" for dump_id in checkpoint.other_data))
            self._run(
                [
                    self.tools.pg_restore,
                    "--data-only",
                    f"--use-list={listing}",
                    *common,
                    f"--dbname={target_conninfo}",
                    str(folder),
                ],
                env,
            )
            listing.unlink(missing_ok=True)
        checkpoint.other_data_done = True
        self._save(checkpoint)
        phases["data"] = time.monotonic() - t0

        t0 = time.monotonic()
        if checkpoint.post_data != "done":
            again = checkpoint.post_data == "started"
            checkpoint.post_data = "started"
            self._save(checkpoint)
            self._run(
                [
                    self.tools.pg_restore,
                    "--section=post-data",
                    f"--jobs={self.jobs}",
                    *common,
                    *(["--clean", "--if-exists"] if again else []),
                    f"--dbname={target_conninfo}",
                    str(folder),
                ],
                env,
            )
            checkpoint.post_data = "done"
            self._save(checkpoint)
        phases["post_data"] = time.monotonic() - t0
        if self.role_map and not checkpoint.owners_done:
            report.details["owners_changed"] = self._apply_role_map()
            checkpoint.owners_done = True
            self._save(checkpoint)
        if self.analyze and not checkpoint.analyzed:
            t0 = time.monotonic()
            with self._target_conn() as conn:
                conn.execute("ANALYZE")
            checkpoint.analyzed = True
            phases["analyze"] = time.monotonic() - t0
        checkpoint.complete = True
        self._save(checkpoint)
        report.details["dump_dir"] = checkpoint.dump_dir
        report.details["dump_sha256"] = checkpoint.dump_sha256

    def _prepare_target(self, checkpoint: PgCheckpoint) -> None:
        """Make the target database exist and be empty of anything but what this run restores.

        A database this migrator prepared and whose pre-data did not finish is dropped and created
        again (everything in it came from us). A foreign non-empty database is refused unless
        ``replace_target``.
        """
        with self._target_conn(self.maintenance_db) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.target_database,)
            ).fetchone()
            recreate = bool(exists) and (checkpoint.target_prepared or self.replace_target)
            if exists and not recreate:
                with self._target_conn() as tconn:
                    objects = int(tconn.execute(_COUNT_USER_OBJECTS).fetchone()[0])
                if objects:
                    raise MigrationError(
                        f"target database {self.target_database} already holds {objects} objects",
                        hint="pick an empty target database, resume the run that filled it, "
                        "or pass replace_target=True",
                    )
            if recreate:
                log.warning("dropping target database %s to restore it from scratch", self.target_database)
                conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(self.target_database)} WITH (FORCE)")
                exists = None
            if not exists:
                self._create_target_database(conn)
        checkpoint.target_prepared = True
        self._save(checkpoint)

    def _create_target_database(self, conn: Any) -> None:
        with self._source_conn() as sconn:
            encoding, collate, ctype = sconn.execute(_SOURCE_QUERIES["database"]).fetchone()
        name = quote_ident(self.target_database)
        try:
            conn.execute(
                f"CREATE DATABASE {name} TEMPLATE template0 ENCODING '{encoding}' "
                f"LC_COLLATE '{collate.replace(chr(39), '')}' LC_CTYPE '{ctype.replace(chr(39), '')}'"
            )
        except Exception as error:  # noqa: BLE001 - the locale may not exist on the target
            log.warning(
                "CREATE DATABASE with the source locale %s failed (%s); using the target's default",
                collate,
                type(error).__name__,
            )
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING '{encoding}'")

    def _restore_table(
        self, entry: DataEntry, folder: Path, common: list[str], target_conninfo: str, env: Mapping[str, str]
    ) -> None:
        """Empty one table on the target, then load its rows: a retried table can never hold rows twice."""
        with self._target_conn() as conn:
            conn.execute(f"TRUNCATE ONLY {entry.table.qualified}")
        listing = folder.parent / f".{folder.name}.{entry.dump_id}.list"
        listing.write_text(f"{entry.dump_id};\n")
        try:
            self._run(
                [
                    self.tools.pg_restore,
                    "--data-only",
                    f"--use-list={listing}",
                    *common,
                    f"--dbname={target_conninfo}",
                    str(folder),
                ],
                env,
            )
        finally:
            listing.unlink(missing_ok=True)

    def _apply_role_map(self) -> int:
        with self._source_conn() as conn:
            conn.execute("SET search_path = ''")
            owned = conn.execute(_OWNED_OBJECTS).fetchall()
        statements = [
            f"ALTER {kind} {name} OWNER TO {quote_ident(self.role_map[owner])}"
            for kind, name, owner in owned
            if owner in self.role_map
        ]
        with self._target_conn() as conn, conn.transaction():
            conn.execute("SET LOCAL search_path = ''")
            for statement in statements:
                conn.execute(statement)
        log.info("changed the owner of %s objects per role_map", len(statements))
        return len(statements)

    # ------------------------------------------------------------------ schema around an external load (DMS)
    def schema_checkpoint(self) -> SchemaCheckpoint:
        """The schema steps' checkpoint for this source/target pair (a fresh one if there is none).

        Raises:
            MigrationError: the checkpoint file belongs to another source/target pair.
        """
        src_desc, tgt_desc = self.source.describe(self.database), self.target.describe(self.target_database)
        checkpoint = SchemaCheckpoint.load(self.schema_checkpoint_path)
        if checkpoint is None:
            return SchemaCheckpoint(source=src_desc, target=tgt_desc)
        if (checkpoint.source, checkpoint.target) != (src_desc, tgt_desc):
            raise MigrationError(
                f"checkpoint {self.schema_checkpoint_path} belongs to {checkpoint.source} -> {checkpoint.target}",
                hint="use another checkpoint_dir, or delete that file to start the schema steps over",
            )
        return checkpoint

    def restore_pre_data(self) -> SchemaStep:
        """Create the target database and restore the source's ``pre-data`` into it, for a loader like DMS.

        Why: DMS creates tables minimally (no defaults, no sequences, no secondary indexes or
        constraints), so the schema comes from ``pg_dump --schema-only`` of the source, restored in
        two halves from the same dump: ``pre-data`` (types, tables with their defaults, sequences,
        functions, views) now, ``post-data`` (indexes, constraints, triggers) by
        :meth:`restore_post_data` after the load, when building them costs one pass instead of one
        per row. The target database is prepared as for :meth:`copy` (created with the source's
        encoding; a foreign non-empty one is refused unless ``replace_target``; one whose pre-data
        this migrator left unfinished is recreated). Done once: the checkpoint skips it on a re-run.
        """
        started = time.monotonic()
        checkpoint = self.schema_checkpoint()
        if checkpoint.pre_data == "done":
            return SchemaStep("pre-data", True, time.monotonic() - started, dump_dir=checkpoint.dump_dir)
        with passfile_env(self.source, self.target, application_name=self.app_name) as env:
            self._end_leftover_sessions()
            if not (checkpoint.dump_done and self._dump_intact(checkpoint)):
                self._dump_schema(checkpoint, env)
            self._prepare_target(checkpoint)
            checkpoint.pre_data = "started"
            self._save(checkpoint)
            self._run(self._restore_section_command("pre-data", checkpoint), env)
            checkpoint.pre_data = "done"
            self._save(checkpoint)
        log.info("pre-data of %s restored into %s", self.database, self.target.describe(self.target_database))
        return SchemaStep("pre-data", False, time.monotonic() - started, dump_dir=checkpoint.dump_dir)

    def mark_loaded(self) -> None:
        """Record that the external load (DMS's full load) finished: post-data may follow; a re-run must not reload."""
        checkpoint = self.schema_checkpoint()
        checkpoint.loaded = True
        self._save(checkpoint)

    def restore_post_data(self) -> SchemaStep:
        """After the external load: ``post-data`` (indexes, constraints, triggers), sequences, owners, ANALYZE.

        Sequence values are not data DMS moves; :meth:`sync_sequences` sets them from the source. A
        post-data restore that was interrupted is restored again with ``--clean --if-exists`` (as
        :meth:`copy` does). Done once per load: the checkpoint skips it on a re-run.

        Raises:
            MigrationError: :meth:`restore_pre_data` has not run for this pair.
        """
        started = time.monotonic()
        checkpoint = self.schema_checkpoint()
        if checkpoint.pre_data != "done":
            raise MigrationError(
                f"post-data of {self.database} requested before its pre-data",
                hint="restore_pre_data() first, then the load, then restore_post_data()",
            )
        if checkpoint.complete:
            return SchemaStep(
                "post-data",
                True,
                time.monotonic() - started,
                sequences_set=checkpoint.sequences_set,
                dump_dir=checkpoint.dump_dir,
            )
        owners = 0
        with passfile_env(self.source, self.target, application_name=self.app_name) as env:
            if checkpoint.post_data != "done":
                if not (checkpoint.dump_done and self._dump_intact(checkpoint)):
                    self._dump_schema(checkpoint, env)
                again = checkpoint.post_data == "started"
                checkpoint.post_data = "started"
                self._save(checkpoint)
                self._run(self._restore_section_command("post-data", checkpoint, again=again), env)
                checkpoint.post_data = "done"
                self._save(checkpoint)
        checkpoint.sequences_set = self.sync_sequences()
        self._save(checkpoint)
        if self.role_map and not checkpoint.owners_done:
            owners = self._apply_role_map()
            checkpoint.owners_done = True
            self._save(checkpoint)
        if self.analyze and not checkpoint.analyzed:
            with self._target_conn() as conn:
                conn.execute("ANALYZE")
            checkpoint.analyzed = True
        checkpoint.complete = True
        self._save(checkpoint)
        log.info("post-data of %s restored, %s sequences set", self.database, checkpoint.sequences_set)
        return SchemaStep(
            "post-data",
            False,
            time.monotonic() - started,
            sequences_set=checkpoint.sequences_set,
            owners_changed=owners,
            dump_dir=checkpoint.dump_dir,
        )

    def sync_sequences(self) -> int:
        """Set every sequence of the target to the source's current value; returns how many were set.

        What ``pg_dump`` writes as ``SEQUENCE SET`` (``setval(seq, last_value, is_called)``), read from
        the live source with the query :meth:`verify` compares sequences with. Under CDC the source
        keeps drawing values: call this again at the cut-over, after the writers stopped.
        """
        rows = self._fetch("source", _LIST_SEQUENCES)
        with self._target_conn() as conn, conn.transaction():
            for schema, name, last_value, start_value, _increment, _owned_by in rows:
                sequence = f"{quote_ident(schema)}.{quote_ident(name)}"
                if last_value is None:  # never called (or not readable): next nextval() returns start
                    conn.execute("SELECT pg_catalog.setval(%s::regclass, %s, false)", (sequence, start_value))
                else:
                    conn.execute("SELECT pg_catalog.setval(%s::regclass, %s, true)", (sequence, last_value))
        return len(rows)

    def _dump_schema(self, checkpoint: SchemaCheckpoint, env: Mapping[str, str]) -> None:
        """``pg_dump --schema-only`` (directory format) of the source, recorded with its sha256."""
        self._discard_schema_dumps()
        folder = self.dump_root / f"schema-{self.database}-to-{self.target_database}-{uuid.uuid4().hex[:8]}"
        folder.parent.mkdir(parents=True, exist_ok=True)
        log.info("pg_dump --schema-only %s -> %s", self.source.describe(self.database), folder)
        self._run(
            [
                self.tools.pg_dump,
                "--format=directory",
                "--schema-only",
                f"--file={folder}",
                f"--dbname={self.source.conninfo(self.database)}",
            ],
            env,
        )
        checkpoint.dump_dir, checkpoint.dump_sha256 = str(folder), dump_checksum(folder)
        checkpoint.dumped_at = datetime.now(UTC).isoformat(timespec="seconds")
        checkpoint.dump_done = True
        self._save(checkpoint)

    def _restore_section_command(self, section: str, checkpoint: PgCheckpoint, *, again: bool = False) -> list[str]:
        """The ``pg_restore`` of one section into the target, with the flags :meth:`copy` uses."""
        return [
            self.tools.pg_restore,
            f"--section={section}",
            *([f"--jobs={self.jobs}"] if section == "post-data" else []),
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            *(["--no-tablespaces"] if self.no_tablespaces else []),
            *(["--clean", "--if-exists"] if again else []),
            f"--dbname={self.target.conninfo(self.target_database)}",
            checkpoint.dump_dir,
        ]

    def _discard_schema_dumps(self) -> None:
        for old in self.dump_root.glob(f"schema-{self.database}-to-{self.target_database}-*"):
            shutil.rmtree(old, ignore_errors=True)

    # ------------------------------------------------------------------ checksums
    @staticmethod
    def _prepare_session(conn: Any) -> None:
        for name, value in TEXT_FORM_SETTINGS:
            conn.execute(f"SET {name} = '{value}'")

    def _snapshot_table_sums(self, table: TableRef, snapshot_id: str) -> TableSums:
        from psycopg import sql

        with self._source_conn(application_name=f"{self.app_name}:verify") as conn:
            self._prepare_session(conn)
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot_id)))
            count, total = conn.execute(table_checksum_sql(table)).fetchone()
            conn.execute("COMMIT")
        return TableSums(int(count), int(total))

    def _table_sums(self, side: str, table: TableRef) -> TableSums | None:
        """Count and checksum of one table on ``side`` ("source"/"target"); None if the table is not there."""
        import psycopg

        conn = (
            self._source_conn(application_name=f"{self.app_name}:verify")
            if side == "source"
            else self._target_conn()
        )
        with conn:
            self._prepare_session(conn)
            try:
                count, total = conn.execute(table_checksum_sql(table)).fetchone()
            except psycopg.errors.UndefinedTable:
                return None
        return TableSums(int(count), int(total))

    def _list_tables(self, conn: Any) -> list[TableInfo]:
        return [
            TableInfo(TableRef(schema, name), kind, bool(has_pk), int(size or 0), bool(ext), bool(populated))
            for schema, name, kind, has_pk, size, ext, populated in conn.execute(_LIST_TABLES).fetchall()
        ]

    # ------------------------------------------------------------------ verify
    def verify(self) -> VerifyReport:
        """Per table: count and checksum on both sides (in parallel), drilled down where they differ.

        The source side comes from the dump's snapshot when this object just copied (see the
        module docstring), else from the live source. Also compares sequences (and that each
        serial/identity sequence continues past the largest value in its column) and large objects.
        """
        report = VerifyReport(kind=self.kind)
        notes: list[str] = []
        with self._source_conn() as conn:
            source_tables = self._list_tables(conn)
        try:
            with self._target_conn() as conn:
                target_tables = {t.table: t for t in self._list_tables(conn)}
        except Exception as error:  # noqa: BLE001 - a missing target database is a verification failure
            report.problems.append(
                f"target database {self.target_database} unreachable: {type(error).__name__}"
            )
            return report
        checked: list[TableInfo] = []
        for info in source_tables:
            if info.extension_member:
                notes.append(
                    f"{info.table.display}: belongs to an extension (its rows are the extension's); "
                    "not compared"
                )
            elif info.kind == "p":
                notes.append(
                    f"{info.table.display}: partitioned parent; its rows are compared through its partitions"
                )
            elif info.kind == "f":
                notes.append(
                    f"{info.table.display}: foreign table; its rows live on the remote server; not compared"
                )
            elif not info.populated:
                notes.append(
                    f"{info.table.display}: materialized view WITH NO DATA on the source; not compared"
                )
            else:
                checked.append(info)
        snapshot = dict(self._snapshot_sums)
        if snapshot:
            notes.append(self._snapshot_note)
        results: dict[TableRef, tuple[TableSums | None, TableSums | None]] = {}
        bar = self.progress(total=len(checked), desc=f"verify {self.target_database}", unit="table")
        try:
            with ThreadPoolExecutor(max_workers=max(1, self.workers), thread_name_prefix="pg-verify") as pool:
                jobs: dict[TableRef, tuple[Future[Any] | None, Future[Any]]] = {}
                for info in sorted(checked, key=lambda i: -i.bytes):
                    source_job = (
                        None
                        if info.table in snapshot
                        else pool.submit(self._table_sums, "source", info.table)
                    )
                    jobs[info.table] = (source_job, pool.submit(self._table_sums, "target", info.table))
                for table, (source_job, target_job) in jobs.items():
                    source_sums = snapshot[table] if source_job is None else source_job.result()
                    results[table] = (source_sums, target_job.result())
                    bar.update(1)
        finally:
            bar.close()
        for info in sorted(checked, key=lambda i: i.table):
            source_sums, target_sums = results[info.table]
            report.rows.append(self._compare_table(info, source_sums, target_sums, report.problems))
        for table in sorted(set(target_tables) - {i.table for i in source_tables}):
            extra_info = target_tables[table]
            if extra_info.kind not in ("r", "m") or extra_info.extension_member:
                continue
            sums = self._table_sums("target", table)
            count = sums.count if sums else 0
            report.rows.append(
                VerifyRow(table.display, 0, count, 0, 0, 0, count, "", str(sums.total) if sums else "")
            )
            report.problems.append(f"{table.display}: exists only on the target")
        self._verify_sequences(report)
        self._verify_large_objects(report)
        _attach_notes(report, notes)
        return report

    def _compare_table(
        self, info: TableInfo, source: TableSums | None, target: TableSums | None, problems: list[str]
    ) -> VerifyRow:
        unit = info.table.display
        if source is None:
            problems.append(f"{unit}: disappeared from the source during verification")
            return VerifyRow(unit, 0, target.count if target else 0, 0, 0, 0, 0)
        if target is None:
            problems.append(f"{unit}: missing on the target")
            return VerifyRow(unit, source.count, 0, 0, source.count, 0, 0, str(source.total), "", info.bytes)
        row = VerifyRow(
            unit,
            source.count,
            target.count,
            source.count,
            0,
            0,
            0,
            str(source.total),
            str(target.total),
            info.bytes,
        )
        if source.count == target.count and source.total == target.total:
            return row
        missing, mismatched, extra, samples = self._drill_down(info, source, target)
        row.missing, row.mismatched, row.extra = missing, mismatched, extra
        row.matched = max(0, source.count - missing - mismatched)
        problems.append(
            f"{unit}: {missing} missing, {mismatched} changed, {extra} extra on the target"
            + (f" (e.g. {', '.join(samples[:5])})" if samples else "")
        )
        return row

    def _drill_down(
        self, info: TableInfo, source: TableSums, target: TableSums
    ) -> tuple[int, int, int, list[str]]:
        """Find which rows differ: by primary key where there is one, else by multiset of row hashes.

        Reads the live source (the snapshot may be gone). Tables above ``drill_down_limit`` rows are
        not read row by row; the counts then come from the totals alone.
        """
        if max(source.count, target.count) > self.drill_down_limit:
            short = max(0, source.count - target.count)
            over = max(0, target.count - source.count)
            return short, (1 if short == over == 0 else 0), over, ["table too large to compare row by row"]
        row_hash = "md5(t::text)"
        if info.has_pk:
            key_sql = self._pk_expression(info.table)
            query = f"SELECT ({key_sql})::text, {row_hash} FROM {info.table.qualified} AS t"
            source_rows = dict(self._fetch("source", query))
            target_rows = dict(self._fetch("target", query))
            missing_keys, changed_keys, extra_keys = compare_keyed(source_rows, target_rows)
            samples = (
                [f"key {k} changed" for k in changed_keys[:3]]
                + [f"key {k} missing" for k in missing_keys[:3]]
                + [f"key {k} extra" for k in extra_keys[:3]]
            )
            return len(missing_keys), len(changed_keys), len(extra_keys), samples
        query = f"SELECT {row_hash}, count(*) FROM {info.table.qualified} AS t GROUP BY 1"
        source_counts = Counter({h: int(n) for h, n in self._fetch("source", query)})
        target_counts = Counter({h: int(n) for h, n in self._fetch("target", query)})
        lost, added = compare_multisets(source_counts, target_counts)
        samples = [
            f"row md5 {h[:12]} x{n} missing" for h, n in list((source_counts - target_counts).items())[:3]
        ]
        return lost, 0, added, samples

    def _pk_expression(self, table: TableRef) -> str:
        with self._source_conn() as conn:
            columns = [
                r[0]
                for r in conn.execute(
                    "SELECT a.attname FROM pg_index i "
                    "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
                    "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                    "WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY k.ord",
                    (table.qualified,),
                ).fetchall()
            ]
        return "ROW(" + ", ".join(f"t.{quote_ident(c)}" for c in columns) + ")"

    def _fetch(self, side: str, query: str) -> list[tuple[Any, ...]]:
        conn = self._source_conn() if side == "source" else self._target_conn()
        with conn:
            self._prepare_session(conn)
            return list(conn.execute(query).fetchall())

    def _verify_sequences(self, report: VerifyReport) -> None:
        source = {(r[0], r[1]): r for r in self._fetch("source", _LIST_SEQUENCES)}
        target = {(r[0], r[1]): r for r in self._fetch("target", _LIST_SEQUENCES)}
        for key in sorted(source):
            unit = f"sequence {key[0]}.{key[1]}"
            s_last = source[key][2]
            if key not in target:
                report.rows.append(VerifyRow(unit, 1, 0, 0, 1, 0, 0, f"last_value={s_last}", ""))
                report.problems.append(f"{unit}: missing on the target")
                continue
            _, _, t_last, t_start, t_increment, owned_by = target[key]
            row = VerifyRow(unit, 1, 1, 1, 0, 0, 0, f"last_value={s_last}", f"last_value={t_last}")
            if s_last != t_last:
                row.matched, row.mismatched = 0, 1
                report.problems.append(f"{unit}: last_value {t_last} on the target, {s_last} on the source")
            if owned_by:
                table_sql, column = owned_by.split("|", 1)
                maximum = self._fetch("target", f"SELECT max({quote_ident(column)}) FROM {table_sql}")[0][0]
                next_value = t_start if t_last is None else t_last + t_increment
                row.target_checksum += f" next={next_value} max({column})={maximum}"
                ascending = t_increment > 0
                if maximum is not None and (
                    (ascending and next_value <= maximum) or (not ascending and next_value >= maximum)
                ):
                    row.matched, row.mismatched = 0, 1
                    report.problems.append(
                        f"{unit}: next value {next_value} would collide with {column}={maximum}"
                    )
            report.rows.append(row)
        for key in sorted(set(target) - set(source)):
            report.problems.append(f"sequence {key[0]}.{key[1]}: exists only on the target")

    def _verify_large_objects(self, report: VerifyReport) -> None:
        source_count, source_sum = self._fetch("source", _LARGE_OBJECTS_SQL)[0]
        target_count, target_sum = self._fetch("target", _LARGE_OBJECTS_SQL)[0]
        if not source_count and not target_count:
            return
        same = source_count == target_count and source_sum == target_sum
        report.rows.append(
            VerifyRow(
                "large objects",
                int(source_count),
                int(target_count),
                int(source_count) if same else 0,
                max(0, source_count - target_count),
                0 if same or source_count != target_count else 1,
                max(0, target_count - source_count),
                source_sum,
                target_sum,
            )
        )
        if not same:
            report.problems.append(
                f"large objects: {target_count} (sum {target_sum}) on the target, "
                f"{source_count} (sum {source_sum}) on the source"
            )

    # ------------------------------------------------------------------ housekeeping
    def drop_target(self) -> None:
        """Drop the target database and forget the checkpoint (tests and rehearsals)."""
        with self._target_conn(self.maintenance_db) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(self.target_database)} WITH (FORCE)")
        self._discard_dumps()
        self._discard_schema_dumps()
        self.schema_checkpoint_path.unlink(missing_ok=True)


def _attach_notes(report: VerifyReport, notes: list[str]) -> None:
    """Record what verify did not compare, and why (``VerifyReport.notes`` when the base has it)."""
    if hasattr(report, "notes"):
        report.notes.extend(notes)  # type: ignore[attr-defined]
    for note in notes:
        log.info("verify note: %s", note)


def _resolve_dsns(
    params: Any, sandbox_state: Any | None, mapping: Any, rds_endpoint: str | None
) -> tuple[str, str]:
    """Source and target DSNs for one mapping; in the sandbox the target follows the RDS endpoint binding."""
    from runbook_lib.endpoints import aws_endpoint_url, resolve_endpoint
    from runbook_lib.params import resolve_secret

    resolver: Callable[[str], str] | None = None
    if sandbox_state is not None:

        def resolver(name: str) -> str:
            return sandbox_state.url(name, with_secret=True)

    endpoint_url = aws_endpoint_url(params.aws)
    session = None
    if params.aws.profile and not params.is_sandbox:
        import boto3

        session = boto3.Session(profile_name=params.aws.profile)
    source_dsn = resolve_secret(
        mapping.source_dsn_ref, sandbox_resolver=resolver, session=session, endpoint_url=endpoint_url
    )
    target_dsn = resolve_secret(
        mapping.target_dsn_ref, sandbox_resolver=resolver, session=session, endpoint_url=endpoint_url
    )
    if params.is_sandbox:
        reported = rds_endpoint or _discover_rds_endpoint(params, mapping.name)
        if reported:
            resolved = resolve_endpoint("rds", reported, sandbox=True)
            log.info("RDS endpoint %s binds to %s in the sandbox", reported, resolved.connect_to)
            target_dsn = with_host_port(target_dsn, resolved.connect_to)
        else:
            log.info("no RDS instance known yet; using the sandbox's postgres-target directly")
    return source_dsn, target_dsn


def with_host_port(dsn: str, host_port: str) -> str:
    """The same DSN pointed at ``host:port`` (credentials and options kept)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    values = {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
    host, _, port = host_port.rpartition(":") if ":" in host_port else (host_port, "", "")
    values["host"] = host
    if port:
        values["port"] = port
    return make_conninfo(**values)


def _discover_rds_endpoint(params: Any, database: str) -> str | None:
    """The address moto reports for the PostgreSQL RDS instance holding ``database`` (or the only one)."""
    from runbook_lib.clients import aws_client

    try:
        rds = aws_client("rds", params.aws, max_attempts=1, connect_timeout=2)
        instances = [
            i
            for i in rds.describe_db_instances().get("DBInstances", [])
            if str(i.get("Engine", "")).startswith("postgres") and i.get("Endpoint")
        ]
    except Exception as error:  # noqa: BLE001 - no moto/RDS yet is normal before phase 2
        log.info("cannot list RDS instances: %s", type(error).__name__)
        return None
    named = [i for i in instances if i.get("DBName") == database]
    chosen = named[0] if named else (instances[0] if len(instances) == 1 else None)
    if chosen is None:
        return None
    endpoint = chosen["Endpoint"]
    return f"{endpoint['Address']}:{endpoint.get('Port', 5432)}"


__all__ = [
    "PostgresMigrator",
    "PgEndpoint",
    "SchemaCheckpoint",
    "SchemaStep",
    "PgTools",
    "TableRef",
    "TocEntry",
    "SourceInventory",
    "TargetInventory",
    "evaluate_compatibility",
    "parse_toc",
    "row_hash64",
    "combine_row_hashes",
    "table_checksum_sql",
    "compare_keyed",
    "compare_multisets",
    "load_rds_extensions",
    "passfile_env",
    "dump_checksum",
    "with_host_port",
]
