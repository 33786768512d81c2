"""Whether a source database can move onto RDS for PostgreSQL: the rules, as one pure function.

:func:`evaluate_compatibility` turns the two inventories (:mod:`runbook_lib.migrate.postgres.inventory`)
into findings; it reads nothing itself, so every rule is unit-tested on crafted inventories. RDS has no
superuser, so what only a superuser can create, set or own is a blocker here, before anything moves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from importlib import resources

from runbook_lib.migrate.base import Finding
from runbook_lib.migrate.postgres.identifiers import quote_ident
from runbook_lib.migrate.postgres.inventory import SourceInventory, TargetInventory

#: GUC contexts a non-superuser (and so RDS's ``rds_superuser``) cannot set per database or role.
SUPERUSER_CONTEXTS = frozenset({"internal", "postmaster", "sighup", "superuser", "superuser-backend", "backend"})


def major_version(version_num: int) -> int:
    """``server_version_num`` (150018) -> 15."""
    return version_num // 10000


def load_rds_extensions(major: int) -> set[str] | None:
    """The extensions RDS offers for a major version, from the data file; None if it has no list for it."""
    data = json.loads(resources.files("runbook_lib.data").joinpath("rds_postgres_extensions.json").read_text())
    names = data["by_major_version"].get(str(major))
    if names is None:
        return None
    return set(names) | set(data.get("always_allowed", []))


class _Findings:
    """The findings so far; a blocker the operator accepted is recorded as a warning (nothing is dropped)."""

    def __init__(self, accept: Iterable[str]) -> None:
        self.accepted = set(accept)
        self.items: list[Finding] = []

    def add(self, severity: str, obj: str, message: str, fix: str = "") -> None:
        if severity == "blocker" and obj in self.accepted:
            severity, message = "warning", f"{message} (accepted by the operator)"
        self.items.append(Finding(severity, obj, message, fix))


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
    out = _Findings(accept)
    _check_versions(out, source, target, pg_dump_major)
    _check_extensions(out, source, target, offline_extensions)
    _check_superuser_objects(out, source, no_tablespaces)
    _check_roles(out, source, target, dict(role_map or {}))
    _check_data_shapes(out, source)
    if target is not None:
        _check_target_database(out, source, target, target_is_ours or replace_target, target_database)
    return out.items


def _check_versions(
    out: _Findings, source: SourceInventory, target: TargetInventory | None, pg_dump_major: int
) -> None:
    """The tools can read the source, and the target is reachable and no older than the source."""
    source_major = major_version(source.server_version_num)
    if pg_dump_major and pg_dump_major < source_major:
        out.add(
            "blocker",
            "pg_dump",
            f"pg_dump {pg_dump_major} cannot dump a PostgreSQL {source_major} server",
            f"install the PostgreSQL {source_major} (or newer) client tools",
        )
    if target is None:
        out.add(
            "blocker",
            "target",
            "the target server could not be reached",
            "check the RDS endpoint, security group and credentials",
        )
    else:
        target_major = major_version(target.server_version_num)
        if target_major < source_major:
            out.add(
                "blocker",
                "server version",
                f"target runs PostgreSQL {target_major}, older than the source's {source_major}",
                f"create the RDS instance with engine_version >= {source_major}",
            )
        elif target_major > source_major:
            out.add(
                "info",
                "server version",
                f"major upgrade {source_major} -> {target_major} during the move",
                "review the release notes for removed features; ANALYZE runs after the restore",
            )


def _check_extensions(
    out: _Findings, source: SourceInventory, target: TargetInventory | None, offline_extensions: set[str] | None
) -> None:
    """Every extension must be offered by RDS (the live list when the target is RDS) and installed."""
    source_major = major_version(source.server_version_num)
    allowed: set[str] | None
    list_source: str
    if target is not None and target.rds_extensions is not None:
        allowed, list_source = target.rds_extensions | {"plpgsql"}, "the target's rds.extensions"
    else:
        target_major = major_version(target.server_version_num) if target else source_major
        allowed = offline_extensions
        list_source = f"the RDS for PostgreSQL {target_major} list (runbook_lib/data/rds_postgres_extensions.json)"
        if allowed is None:
            out.add(
                "warning",
                "extensions",
                f"no offline list of RDS extensions for PostgreSQL {target_major}",
                "check each extension against `SHOW rds.extensions` on the RDS instance",
            )
    for name, version in source.extensions:
        if name == "plpgsql":
            continue
        if allowed is not None and name not in allowed:
            out.add(
                "blocker",
                f"extension:{name}",
                f"extension {name} {version} is not offered by RDS (per {list_source})",
                "drop it on the source or replace what uses it before migrating",
            )
        elif target is not None and target.available_extensions and name not in target.available_extensions:
            out.add(
                "blocker",
                f"extension:{name}",
                f"extension {name} is not installed on the target server",
                "install it on the target (or pick an engine version that ships it)",
            )


def _check_superuser_objects(out: _Findings, source: SourceInventory, no_tablespaces: bool) -> None:
    """Objects and settings only a superuser can create; RDS has none."""
    for function, language in source.superuser_functions:
        out.add(
            "blocker",
            f"function:{function}",
            f"{language}-language function needs a superuser to create; RDS has none",
            "rewrite it in SQL/PL/pgSQL or replace it with an RDS-supported extension",
        )
    for language in source.untrusted_languages:
        out.add(
            "blocker",
            f"language:{language}",
            f"untrusted language {language} is not available on RDS",
            "rewrite its functions in a trusted language (plpgsql, plperl, plv8)",
        )
    for trigger in source.event_triggers:
        out.add(
            "blocker",
            f"event trigger:{trigger}",
            "event triggers need a superuser; RDS has none",
            "drop it or re-implement it (e.g. with pg_tle) after the move",
        )
    for name, value in source.alter_system_settings:
        out.add(
            "blocker",
            f"setting:{name}",
            f"set with ALTER SYSTEM ({name}={value}); RDS has no ALTER SYSTEM",
            "put it in the RDS DB parameter group (terraform rds_postgres module), then accept this finding",
        )
    if not source.settings_visible:
        out.add(
            "warning",
            "settings",
            "ALTER SYSTEM settings could not be read (needs pg_read_all_settings)",
            "grant pg_read_all_settings to the migration user, or compare postgresql.auto.conf by hand",
        )
    for scope, assignment, context in source.db_role_settings:
        name = assignment.split("=", 1)[0]
        if context in SUPERUSER_CONTEXTS:
            out.add(
                "blocker",
                f"setting:{scope}:{name}",
                f"{scope} sets {assignment}, which only a superuser may set",
                "set it in the RDS DB parameter group instead, then accept this finding",
            )
        else:
            out.add(
                "warning",
                f"setting:{scope}:{name}",
                f"{scope} sets {assignment}; a database dump does not carry it",
                f"re-apply it on the target: ALTER {scope.split(':')[0].upper()} ... SET {assignment}",
            )
    for tablespace, objects in source.tablespaces:
        if no_tablespaces:
            out.add(
                "warning",
                f"tablespace:{tablespace}",
                f"{objects} objects in tablespace {tablespace} go to the default tablespace (--no-tablespaces)",
            )
        else:
            out.add(
                "blocker",
                f"tablespace:{tablespace}",
                f"{objects} objects use tablespace {tablespace}; RDS manages storage itself",
                "restore with no_tablespaces=True (everything lands in the default tablespace)",
            )


def _check_roles(
    out: _Findings, source: SourceInventory, target: TargetInventory | None, mapped: dict[str, str]
) -> None:
    """Roles are cluster-wide: not in a database dump; privileged ones and the role map need the target's."""
    for role, attrs in source.privileged_roles:
        out.add(
            "warning",
            f"role:{role}",
            f"role {role} has {', '.join(attrs)}; RDS grants no SUPERUSER/REPLICATION",
            "grant rds_superuser / rds_replication to the role on RDS instead",
        )
    if source.owners:
        owners = ", ".join(f"{role} ({count})" for role, count in sorted(source.owners.items()))
        unmapped = sorted(set(source.owners) - set(mapped))
        out.add(
            "info",
            "ownership",
            f"objects are owned by {owners}; roles are not part of a database dump",
            "restored with --no-owner/--no-acl (owned by the target user)"
            + (f"; roles not mapped: {', '.join(unmapped)}" if unmapped else ""),
        )
    if target is not None:
        for source_role, target_role in sorted(mapped.items()):
            if target_role not in target.roles:
                out.add(
                    "blocker",
                    f"role map:{source_role}",
                    f"role {target_role} (mapped from {source_role}) does not exist on the target",
                    f"CREATE ROLE {quote_ident(target_role)} on the target first",
                )


