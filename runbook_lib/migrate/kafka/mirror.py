"""The bounded mirror of one topic pair: explicit partitions, records kept as they are, 0 lost, 0 duplicated.

How it keeps its promises:

* **bounded** — each partition's end is captured by reading (:func:`~.reading.end_offset`) when the
  mirror starts and kept in the checkpoint; records written to the source after that are not mirrored
  by this run (a second run captures a new end and continues).
* **as they are** — a consumer with explicit partition assignment reads the source; the producer writes
  each record to the *same partition number* with its key, value, headers and timestamp, plus one header
  :data:`~.reading.SOURCE_HEADER` = its source partition:offset.
* **0 lost** — the producer is idempotent with ``acks=all`` and ``enable.gapless.guarantee``: it never
  delivers a later record around one it could not deliver; any delivery error stops the mirror.
* **0 duplicated** — where to continue is read from the *target*: the source offset in the last target
  record's header, +1. A resume first checks the window written since the last checkpoint: the source
  offsets in the target records must be exactly the source's offsets in that range, in order.

The target is the truth, so a run without a checkpoint (``--no-resume``, or killed before the first
checkpoint) also continues after the target's tail instead of writing the records again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.errors import CopyFailedError, MigrationError
from runbook_lib.migrate.kafka.checkpoint import MirrorCheckpoint, PartitionState, checkpoint_path
from runbook_lib.migrate.kafka.client import SourceCluster, TargetCluster, confluent
from runbook_lib.migrate.kafka.reading import (
    BATCH,
    SOURCE_HEADER,
    decode_source,
    end_offset,
    last_record,
    read_range,
    start_offset,
    watermarks,
)
from runbook_lib.migrate.kafka.topics import TopicPair

log = logging.getLogger("runbook_lib.migrate.kafka")

#: Records between two checkpoints (each one a producer flush).
CHECKPOINT_EVERY = 50_000
#: Seconds between two lag samples while mirroring.
SAMPLE_EVERY_S = 0.5


@dataclass(frozen=True)
class LagSample:
    """Records of one partition not yet mirrored, at ``seconds`` after the mirror started."""

    seconds: float
    topic: str
    partition: int
    lag: int
    copied: int


@dataclass
class PairStats:
    """What one pair's mirror did; ``skipped`` counts records already on the target when it started."""

    source: str
    target: str
    copied: int = 0
    bytes: int = 0
    skipped: int = 0
    partitions: dict[int, PartitionState] = field(default_factory=dict)


SampleSink = Callable[[LagSample], None]


def prepare(
    source: SourceCluster, target: TargetCluster, pair: TopicPair, partitions: int, folder: Path, *, resume: bool
) -> MirrorCheckpoint:
    """The checkpoint to continue from: end offsets (captured now; a resume extends them to the source's end
    as of now, which makes a resume after a finished copy the final incremental sync) and each partition's position.

    Reads the target's tail of every partition and checks the window since the last checkpoint.
    """
    path = checkpoint_path(folder, pair.source, pair.target)
    checkpoint = MirrorCheckpoint.load(path) if resume else None
    resumed = checkpoint is not None and set(checkpoint.partitions) == set(range(partitions))
    if not resumed:
        checkpoint = MirrorCheckpoint(pair.source, pair.target)
        for p in range(partitions):
            start = start_offset(source, pair.source, p)
            end = end_offset(source, pair.source, p)
            target_low = watermarks(target, pair.target, p)[0]
            checkpoint.partitions[p] = PartitionState(start, end, start, target_low)
    assert checkpoint is not None
    for p, state in checkpoint.partitions.items():
        if resumed:  # a resume is also the final incremental sync: mirror up to the source's end as of now
            state.end = max(state.end, end_offset(source, pair.source, p))
        _continue_after_tail(source, target, pair, p, state, resumed=resumed)
    checkpoint.save(path)
    return checkpoint


