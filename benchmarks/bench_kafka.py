"""Kafka mirror benchmark: our bounded mirror vs producing the same records directly vs a plain consume-produce loop.

Two Tansu brokers of its own (started here, stopped at the end; never the sandbox's) stand for the
self-hosted Kafka and for MSK. The source topic is filled with ``--records`` records of ``--size``
bytes (deterministic keys and values, ``--partitions`` partitions), then, each into a fresh target
topic that is deleted afterwards (Tansu keeps everything in memory):

* ``direct``: the same records produced straight to the target by one Python producer with the
  mirror's producer settings (idempotent, acks=all, 1 MiB batches) — the ceiling a mirror can reach
  on this machine, since it must also read every record;
* ``ours``: :meth:`KafkaMigrator.copy` (end offsets captured by reading, explicit assignment, each
  record written to its partition with key, value, headers, timestamp and the source header,
  checkpoint every 50,000 records);
* ``plain``: a consume-and-produce loop with confluent-kafka's defaults (``Consumer.poll()`` one
  record at a time, ``Producer`` with default settings, one ``flush()`` at the end).

Prints records/s, MB/s and each one's ratio to ``direct`` (the issue's target: ours >= 0.6x), and
writes ``benchmarks/results/kafka.json``. Note: the broker, the producers and the consumer share the
machine's cores; the numbers compare clients against *this* setup, not against MSK.

Usage::

    python benchmarks/bench_kafka.py                   # 1,000,000 x 1 KiB
    python benchmarks/bench_kafka.py --records 50000   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from runbook_lib.migrate.kafka import KafkaMigrator, SourceCluster, TargetCluster, TopicPair  # noqa: E402
from runbook_lib.sandbox import services as svc  # noqa: E402

SEED = 20261126
MB = 1_000_000


@dataclass
class Measurement:
    tool: str
    seconds: float
    records: int
    bytes: int
    complete: bool
    note: str = ""

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / MB / self.seconds if self.seconds else 0.0


class _NoBar:
    def update(self, _n: int) -> None:
        pass

    def close(self) -> None:
        pass


def records(count: int, size: int):
    """Deterministic (partition-free) records: a key per 10,000 and a value sliced from a seeded random block."""
    rng = random.Random(SEED)
    block = rng.randbytes(1 << 20)
    span = len(block) - size
    for i in range(count):
        start = (i * 7919) % span
        yield f"k{i % 10000:05d}".encode(), block[start:start + size]


def start_broker(name: str, workdir: Path) -> svc.ServiceSpec:
    spec = svc.ServiceSpec(name=name, role="bench", kind="tansu", stands_for=name, port=svc.free_port())
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    svc.start_tansu(spec, workdir)
    return spec


def create_topic(cluster: Any, name: str, partitions: int) -> None:
    from confluent_kafka.admin import NewTopic

    for future in cluster.admin().create_topics([NewTopic(name, partitions, 1)]).values():
        future.result(timeout=30)


def delete_topic(cluster: Any, name: str) -> None:
    for future in cluster.admin().delete_topics([name]).values():
        future.result(timeout=60)


def produce_all(producer: Any, topic: str, count: int, size: int, partitions: int) -> int:
    total = 0
    for i, (key, value) in enumerate(records(count, size)):
        while True:
            try:
                producer.produce(topic, value, key, i % partitions, headers=[("source", b"bench")])
                break
            except BufferError:
                producer.poll(0.05)
        total += len(key) + len(value)
    if producer.flush(300):
        raise RuntimeError("records not delivered")
    return total


def count_records(cluster: Any, topic: str, partitions: int) -> int:
    from runbook_lib.migrate.kafka import end_offset

    return sum(end_offset(cluster, topic, p) for p in range(partitions))


def run_direct(target: TargetCluster, args: argparse.Namespace) -> Measurement:
    create_topic(target, "bench.direct", args.partitions)
    producer = target.producer()
    started = time.perf_counter()
    size = produce_all(producer, "bench.direct", args.records, args.size, args.partitions)
    seconds = time.perf_counter() - started
    got = count_records(target, "bench.direct", args.partitions)
    delete_topic(target, "bench.direct")
    return Measurement("direct", seconds, args.records, size, got == args.records, "producer only, mirror settings")


def run_ours(
    source: SourceCluster, target: TargetCluster, args: argparse.Namespace, size: int, work: Path
) -> Measurement:
    migrator = KafkaMigrator(source, target, [TopicPair("bench.source", "bench.ours")], checkpoint_dir=work / "ours",
                             progress=lambda **_kw: _NoBar())
    started = time.perf_counter()
    report = migrator.copy(resume=False)
    seconds = time.perf_counter() - started
    got = count_records(target, "bench.ours", args.partitions)
    note = f"copy() incl. end-offset capture, topic creation, offset map; {report.items_copied} copied"
    if args.verify:
        verify_started = time.perf_counter()
        ok = migrator.verify().ok
        note += f"; verify {'ok' if ok else 'FAILED'} in {time.perf_counter() - verify_started:.1f}s"
    delete_topic(target, "bench.ours")
    return Measurement("ours", seconds, report.items_copied, size, got == args.records, note)


def run_plain(source: SourceCluster, target: TargetCluster, args: argparse.Namespace, size: int) -> Measurement:
    from confluent_kafka import Consumer, Producer, TopicPartition

    create_topic(target, "bench.plain", args.partitions)
    consumer = Consumer({"bootstrap.servers": source.bootstrap, "group.id": "bench-plain",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    producer = Producer({"bootstrap.servers": target.bootstrap})
    started = time.perf_counter()
    consumer.assign([TopicPartition("bench.source", p, 0) for p in range(args.partitions)])
    copied = 0
    idle = time.monotonic()
    while copied < args.records and time.monotonic() - idle < 30:
        message = consumer.poll(1.0)
        if message is None or message.error():
            continue
        idle = time.monotonic()
        while True:
            try:
                producer.produce("bench.plain", message.value(), message.key(), message.partition(),
                                 headers=message.headers(), timestamp=message.timestamp()[1])
                break
            except BufferError:
                producer.poll(0.05)
        copied += 1
    producer.flush(300)
    seconds = time.perf_counter() - started
    consumer.close()
    got = count_records(target, "bench.plain", args.partitions)
    delete_topic(target, "bench.plain")
    return Measurement("plain", seconds, copied, size, got == args.records, "poll() + produce() with defaults")


def run_plain_isolated(source: SourceCluster, target: TargetCluster, args: argparse.Namespace,
                       size: int) -> Measurement:
    """:func:`run_plain` in a child process: with the library's defaults librdkafka crashed (SIGSEGV) reading
    1,000,000 records from Tansu (reproducible; 50,000 pass), and a crash must not lose the other numbers."""
    import subprocess

    command = [sys.executable, __file__, "--plain-only", "--records", str(args.records), "--size", str(args.size),
               "--partitions", str(args.partitions), "--source", source.bootstrap, "--target", target.bootstrap]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if done.returncode == 0:
        return Measurement(**json.loads(done.stdout.strip().splitlines()[-1]))
    for name in ("bench.plain",):
        try:
            delete_topic(target, name)
        except Exception:  # noqa: BLE001 - the child may not have created it
            pass
    reason = f"signal {-done.returncode}" if done.returncode < 0 else f"exit {done.returncode}"
    return Measurement("plain", 0.0, 0, size, False, f"crashed ({reason}) with the library's default settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--size", type=int, default=1024, help="value bytes per record (default 1 KiB)")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--verify", action="store_true", help="also time verify() of our copy (reads both sides)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "kafka.json")
    parser.add_argument("--plain-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_only:  # the child of run_plain_isolated
        measured = run_plain(SourceCluster(args.source, "source"), TargetCluster(args.target, "target"), args,
                             args.records * (args.size + 6))
        print(json.dumps(asdict(measured)))
        return 0

    work = Path(tempfile.mkdtemp(prefix="bench-kafka-"))
    brokers = [start_broker("bench-kafka-source", work / "s"), start_broker("bench-kafka-target", work / "t")]
    source = SourceCluster(brokers[0].address, "source")
    target = TargetCluster(brokers[1].address, "target")
    try:
        create_topic(source, "bench.source", args.partitions)
        seed_started = time.perf_counter()
        size = produce_all(_plain_fast_producer(source), "bench.source", args.records, args.size, args.partitions)
        print(f"seeded {args.records:,} records ({size / MB:,.0f} MB) in {time.perf_counter() - seed_started:.1f}s",
              flush=True)
        results = []
        for name, stage in (("direct", lambda: run_direct(target, args)),
                            ("ours", lambda: run_ours(source, target, args, size, work)),
                            ("plain", lambda: run_plain_isolated(source, target, args, size))):
            print(f"running {name} ...", flush=True)
            results.append(stage())
            print(f"  {results[-1].seconds:.1f}s, complete={results[-1].complete}", flush=True)
    finally:
        source.fresh()  # close the reused consumers while their brokers still answer
        target.fresh()
        for spec in brokers:
            if spec.pid:
                svc.stop_process_group(spec.pid, "tansu")
        shutil.rmtree(work, ignore_errors=True)
    direct = results[0]
    print(f"\n{'tool':<8} {'records':>10} {'seconds':>8} {'records/s':>11} {'MB/s':>7} {'x direct':>9} complete")
    for m in results:
        ratio = m.records_per_s / direct.records_per_s if direct.records_per_s else 0.0
        print(f"{m.tool:<8} {m.records:>10,} {m.seconds:>8.1f} {m.records_per_s:>11,.0f} {m.mb_per_s:>7.1f} "
              f"{ratio:>8.2f}x {m.complete}   {m.note}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "records": args.records, "size": args.size, "partitions": args.partitions,
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "results": [{**asdict(m), "records_per_s": m.records_per_s, "mb_per_s": m.mb_per_s,
                     "ratio_to_direct": m.records_per_s / direct.records_per_s if direct.records_per_s else None}
                    for m in results],
    }, indent=2))
    return 0 if all(m.complete for m in results) else 1


def _plain_fast_producer(cluster: SourceCluster) -> Any:
    from confluent_kafka import Producer

    return Producer({"bootstrap.servers": cluster.bootstrap, "linger.ms": 20, "batch.size": 1 << 20,
                     "queue.buffering.max.kbytes": 1 << 20})


if __name__ == "__main__":
    sys.exit(main())
