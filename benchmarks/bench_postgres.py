"""PostgreSQL move benchmark: bare ``pg_dump -Fc | pg_restore`` vs our migrate + verify, in one run.

What is timed, each into a fresh database on the sandbox's ``postgres-target`` (the RDS stand-in):

* ``bare``: ``CREATE DATABASE``, then ``pg_dump -Fc SRC | pg_restore --no-owner --no-acl -d TGT`` —
  the one-liner an operator would type. It copies and proves nothing.
* ``ours``: ``PostgresMigrator.run(resume=False)``: the compatibility check, ``pg_dump -Fd -j``
  (exported snapshot), ``pg_restore`` in phases with per-table checkpoints, ANALYZE, then verify:
  count + checksum of every table on both sides, sequences, large objects.

The source database is generated server-side with ``generate_series`` (deterministic: every value is
a function of the row number; four tables with identity/serial keys, an enum, jsonb, arrays,
a foreign key, a secondary index, and a table without a primary key holding duplicate rows),
sized by ``--size-gib`` of table data, and kept between runs (it is regenerated only when the size
changes). Both tools run against the same two servers on the same cores; the sandbox's PostgreSQL
runs with ``fsync=off`` for both.

Usage::

    python benchmarks/bench_postgres.py                  # 1 GiB, jobs=2
    python benchmarks/bench_postgres.py --size-gib 0.05  # a smoke run
    python benchmarks/bench_postgres.py --jobs 2 --repeat 2

Results print as a table and go to ``benchmarks/results/postgres.json``. It uses the running
sandbox (``RUNBOOK_SANDBOX_DIR`` picks which) and starts one if none is running.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from runbook_lib import sandbox as sb  # noqa: E402
from runbook_lib.migrate.postgres import PgEndpoint, PgTools, PostgresMigrator, passfile_env, quote_ident  # noqa: E402
from runbook_lib.sandbox.seed import EVENTS_COLUMNS  # noqa: E402

GiB = 1024**3
MiB = 1024**2
TARGET_RATIO = 1.2
#: Approximate heap bytes per row and share of the data, per table (used to size the generation).
TABLES = {"events": (200, 0.55), "orders": (110, 0.25), "audit_log": (130, 0.12), "customers": (110, 0.08)}

GENERATE_SQL = """
CREATE SCHEMA bench;
CREATE TYPE bench.status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE TABLE bench.customers (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text NOT NULL,
    country char(2) NOT NULL,
    created_at timestamptz NOT NULL
);
INSERT INTO bench.customers (email, name, country, created_at)
SELECT 'user' || g || '@example.com', 'Customer ' || md5(g::text),
       (ARRAY['DE','FR','GB','IE','NL','US','JP','BR','IN','ES'])[1 + g % 10],
       timestamptz '2026-11-01 00:00+00' - (g % 700) * interval '1 day'
FROM generate_series(1, {customers}) AS g;
CREATE TABLE bench.orders (
    id bigserial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES bench.customers (id),
    total numeric(12,2) NOT NULL,
    status bench.status NOT NULL,
    ordered_at timestamptz NOT NULL,
    note text
);
INSERT INTO bench.orders (customer_id, total, status, ordered_at, note)
SELECT 1 + (g::bigint * 7919) % {customers}, ((g::bigint * 31) % 99900) / 100.0 + 1,
       (ARRAY['new','paid','shipped','cancelled']::bench.status[])[1 + g % 4],
       timestamptz '2026-11-01 00:00+00' + g * interval '1 second', md5(g::text)
FROM generate_series(1, {orders}) AS g;
CREATE TABLE bench.events ({events_columns});
INSERT INTO bench.events (device_id, event_type, payload, amount, created_at, tags)
SELECT md5((g % 100000)::text)::uuid, (ARRAY['page_view','click','purchase','signup','error'])[1 + g % 5],
       jsonb_build_object('v', g % 101, 'ok', g % 10 <> 0, 'path', '/p/' || (g % 97), 'ref', md5(g::text)),
       CASE WHEN g % 7 = 0 THEN NULL ELSE ((g::bigint * 13) % 50000) / 100.0 END,
       timestamptz '2026-11-01 00:00+00' + g * interval '1 second', (ARRAY['a','b','c'])[1:(g % 4)]