def _continue_after_tail(
    source: SourceCluster, target: TargetCluster, pair: TopicPair, partition: int, state: PartitionState,
    *, resumed: bool = False,
) -> None:
    """Continue after the last record the mirror confirmed or wrote; refuse what would lose or repeat a record.

    A first run (``resumed`` False) mirrors only into a partition holding nothing but its own records. A resumed
    one also accepts *native* records after its confirmed point — records without the mirror's header, written on
    the target by producers already moved there (phase 03's staged cutover) — and skips them; the records it
    wrote itself must still be exactly the source's next ones, in order.
    """
    tail = last_record(target, pair.target, partition)
    if tail is None or tail.offset < state.target_end:
        return  # nothing written since the confirmed point
    written = list(read_range(target, pair.target, partition, state.target_end))
    origins = [decode_source(list(r.headers)) for r in written]
    foreign = [r.offset for r, o in zip(written, origins, strict=True) if (o is None and not resumed)
               or (o is not None and o[0] != partition)]
    if foreign:
        raise MigrationError(
            f"target {pair.target}[{partition}] holds a record the mirror did not write (offset {foreign[0]})",
            hint=f"mirror into an empty topic: delete {pair.target!r} on the target, or map another target_topic",
        )
    mirrored = [o[1] for o in origins if o is not None]
    native = len(written) - len(mirrored)
    if mirrored:
        expected = [r.offset for r in read_range(source, pair.source, partition, state.next_source, mirrored[-1] + 1)]
        if mirrored != expected:
            raise MigrationError(
                f"target {pair.target}[{partition}] after offset {state.target_end} does not hold the source records "
                f"{state.next_source}..{mirrored[-1]} once each, in order ({len(mirrored)} records for "
                f"{len(expected)})",
                hint=f"delete {pair.target!r} on the target and copy again with --no-resume",
            )
        state.copied += len(mirrored)
        state.next_source = mirrored[-1] + 1
    state.target_end = tail.offset + 1
    log.info("%s[%d]: continuing at source offset %d (target tail %d; %d native record(s) skipped)", pair.target,
             partition, state.next_source, tail.offset, native)


