"""Seed the sandbox's source side with a deterministic sample of the platform's data.

Why deterministic: tests and benchmarks compare counts and checksums between
runs and machines, so the same scale always yields the same bytes (a seeded
``random.Random``, fixed timestamps). The sample is shaped like the real
platform's data and includes what breaks naive migrations: object keys with
spaces, unicode, ``+``, ``%``, ``=`` and deep prefixes; a multipart-sized
object; PostgreSQL identity columns, sequences, jsonb, arrays, enums, a table
without a primary key holding duplicate rows; nested Mongo documents with
unique, compound and TTL indexes; keyed Kafka messages over several partitions.
"""

from __future__ import annotations

import io
import json
import logging
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from runbook_lib.clients import mongo_client
from runbook_lib.errors import SandboxError

if TYPE_CHECKING:
    from runbook_lib.sandbox import SandboxState

log = logging.getLogger("runbook_lib.sandbox.seed")

SCALE_FACTOR = {"small": 1, "medium": 10, "large": 100}
SEED = 20261126
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)

SOURCE_BUCKETS = ("raw", "curated")
SOURCE_DATABASE = "platform"
MONGO_DATABASE = "events"
KAFKA_TOPICS = {"ingest.events": 3, "ingest.dlq": 1}
#: Configs set on the seeded topics (the migrator must recreate them on the target).
KAFKA_TOPIC_CONFIGS = {
    "ingest.events": {"retention.ms": "604800000", "cleanup.policy": "delete"},
    "ingest.dlq": {"retention.ms": "1209600000", "max.message.bytes": "1048588"},
}
#: Consumer groups with committed offsets (no members): offsets per partition, times the scale factor.
KAFKA_GROUPS = {
    "analytics": {("ingest.events", 0): 100, ("ingest.events", 1): 150, ("ingest.events", 2): 120},
    "dlq-replayer": {("ingest.dlq", 0): 20},
}
#: Keys that break naive copy tools; all must survive the move.
AWKWARD_KEYS = (
    "landing/with space/file 1.json",
    "landing/ünïcødé/データ-ファイル.json",
    "landing/a+b=c/100%25 done.json",
    "landing/percent%2Fencoded/x.json",
    "landing/equals=sign/k=v&x=y.json",
    "deep/a/b/c/d/e/f/g/h/i/j/k/l/m/leaf.json",
)
EVENT_TYPES = ("page_view", "click", "purchase", "signup", "error")
COUNTRIES = (("DE", "Germany"), ("FR", "France"), ("GB", "United Kingdom"), ("IE", "Ireland"), ("NL", "Netherlands"),
             ("US", "United States"), ("JP", "Japan"), ("BR", "Brazil"), ("IN", "India"), ("ES", "Spain"))


def _boto_s3(endpoint: str):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=60))