FROM generate_series(1, {events}) AS g;
CREATE INDEX events_device_idx ON bench.events (device_id, created_at);
CREATE TABLE bench.audit_log (actor text, action text, at timestamptz, detail text);
INSERT INTO bench.audit_log (actor, action, at, detail)
SELECT 'user' || ((g / 2) % 20), (ARRAY['login','logout','export'])[1 + (g / 2) % 3],
       timestamptz '2026-11-01 00:00+00' + (g / 2) * interval '1 minute', repeat(md5((g / 2)::text), 2)
FROM generate_series(1, {audit_log}) AS g;
COMMENT ON SCHEMA bench IS '{marker}';
"""


@dataclass
class Measurement:
    tool: str
    seconds: float
    bytes: int
    ok: bool
    command: str
    verifies: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mib_per_s(self) -> float:
        return self.bytes / MiB / self.seconds if self.seconds else 0.0


def rows_for(size_gib: float) -> dict[str, int]:
    return {
        name: max(100, int(size_gib * GiB * share / row_bytes)) for name, (row_bytes, share) in TABLES.items()
    }


def ensure_source(source: PgEndpoint, database: str, size_gib: float) -> int:
    """Create (or reuse) the generated source database; returns its size in bytes."""
    rows = rows_for(size_gib)
    marker = "bench " + json.dumps(rows, sort_keys=True)
    with source.connect("postgres") as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
    if exists:
        with source.connect(database) as conn:
            found = conn.execute("SELECT obj_description('bench'::regnamespace, 'pg_namespace')").fetchone()
        if found and found[0] == marker:
            with source.connect(database) as conn:
                return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])
        with source.connect("postgres") as conn:
            conn.execute(f"DROP DATABASE {quote_ident(database)} WITH (FORCE)")
    print(f"generating {database}: {rows} rows …", flush=True)
    started = time.perf_counter()
    with source.connect("postgres") as conn:
        conn.execute(f"CREATE DATABASE {quote_ident(database)}")
    with source.connect(database) as conn:
        conn.execute(GENERATE_SQL.format(marker=marker, events_columns=EVENTS_COLUMNS, **rows))
        conn.execute("VACUUM ANALYZE")
        size = int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])
    print(f"generated {size / GiB:.2f} GiB in {time.perf_counter() - started:.0f} s", flush=True)
    return size


def drop_database(target: PgEndpoint, database: str) -> None:
    with target.connect("postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(database)} WITH (FORCE)")


def run_bare(source: PgEndpoint, target: PgEndpoint, database: str, tools: PgTools, size: int) -> Measurement:
    target_db = "bench_bare"
    drop_database(target, target_db)
    dump = [tools.pg_dump, "-Fc", f"--dbname={source.conninfo(database)}"]
    restore = [
        tools.pg_restore,
        "--no-owner",
        "--no-acl",
        "--exit-on-error",
        f"--dbname={target.conninfo(target_db)}",
    ]
    with passfile_env(source, target, application_name="bench-bare") as extra:
        env = {**os.environ, **extra}
        started = time.perf_counter()
        with target.connect("postgres") as conn:
            conn.execute(f"CREATE DATABASE {quote_ident(target_db)} TEMPLATE template0")
        producer = subprocess.Popen(dump, stdout=subprocess.PIPE, env=env)
        consumer = subprocess.Popen(restore, stdin=producer.stdout, env=env)
        assert producer.stdout is not None
        producer.stdout.close()
        consumer_rc = consumer.wait()
        producer_rc = producer.wait()
        seconds = time.perf_counter() - started
    ok = consumer_rc == 0 and producer_rc == 0
    return Measurement(
        "bare",
        seconds,
        size,
        ok,
        "pg_dump -Fc SRC | pg_restore --no-owner --no-acl -d TGT",
        "nothing (exit codes only)",
        {"pg_dump_rc": producer_rc, "pg_restore_rc": consumer_rc},
    )


def run_ours(
    source_dsn: str, target_dsn: str, database: str, jobs: int, size: int, workdir: Path
) -> Measurement:
    from tqdm import tqdm

    def quiet(**kwargs: Any) -> Any:
        return tqdm(disable=True, **kwargs)

    migrator = PostgresMigrator(
        source_dsn,
        target_dsn,
        database,
        jobs,
        target_database="bench_ours",
        checkpoint_dir=workdir,
        progress=quiet,
    )
    migrator.drop_target()
    started = time.perf_counter()
    check_started = time.perf_counter()
    check = migrator.check()
    check_s = time.perf_counter() - check_started
    copy = migrator.copy(resume=False)
    verify_started = time.perf_counter()
    verify = migrator.verify()
    verify_s = time.perf_counter() - verify_started
    seconds = time.perf_counter() - started
    phases = {
        "check": round(check_s, 2),
        **{k: round(v, 2) for k, v in copy.details.get("phases_s", {}).items()},
        "verify": round(verify_s, 2),
    }
    return Measurement(
        "ours",
        seconds,
        size,
        check.ok and verify.ok,
        f"PostgresMigrator(jobs={jobs}): check + pg_dump -Fd -j{jobs} -Z0 + pg_restore phases + verify",
        f"{len(verify.rows)} units: row counts + md5 checksums both sides, sequences",
        {
            "phases_s": phases,
            "verify_ok": verify.ok,
            "problems": verify.problems[:5],
            "blockers": [f.object for f in check.blockers],
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-gib", type=float, default=1.0, help="table data to generate (default 1.0)")
    parser.add_argument(
        "--jobs", type=int, default=2, help="parallel pg_dump/pg_restore jobs for ours (default 2)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="alternate bare/ours this many times; medians reported"
    )
    parser.add_argument("--keep", action="store_true", help="keep the target databases afterwards")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "postgres.json")
    args = parser.parse_args(argv)

    state = sb.load_state()
    if state is None or not all(s.health == "healthy" for s in _status()):
        state = sb.up("small")
    source_dsn = state.url("postgres-source", with_secret=True)
    target_dsn = state.url("postgres-target", with_secret=True)
    source, target = PgEndpoint.from_dsn(source_dsn), PgEndpoint.from_dsn(target_dsn)
    database = f"bench_{str(args.size_gib).replace('.', '_')}"
    size = ensure_source(source, database, args.size_gib)
    tools = PgTools.discover()
    workdir = Path(state.root) / "bench-postgres"
    runs: dict[str, list[Measurement]] = {"bare": [], "ours": []}
    for index in range(args.repeat):
        order = ("bare", "ours") if index % 2 == 0 else ("ours", "bare")
        for tool in order:
            print(f"run {index + 1}/{args.repeat}: {tool} …", flush=True)
            if tool == "bare":
                runs["bare"].append(run_bare(source, target, database, tools, size))
            else:
                runs["ours"].append(run_ours(source_dsn, target_dsn, database, args.jobs, size, workdir))
            print(f"  {runs[tool][-1].seconds:.1f} s", flush=True)
    bare_s = statistics.median(m.seconds for m in runs["bare"])
    ours_s = statistics.median(m.seconds for m in runs["ours"])
    ratio = ours_s / bare_s if bare_s else float("inf")
    print()
    print(
        f"PostgreSQL move of {size / GiB:.2f} GiB ({database}), jobs={args.jobs}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'tool':<6} {'seconds':>9} {'MiB/s':>8} {'ratio':>7}  ok     verifies")
    for tool, seconds in (("bare", bare_s), ("ours", ours_s)):
        last = runs[tool][-1]
        print(
            f"{tool:<6} {seconds:>9.1f} {size / MiB / seconds:>8.1f} {seconds / bare_s:>7.2f}  "
            f"{str(all(m.ok for m in runs[tool])):<6} {last.verifies}"
        )
    print(f"ours phases (last run): {runs['ours'][-1].extra['phases_s']}")
    print(
        f"target: ours <= {TARGET_RATIO}x bare -> "
        f"{'met' if ratio <= TARGET_RATIO else 'NOT met'} ({ratio:.2f}x)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "postgres",
                "database": database,
                "bytes": size,
                "size_gib_requested": args.size_gib,
                "jobs": args.jobs,
                "repeat": args.repeat,
                "machine": {
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "load_average": os.getloadavg(),
                },
                "median_seconds": {"bare": bare_s, "ours": ours_s},
                "ratio": ratio,
                "target_ratio": TARGET_RATIO,
                "runs": {
                    tool: [asdict(m) | {"mib_per_s": m.mib_per_s} for m in ms] for tool, ms in runs.items()
                },
            },
            indent=2,
        )
    )
    print(f"wrote {args.out}")
    if not args.keep:
        drop_database(target, "bench_bare")
        drop_database(target, "bench_ours")
    return 0 if all(m.ok for ms in runs.values() for m in ms) else 1


def _status() -> list[Any]:
    try:
        return sb.status()
    except Exception:  # noqa: BLE001 - a broken sandbox is restarted
        return []


if __name__ == "__main__":
    raise SystemExit(main())
