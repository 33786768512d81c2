"""Reading partitions by records, not by the broker's offset listing.

Why: the broker's high watermark is not trusted. Tansu (the sandbox's broker) answers ListOffsets and
the fetch high watermark with *the base offset of the last record batch + 1*, not the offset after
the last record (measured: 10 records in two batches of 5 -> high watermark 6; the seeded topics, one
batch per partition, report 1). So the end of a partition is found by reading: seek to the reported
high watermark - 1 (the last record on Apache Kafka, the last batch's first record on Tansu), read to
the end, and step back further if that position held no data record (transaction markers on Kafka).

Every mirrored record carries :data:`SOURCE_HEADER` = ``b"<partition>:<offset>"`` of its source
record: how a resume finds where to continue, how verify matches records, and how consumer offsets
are translated.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from runbook_lib.errors import MigrationError
from runbook_lib.migrate.kafka.client import Cluster, confluent

#: The header every mirrored record carries: the source partition and offset.
SOURCE_HEADER = "runbook.mirror.source"
#: Records fetched per ``consume()`` call.
BATCH = 5000
#: Seconds without a record (and without an end-of-partition event) after which a read gives up.
IDLE_TIMEOUT_S = 15.0


def encode_source(partition: int, offset: int) -> bytes:
    return f"{partition}:{offset}".encode()


def decode_source(headers: list[tuple[str, bytes]] | None) -> tuple[int, int] | None:
    """``(partition, offset)`` from the mirror's header (the last one, if several), or None."""
    for name, value in reversed(headers or []):
        if name == SOURCE_HEADER and value:
            partition, _, offset = value.decode().partition(":")
            return int(partition), int(offset)
    return None


def user_headers(headers: list[tuple[str, bytes]] | None) -> list[tuple[str, bytes]]:
    """The record's headers without the mirror's own (what must equal the source's headers)."""
    return [(n, v) for n, v in (headers or []) if n != SOURCE_HEADER]


@dataclass(frozen=True)
class Record:
    """One record as read (only what the mirror keeps and compares)."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    timestamp: int
    timestamp_type: int

    @classmethod
    def of(cls, message: object) -> Record:
        ts_type, ts = message.timestamp()  # type: ignore[attr-defined]
        return cls(
            message.partition(),  # type: ignore[attr-defined]
            message.offset(),  # type: ignore[attr-defined]
            message.key(),  # type: ignore[attr-defined]
            message.value(),  # type: ignore[attr-defined]
            tuple((n, v if v is not None else b"") for n, v in (message.headers() or [])),  # type: ignore[attr-defined]
            int(ts),
            int(ts_type),
        )

    @property
    def size(self) -> int:
        return len(self.key or b"") + len(self.value or b"") + sum(len(n) + len(v) for n, v in self.headers)


def watermarks(cluster: Cluster, topic: str, partition: int) -> tuple[int, int]:
    """The broker's (low, high) watermarks: a hint only (see the module docstring)."""
    low, high = cluster.probe().get_watermark_offsets(confluent().TopicPartition(topic, partition), timeout=10)
    return int(low), int(high)


def read_range(
    cluster: Cluster, topic: str, partition: int, start: int, end: int | None = None, *, batch: int = BATCH
) -> Iterator[Record]:
    """Records of one partition from ``start`` until ``end`` (exclusive) or the partition's end if None.

    The end of the partition is the end-of-partition event after the last record; with ``end`` given
    the read also stops there, whatever the broker reports.
    """
    kafka = confluent()
    if end is not None and start >= end:
        return
    consumer, owned = cluster.borrow_reader()
    try:
        consumer.assign([kafka.TopicPartition(topic, partition, start)])
        idle_since = time.monotonic()
        while True:
            messages = consumer.consume(num_messages=batch, timeout=0.05)
            if not messages:
                if time.monotonic() - idle_since > IDLE_TIMEOUT_S:
                    raise MigrationError(
                        f"reading {topic}[{partition}] from offset {start} stalled for {IDLE_TIMEOUT_S:.0f}s",
                        hint="check the broker's health and run again",
                    )
                continue
            idle_since = time.monotonic()
            for message in messages:
                error = message.error()
                if error is not None:
                    if error.code() == kafka.KafkaError._PARTITION_EOF:
                        # Everything the partition holds is read (below ``end`` only if records are gone:
                        # retention or compaction); the broker's own end offset is not consulted.
                        return
                    raise MigrationError(f"reading {topic}[{partition}]: {error.str()}", hint="run again")
                if message.topic() != topic or message.partition() != partition or message.offset() < start:
                    continue  # fetched for an earlier assignment of the reused consumer
                if end is not None and message.offset() >= end:
                    return
                yield Record.of(message)
    finally:
        cluster.return_reader(consumer, owned)


def last_record(cluster: Cluster, topic: str, partition: int) -> Record | None:
    """The last data record of a partition, found by reading (None when it holds none)."""
    low, high = watermarks(cluster, topic, partition)
    if high <= low:
        return None
    step = 1
    while True:
        start = max(low, high - step)
        last = None
        for record in read_range(cluster, topic, partition, start):
            last = record
        if last is not None or start == low:
            return last
        step *= 8


def end_offset(cluster: Cluster, topic: str, partition: int) -> int:
    """The offset after the partition's last record, by reading (0 for an empty partition)."""
    low, _high = watermarks(cluster, topic, partition)
    last = last_record(cluster, topic, partition)
    return last.offset + 1 if last is not None else low


def start_offset(cluster: Cluster, topic: str, partition: int) -> int:
    """The partition's low watermark (the first offset still held)."""
    return watermarks(cluster, topic, partition)[0]