def _check_data_shapes(out: _Findings, source: SourceInventory) -> None:
    """Data that moves but needs attention (large objects, unlogged and foreign tables, subscriptions)."""
    if source.large_objects:
        out.add(
            "warning",
            "large objects",
            f"{source.large_objects} large objects: copied by pg_dump and verified by count "
            "and checksum, but slow to move and not replicated by DMS",
            "consider bytea or S3 for new data",
        )
    for table in source.unlogged_tables:
        out.add(
            "warning",
            f"unlogged table:{table}",
            "unlogged: copied, but emptied after an RDS crash/failover and not on read replicas",
            "ALTER TABLE ... SET LOGGED if the data matters",
        )
    for table in source.foreign_tables:
        out.add(
            "warning",
            f"foreign table:{table}",
            "foreign table: its definition moves, its data lives elsewhere",
            "make the remote server reachable from the RDS VPC",
        )
    for subscription in source.subscriptions:
        out.add(
            "warning",
            f"subscription:{subscription}",
            "logical-replication subscription is restored disabled",
            "re-create or enable it on the target after the cut-over",
        )
    if source.tables_without_pk:
        shown = ", ".join(source.tables_without_pk[:5]) + (" …" if len(source.tables_without_pk) > 5 else "")
        out.add(
            "info",
            "tables without primary key",
            f"{len(source.tables_without_pk)}: {shown}",
            "verified by content hash with duplicates counted; DMS CDC needs a key for them",
        )


def _check_target_database(
    out: _Findings, source: SourceInventory, target: TargetInventory, may_replace: bool, target_database: str
) -> None:
    """The locale, and whether the target database is free (or ours to replace)."""
    if source.collate and target.locales and source.collate not in target.locales:
        out.add(
            "warning",
            "collation",
            f"the target does not list the source's locale {source.collate}",
            "the target database gets the server default; text ordering and indexes may differ",
        )
    if not target.database_exists and not target.can_create_db:
        out.add(
            "blocker",
            "target database",
            f"{target_database} does not exist and the target user cannot create it",
            "create it on RDS (db_name) or grant CREATEDB",
        )
    if target.database_exists and target.database_objects and not may_replace:
        out.add(
            "blocker",
            "target database",
            f"{target_database} already holds {target.database_objects} objects",
            "pick an empty target database, resume the run that filled it, or pass replace_target=True",
        )