def seed_objects(endpoint: str, factor: int, rng: random.Random) -> int:
    """Raw JSON-lines events, curated CSV tables, awkward keys and a multipart-sized export."""
    s3 = _boto_s3(endpoint)
    count = 0
    for bucket in SOURCE_BUCKETS:
        s3.create_bucket(Bucket=bucket)
    for i in range(100 * factor):
        day, hour = i % 28 + 1, i % 24
        lines = [json.dumps({"event_id": str(uuid.UUID(int=rng.getrandbits(128))), "type": rng.choice(EVENT_TYPES),
                             "value": rng.randint(0, 10_000), "ts": (EPOCH + timedelta(seconds=i * 37)).isoformat()})
                 for _ in range(rng.randint(10, 60))]
        key = f"events/date=2026-11-{day:02d}/hour={hour:02d}/part-{i:05d}.jsonl"
        s3.put_object(Bucket="raw", Key=key, Body="\n".join(lines).encode(), ContentType="application/x-ndjson",
                      Metadata={"source": "ingestor", "schema-version": "3"})
        count += 1
    for key in AWKWARD_KEYS:
        s3.put_object(Bucket="raw", Key=key, Body=json.dumps({"key": key}).encode("utf-8"),
                      ContentType="application/json", Metadata={"note": "awkward-key"})
        count += 1
    for i in range(20 * factor):
        rows = "\n".join(f"{j},{rng.choice(COUNTRIES)[0]},{rng.random():.6f}" for j in range(200))
        s3.put_object(Bucket="curated", Key=f"tables/metrics/part-{i:05d}.csv",
                      Body=f"id,country,score\n{rows}".encode(),
                      ContentType="text/csv")
        count += 1
    # One object above the 8 MiB multipart threshold (more at larger scales).
    for i in range(max(1, factor // 10)):
        body = random.Random(SEED + i).randbytes(12 * 1024 * 1024)
        s3.upload_fileobj(io.BytesIO(body), "curated", f"exports/snapshot-{i:02d}.bin",
                          ExtraArgs={"ContentType": "application/octet-stream", "Metadata": {"kind": "snapshot"}})
        count += 1
    return count


#: The events table's columns, in the sandbox source (``ingest.events``) and in the PostgreSQL benchmark's generated
#: database (``bench.events``): one definition, so the benchmark moves rows shaped like the ones the runbook moves.
EVENTS_COLUMNS = """
    id bigserial PRIMARY KEY,
    device_id uuid NOT NULL,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    amount numeric(12,2),
    created_at timestamptz NOT NULL,
    tags text[]
"""

POSTGRES_DDL = f"""
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA ingest;
CREATE SCHEMA sales;
CREATE SCHEMA ref;
CREATE TYPE sales.order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE TABLE ref.countries (code char(2) PRIMARY KEY, name text NOT NULL);
CREATE TABLE ingest.events ({EVENTS_COLUMNS});
CREATE INDEX events_device_idx ON ingest.events (device_id, created_at);
CREATE TABLE sales.customers (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text NOT NULL,
    country char(2) REFERENCES ref.countries(code),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE sales.orders (
    id bigserial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES sales.customers(id),
    total numeric(12,2) NOT NULL,
    status sales.order_status NOT NULL,
    ordered_at timestamptz NOT NULL
);
CREATE TABLE sales.audit_log (actor text, action text, at timestamptz);
CREATE VIEW sales.revenue_by_country AS
    SELECT c.country, sum(o.total) AS revenue FROM sales.orders o JOIN sales.customers c ON c.id = o.customer_id
    GROUP BY c.country;
"""


def seed_postgres(dsn_admin: str, dsn_platform: str, factor: int, rng: random.Random) -> int:
    """The ``platform`` database: three schemas, COPY-loaded; returns the row count."""
    import psycopg

    with psycopg.connect(dsn_admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {SOURCE_DATABASE}")
    rows = 0
    with psycopg.connect(dsn_platform) as conn:
        conn.execute(POSTGRES_DDL)
        with conn.cursor().copy("COPY ref.countries (code, name) FROM STDIN") as copy:
            for code, name in COUNTRIES:
                copy.write_row((code, name))
                rows += 1
        with conn.cursor().copy("COPY sales.customers (email, name, country, created_at) FROM STDIN") as copy:
            for i in range(500 * factor):
                copy.write_row((f"user{i}@example.com", f"Customer {i}", rng.choice(COUNTRIES)[0],
                                EPOCH - timedelta(days=i % 700)))
                rows += 1
        with conn.cursor().copy("COPY sales.orders (customer_id, total, status, ordered_at) FROM STDIN") as copy:
            for i in range(2000 * factor):
                copy.write_row((rng.randint(1, 500 * factor), f"{rng.uniform(1, 999):.2f}",
                                rng.choice(("new", "paid", "shipped", "cancelled")), EPOCH + timedelta(minutes=i)))
                rows += 1
        with conn.cursor().copy("COPY ingest.events (device_id, event_type, payload, amount, created_at, tags) "
                                "FROM STDIN") as copy:
            for i in range(5000 * factor):
                copy.write_row((str(uuid.UUID(int=rng.getrandbits(128))), rng.choice(EVENT_TYPES),
                                json.dumps({"v": rng.randint(0, 100), "ok": rng.random() > 0.1,
                                            "path": f"/p/{i % 97}"}),
                                None if i % 7 == 0 else f"{rng.uniform(0, 500):.2f}", EPOCH + timedelta(seconds=i),
                                [rng.choice(("a", "b", "c")) for _ in range(i % 4)]))
                rows += 1
        with conn.cursor().copy("COPY sales.audit_log (actor, action, at) FROM STDIN") as copy:
            for i in range(300 * factor):
                row = (f"user{i % 20}", rng.choice(("login", "logout", "export")), EPOCH + timedelta(minutes=i))
                copy.write_row(row)
                rows += 1
                if i % 10 == 0:  # exact duplicates: a table without a key must keep them
                    copy.write_row(row)
                    rows += 1
        conn.execute("ANALYZE")
    return rows


def seed_mongo(url: str, factor: int, rng: random.Random) -> int:
    """``events.devices`` (nested documents) and ``events.sessions`` (unique, compound and TTL indexes)."""
    client = mongo_client(url)
    db = client[MONGO_DATABASE]
    devices = [{"_id": f"dev-{i:06d}", "model": rng.choice(("t1", "t2", "x9")), "firmware": {"major": rng.randint(1, 4),
                "minor": rng.randint(0, 20)}, "location": {"country": rng.choice(COUNTRIES)[0],
                "coords": [round(rng.uniform(-90, 90), 5), round(rng.uniform(-180, 180), 5)]},
                "tags": rng.sample(["indoor", "outdoor", "beta", "fleet", "legacy"], k=2),
                "registered_at": (EPOCH - timedelta(days=i % 365)).replace(tzinfo=None)} for i in range(1000 * factor)]
    db["devices"].insert_many(devices)
    db["devices"].create_index([("location.country", 1), ("model", 1)], name="country_model")
    sessions = [{"session_id": str(uuid.UUID(int=rng.getrandbits(128))),
                 "device_id": f"dev-{rng.randrange(1000 * factor):06d}",
                 "started_at": (EPOCH + timedelta(minutes=i)).replace(tzinfo=None), "events": rng.randint(1, 400),
                 "expires_at": datetime(2099, 1, 1) + timedelta(minutes=i)}
                for i in range(2000 * factor)]
    db["sessions"].insert_many(sessions)
    db["sessions"].create_index([("session_id", 1)], unique=True, name="session_id_unique")
    db["sessions"].create_index([("device_id", 1), ("started_at", -1)], name="device_started")
    db["sessions"].create_index([("expires_at", 1)], expireAfterSeconds=0, name="expires_ttl")
    return len(devices) + len(sessions)


def seed_kafka(bootstrap: str, factor: int, rng: random.Random) -> int:
    """Keyed JSON messages on ``ingest.events`` (3 partitions) and ``ingest.dlq``, topic configs, two groups."""
    from confluent_kafka import ConsumerGroupTopicPartitions, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(t, p, 1, config=KAFKA_TOPIC_CONFIGS.get(t, {}))
                                   for t, p in KAFKA_TOPICS.items()])
    for future in futures.values():
        future.result(timeout=30)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    count = 0
    for topic, n in (("ingest.events", 1000 * factor), ("ingest.dlq", 50 * factor)):
        for i in range(n):
            key = f"dev-{rng.randrange(200):06d}"
            value = json.dumps({"seq": i, "type": rng.choice(EVENT_TYPES), "value": rng.randint(0, 999)})
            producer.produce(topic, key=key.encode(), value=value.encode(),
                             headers=[("source", b"ingestor"), ("schema", b"v3")])
            count += 1
            if i % 1000 == 0:
                producer.poll(0)
    remaining = producer.flush(30)
    if remaining:
        raise SandboxError(f"{remaining} Kafka messages were not delivered while seeding", hint="see the broker log")
    requests = [ConsumerGroupTopicPartitions(group, [TopicPartition(t, p, o * factor) for (t, p), o in offsets.items()])
                for group, offsets in KAFKA_GROUPS.items()]
    for request in requests:  # one group per request (the admin API's rule)
        for future in admin.alter_consumer_group_offsets([request]).values():
            future.result(timeout=30)
    return count


def seed_sources(state: SandboxState, scale: str) -> dict[str, int]:
    """Seed every source service; returns the item count per service."""
    factor = SCALE_FACTOR[scale]
    rng = random.Random(SEED)
    counts = {"s3-source": seed_objects(state.url("s3-source"), factor, rng)}
    counts["postgres-source"] = seed_postgres(state.url("postgres-source", with_secret=True),
                                              state.url("postgres-source", with_secret=True, dbname=SOURCE_DATABASE),
                                              factor, rng)
    counts["mongo-source"] = seed_mongo(state.url("mongo-source"), factor, rng)
    counts["kafka-source"] = seed_kafka(state.services["kafka-source"].address, factor, rng)
    log.info("seeded %s", counts)
    return counts
