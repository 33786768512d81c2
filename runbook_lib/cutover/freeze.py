"""Freeze and unfreeze writes, and prove it: PostgreSQL read-only by the server, other sources by their fingerprint.

Why the server's own switch for PostgreSQL: ``ALTER DATABASE … SET default_transaction_read_only = on`` makes
every new session of that database read-only, so no application can write while the last changes are copied;
the sessions already open keep their old setting, so they are ended (``pg_terminate_backend``) and the freeze
is then *proven* by a write attempt that must fail. Unfreezing is ``RESET`` and a write that must succeed
(inside a transaction that is rolled back, so the probe leaves nothing behind).

Object stores, MongoDB and Kafka have no such switch the runbook may flip (MinIO bucket policies, MongoDB
``fsyncLock`` and broker ACLs belong to their operators): their writers are paused by the producers' switch
(:mod:`runbook_lib.cutover.switch`), and the pause is proven by the source's fingerprint - object listing,
document counts, topic end offsets - being the same at the freeze and just before the switch.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from runbook_lib.errors import CutoverError

log = logging.getLogger("runbook_lib.cutover.freeze")


@dataclass(frozen=True)
class PgDatabase:
    """One PostgreSQL database on one server (``endpoint`` is a :class:`~runbook_lib.migrate.postgres.PgEndpoint`)."""

    endpoint: Any
    database: str
    side: str  # source | target

    def describe(self) -> str:
        return f"{self.side} {self.endpoint.describe(self.database)}"


def postgres_databases(migrator: Any) -> Iterator[tuple[PgDatabase, PgDatabase]]:
    """(source, target) of every database a postgres migrator (or group of them) moves."""
    members = [m for _, m in getattr(migrator, "members", [])] or [migrator]
    for member in members:
        yield (PgDatabase(member.source, member.database, "source"),
               PgDatabase(member.target, member.target_database, "target"))


def set_read_only(db: PgDatabase, on: bool, *, app: str = "runbook-cutover") -> int:
    """``ALTER DATABASE … SET/RESET default_transaction_read_only``; with ``on``, end the database's other sessions.

    Returns:
        How many sessions were ended.
    """
    from psycopg import sql

    name = sql.Identifier(db.database)
    statement = (sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = on") if on
                 else sql.SQL("ALTER DATABASE {} RESET default_transaction_read_only")).format(name)
    ended = 0
    with db.endpoint.connect("postgres", application_name=app) as conn:
        conn.execute(statement)
        if on:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (db.database,),
            ).fetchall()
            ended = sum(1 for (done,) in rows if done)
    log.info("%s: default_transaction_read_only %s (%d sessions ended)", db.describe(), "on" if on else "reset", ended)
    return ended


@dataclass(frozen=True)
class Probe:
    """What a write (and a read) in a fresh session showed."""

    target: str
    writable: bool
    readable: bool
    detail: str


def probe(db: PgDatabase, *, app: str = "runbook-cutover-probe") -> Probe:
    """Try a write in a new session (rolled back: nothing is left) and a read of the user tables.

    The write is ``CREATE TABLE`` of a uniquely named table: refused in a read-only transaction, and undone by
    the rollback when accepted.
    """
    import psycopg

    table = f"runbook_write_probe_{secrets.token_hex(4)}"
    readable, tables = False, 0
    with db.endpoint.connect(db.database, application_name=app) as conn:
        tables = int(conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()[0])
        readable = True
        try:
            with conn.transaction():
                conn.execute(f'CREATE TABLE "{table}" (x int)')
                conn.execute(f'INSERT INTO "{table}" VALUES (1)')
                raise psycopg.Rollback()
            writable, detail = True, f"write accepted (rolled back); {tables} tables readable"
        except psycopg.errors.ReadOnlySqlTransaction as error:
            writable, detail = False, f"write refused: {str(error).splitlines()[0]}; {tables} tables readable"
    return Probe(db.describe(), writable, readable, detail)


def freeze(db: PgDatabase) -> Probe:
    """Make ``db`` read-only and prove it; raises when a write still gets through."""
    set_read_only(db, True)
    result = probe(db)
    if result.writable:
        raise CutoverError(f"{db.describe()} still accepts writes after the freeze",
                           hint="the source user must own the database (ALTER DATABASE) and may end sessions")
    return result


def unfreeze(db: PgDatabase) -> Probe:
    """Make ``db`` writable again and prove it; raises when a write is still refused."""
    set_read_only(db, False)
    result = probe(db)
    if not result.writable:
        raise CutoverError(f"{db.describe()} still refuses writes after the unfreeze: {result.detail}",
                           hint="check ALTER ROLE / ALTER SYSTEM settings of default_transaction_read_only")
    return result


# ------------------------------------------------------------------------------ fingerprints of the other sources
def source_fingerprint(kind: str, migrator: Any, *, kafka_offsets: Callable[[], dict[str, int]] | None = None) -> str:
    """A cheap digest of what the source holds now: equal digests at freeze and before the switch = no writes.

    ``s3``: every key, size and ETag listed; ``mongo``: every collection's document count; ``postgres``: every
    user table's row estimate is *not* enough, so PostgreSQL is proven by the server's read-only switch instead
    and gets the empty digest here; ``kafka``: the topics' end offsets (``kafka_offsets`` reads them).
    """
    digest = hashlib.sha256()
    if kind == "s3":
        for pair in migrator.mappings:
            paginator = migrator.source.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=pair.source_bucket, Prefix=pair.prefix or ""):
                for item in page.get("Contents", []):
                    digest.update(f"{pair.source_bucket}/{item['Key']}:{item['Size']}:{item.get('ETag')}\n".encode())
    elif kind == "mongo":
        members = [m for _, m in getattr(migrator, "members", [])] or [migrator]
        for member in members:
            for spec in member.databases:
                database = member.source_client[spec.name]
                for name in sorted(spec.collections or database.list_collection_names()):
                    digest.update(f"{spec.name}.{name}:{database[name].count_documents({})}\n".encode())
    elif kind == "kafka":
        if kafka_offsets is None:
            raise CutoverError("no reader of the Kafka topics' end offsets was given", hint="pass kafka_offsets=")
        for topic, offset in sorted(kafka_offsets().items()):
            digest.update(f"{topic}:{offset}\n".encode())
    elif kind != "postgres":
        raise CutoverError(f"no source fingerprint for kind {kind!r}", hint="known: s3, mongo, kafka, postgres")
    return digest.hexdigest()


def kafka_end_offsets(bootstrap: str, topics: list[str], *, timeout_s: float = 10.0) -> dict[str, int]:
    """The sum of every partition's high watermark per topic (confluent-kafka; Tansu and MSK answer alike)."""
    try:
        from confluent_kafka import Consumer, TopicPartition
    except ImportError:  # pragma: no cover - depends on the install
        raise CutoverError("confluent-kafka is not installed", hint="pip install 'runbook_lib[kafka]'") from None
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"runbook-cutover-{secrets.token_hex(4)}",
                         "enable.auto.commit": False, "socket.timeout.ms": int(timeout_s * 1000)})
    try:
        metadata = consumer.list_topics(timeout=timeout_s)
        offsets: dict[str, int] = {}
        for topic in topics:
            info = metadata.topics.get(topic)
            if info is None or info.error is not None:
                raise CutoverError(f"topic {topic} not found on {bootstrap}", hint="check migration.kafka")
            offsets[topic] = sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_s)[1]
                                 for p in info.partitions)
        return offsets
    finally:
        consumer.close()
