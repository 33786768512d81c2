"""The parity harness's inputs: staged from S3 with boto3, a PostgreSQL extract, and a deterministic sample.

Why boto3 and not ``s3a://``: the public pyspark wheel carries no S3A connector (no hadoop-aws, no AWS
SDK jars), so Spark here cannot read S3; every input is downloaded to a local folder first, with the
same relative layout, and both runs read that folder.

Why an extract for PostgreSQL: on the platform the join job reads ``sales.customers`` over JDBC; the
harness (and the Glue job) read a CSV extract of the table that :func:`export_table_csv` writes to the
job's ``dimension_path`` - one snapshot, so both runs join against the same rows.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from runbook_lib.errors import SparkJobError
from runbook_lib.workloads.scripts import split_s3_uri


@dataclass(frozen=True)
class StagedInput:
    """One input as staged: where it came from, where it is now, how much of it."""

    argument: str
    source: str
    local_dir: Path
    objects: int
    bytes: int


def _keys(s3: Any, bucket: str, prefix: str) -> Iterator[tuple[str, int]]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"], int(item.get("Size", 0))


def stage_from_s3(s3: Any, uri: str, target: Path, *, argument: str = "") -> StagedInput:
    """Download every object under ``uri`` (a prefix) into ``target``, keeping the relative paths.

    Raises:
        SparkJobError: nothing is there (the job would read an empty input and parity would prove nothing).
    """
    bucket, prefix = split_s3_uri(uri if uri.endswith("/") else uri + "/")
    count = size = 0
    for key, length in _keys(s3, bucket, prefix):
        relative = key[len(prefix):]
        if not relative or relative.endswith("/"):
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(destination))
        count += 1
        size += length
    if count == 0:
        raise SparkJobError(argument or uri, f"input {uri} is empty",
                            hint="migrate the data (phase 02) or stage a sample (stage_sample_events) first")
    return StagedInput(argument=argument, source=uri, local_dir=target, objects=count, bytes=size)


def export_table_csv(dsn: str, table: str, s3: Any, uri: str, *, database: str | None = None) -> int:
    """``COPY <table> TO STDOUT (FORMAT csv, HEADER)`` from PostgreSQL into ``<uri>part-00000.csv``; returns rows.

    ``table`` is ``schema.name`` as the job's metadata names it (quoted here, never interpolated raw).
    ``database``, when given, is the database to read (the server DSN's own dbname is then ignored, as the
    migrators do with ``migration.postgres[].name``); the session is read-only: the source is never written.
    """
    import psycopg
    from psycopg import sql

    from runbook_lib.migrate.postgres.libpq import PgEndpoint

    schema, _, name = table.partition(".")
    if not schema or not name:
        raise SparkJobError(table, "extract table must be schema.table", key="inputs.extract.table")
    bucket, prefix = split_s3_uri(uri if uri.endswith("/") else uri + "/")
    query = sql.SQL("COPY (SELECT * FROM {} ORDER BY 1) TO STDOUT (FORMAT csv, HEADER)").format(
        sql.Identifier(schema, name))
    chunks: list[bytes] = []
    connection = (PgEndpoint.from_dsn(dsn).connect(database, read_only=True, application_name="runbook-parity")
                  if database else psycopg.connect(dsn, options="-c default_transaction_read_only=on"))
    with connection as conn, conn.cursor() as cursor, cursor.copy(query) as copy:
        for chunk in copy:
            chunks.append(bytes(chunk))
    body = b"".join(chunks)
    s3.put_object(Bucket=bucket, Key=f"{prefix}part-00000.csv", Body=body, ContentType="text/csv")
    return max(body.count(b"\n") - 1, 0)


def sample_events(*, days: int = 3, per_day: int = 40, customers: int = 50, seed: int = 11) -> dict[str, bytes]:
    """Raw JSON-lines events as the ingestor lands them, by relative key: with what dedup must handle.

    Each day has ``per_day`` events; one in eight is delivered twice (an ingestor retry), one in
    sixteen again later with a corrected value (the job keeps the newest), and a few name a customer
    the dimension does not have (the left join keeps them).
    """
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    objects: dict[str, bytes] = {}
    for day in range(days):
        lines = []
        for i in range(per_day):
            ts = start + timedelta(days=day, seconds=i * 97)
            event = {"event_id": f"e-{day:02d}-{i:04d}", "customer_id": rng.randint(1, customers + 3),
                     "type": rng.choice(("page_view", "click", "purchase")), "value": rng.randint(0, 500),
                     "ts": ts.isoformat()}
            lines.append(json.dumps(event))
            if i % 8 == 0:
                lines.append(json.dumps(event))
            if i % 16 == 5:
                lines.append(json.dumps({**event, "value": event["value"] + 1,
                                         "ts": (ts + timedelta(seconds=30)).isoformat()}))
        date = (start + timedelta(days=day)).date().isoformat()
        objects[f"date={date}/part-00000.jsonl"] = ("\n".join(lines) + "\n").encode()
    return objects


def stage_sample_events(s3: Any, uri: str, **sample: Any) -> int:
    """Put :func:`sample_events` under ``uri`` (a job's raw input prefix); returns the number of objects."""
    bucket, prefix = split_s3_uri(uri if uri.endswith("/") else uri + "/")
    objects = sample_events(**sample)
    for relative, body in objects.items():
        s3.put_object(Bucket=bucket, Key=f"{prefix}{relative}", Body=body, ContentType="application/x-ndjson")
    return len(objects)