class _Failures:
    """Delivery failures reported by the producer (only failures: ``delivery.report.only.error``)."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def on_delivery(self, error: Any, message: Any) -> None:
        if error is not None:
            self.errors.append(f"{message.topic()}[{message.partition()}]: {error.str()}")

    def on_error(self, error: Any) -> None:
        if error.fatal():
            self.errors.append(f"fatal producer error: {error.str()}")


def mirror_pair(
    source: SourceCluster,
    target: TargetCluster,
    pair: TopicPair,
    checkpoint: MirrorCheckpoint,
    folder: Path,
    *,
    progress: Any = None,
    on_sample: SampleSink | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
) -> PairStats:
    """Mirror every partition of ``pair`` from its checkpointed position to its captured end."""
    kafka = confluent()
    stats = PairStats(pair.source, pair.target, partitions=checkpoint.partitions)
    stats.skipped = sum(s.copied for s in checkpoint.partitions.values())
    todo = {p: s for p, s in checkpoint.partitions.items() if not s.done}
    started = time.monotonic()
    _sample_all(checkpoint, started, on_sample)
    if not todo:
        return stats
    failures = _Failures()
    producer = target.producer(on_delivery=failures.on_delivery, error_cb=failures.on_error)
    consumer = source.reader()
    path = checkpoint_path(folder, pair.source, pair.target)
    position = {p: s.next_source for p, s in todo.items()}
    pending = {p: 0 for p in todo}
    pending_bytes = {p: 0 for p in todo}
    produce = producer.produce
    target_topic = pair.target
    unconfirmed = 0
    last_sample = time.monotonic()
    try:
        consumer.assign([kafka.TopicPartition(pair.source, p, s.next_source) for p, s in todo.items()])
        active = set(todo)
        idle_since = time.monotonic()
        while active:
            messages = consumer.consume(num_messages=BATCH, timeout=0.1)
            if not messages:
                if time.monotonic() - idle_since > 30:
                    raise MigrationError(f"reading {pair.source} stalled for 30s with {sorted(active)} unfinished",
                                         hint="check the source broker's health, then run again with --resume")
            else:
                idle_since = time.monotonic()
            for message in messages:
                p = message.partition()
                if p not in active:
                    continue
                error = message.error()
                if error is not None:
                    if error.code() == kafka.KafkaError._PARTITION_EOF:
                        _finish(consumer, kafka, pair.source, p, active)
                        continue
                    raise MigrationError(f"reading {pair.source}[{p}]: {error.str()}", hint="run again with --resume")
                offset = message.offset()
                if offset >= todo[p].end:
                    _finish(consumer, kafka, pair.source, p, active)
                    continue
                headers = message.headers() or []
                headers.append((SOURCE_HEADER, f"{p}:{offset}".encode()))
                ts_type, ts = message.timestamp()
                value = message.value()
                key = message.key()
                while True:
                    try:
                        produce(target_topic, value, key, p, timestamp=ts if ts_type else 0, headers=headers)
                        break
                    except BufferError:
                        producer.poll(0.05)
                position[p] = offset + 1
                pending[p] += 1
                pending_bytes[p] += len(value or b"") + len(key or b"")
                unconfirmed += 1
                if position[p] >= todo[p].end:
                    _finish(consumer, kafka, pair.source, p, active)
            producer.poll(0)
            if failures.errors:
                break
            if unconfirmed >= checkpoint_every:
                unconfirmed = 0
                _confirm(producer, failures, checkpoint, position, pending, pending_bytes, stats, path, progress)
            if on_sample is not None and time.monotonic() - last_sample >= SAMPLE_EVERY_S:
                last_sample = time.monotonic()
                for p, state in todo.items():
                    on_sample(LagSample(last_sample - started, pair.source, p, max(state.end - position[p], 0),
                                        state.copied + pending[p]))
        _confirm(producer, failures, checkpoint, position, pending, pending_bytes, stats, path, progress)
    finally:
        consumer.close()
    _sample_all(checkpoint, started, on_sample)
    return stats


def _finish(consumer: Any, kafka: Any, topic: str, partition: int, active: set[int]) -> None:
    active.discard(partition)
    consumer.pause([kafka.TopicPartition(topic, partition)])


def _confirm(
    producer: Any,
    failures: _Failures,
    checkpoint: MirrorCheckpoint,
    position: dict[int, int],
    pending: dict[int, int],
    pending_bytes: dict[int, int],
    stats: PairStats,
    path: Path,
    progress: Any,
) -> None:
    """Flush, then move the confirmed point of every partition forward and save the checkpoint."""
    remaining = producer.flush(120)
    if failures.errors or remaining:
        reasons = failures.errors or [f"{remaining} records not acknowledged within 120s"]
        copied = sum(s.copied for s in checkpoint.partitions.values())
        raise CopyFailedError("kafka", checkpoint.target_topic, {checkpoint.target_topic: reasons[0]}, copied)
    moved = 0
    for p, count in pending.items():
        state = checkpoint.partitions[p]
        state.next_source = position[p]
        state.target_end += count
        state.copied += count
        state.bytes += pending_bytes[p]
        stats.copied += count
        stats.bytes += pending_bytes[p]
        moved += count
        pending[p] = 0
        pending_bytes[p] = 0
    checkpoint.save(path)
    if progress is not None and moved:
        progress.update(moved)


def _sample_all(checkpoint: MirrorCheckpoint, started: float, on_sample: SampleSink | None) -> None:
    if on_sample is None:
        return
    now = time.monotonic() - started
    for p, state in checkpoint.partitions.items():
        on_sample(LagSample(now, checkpoint.source_topic, p, max(state.end - state.next_source, 0), state.copied))
