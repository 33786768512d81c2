"""What a source database holds and what a target server offers, read from their catalogs.

The inventories are plain dataclasses so :func:`~runbook_lib.migrate.postgres.compat.evaluate_compatibility`
can be tested on crafted ones; the queries here are read-only (the source connection is read-only too).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


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


SOURCE_QUERIES: dict[str, str] = {
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
        return list(conn.execute(SOURCE_QUERIES[name]).fetchall())

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
        attrs = [name for name, on in (("SUPERUSER", is_super), ("REPLICATION", is_repl), ("BYPASSRLS", bypass)) if on]
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
        conn.execute("SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user").fetchone()[0]
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


#: Objects in the current database that are not the server's: a target database holding any is not empty.
COUNT_USER_OBJECTS = """
    SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
              AND n.nspname NOT LIKE 'pg\\_temp%')
         + (SELECT count(*) FROM pg_namespace
            WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public')
            AND nspname NOT LIKE 'pg\\_%')
         + (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')"""
