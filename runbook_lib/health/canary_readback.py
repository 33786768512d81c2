"""Reading the canary's events back from a broker, by the exact partition and offset the ingestor reported.

Why by position and not by scanning: the 202 answer names where the broker stored the event, so one
assigned consumer per partition reads from the lowest reported offset and confirms each event by its
``event_id`` header; no consumer group, no committed offsets, nothing changed on the cluster. Reading is the
proof: Tansu's offset listing (watermarks) was measured wrong, so it is never used here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runbook_lib.errors import CanaryError

log = logging.getLogger("runbook_lib.health.canary")


@dataclass(frozen=True)
class Landed:
    """Where the ingestor said it stored one event."""

    event_id: str
    topic: str
    partition: int
    offset: int


class BrokerReadback:
    """Confirms events on one cluster (a path's broker); ``config`` adds client settings (e.g. SASL for MSK)."""

    def __init__(self, bootstrap_servers: str, *, config: dict[str, Any] | None = None) -> None:
        self.bootstrap_servers = bootstrap_servers
        self._config = dict(config or {})

    def _consumer(self) -> Any:
        try:
            from confluent_kafka import Consumer
        except ImportError as exc:  # pragma: no cover - part of the kafka extra
            raise CanaryError("confluent-kafka is not installed", hint="pip install -e '.[kafka]'") from exc
        return Consumer({"bootstrap.servers": self.bootstrap_servers, "group.id": "runbook-canary-readback",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "socket.timeout.ms": 5000, **self._config})

    def confirm(self, records: Sequence[Landed], *, timeout_s: float = 10.0) -> set[str]:
        """The event ids of ``records`` found at their reported position with a matching ``event_id`` header."""
        if not records:
            return set()
        from confluent_kafka import TopicPartition

        wanted = {(r.topic, r.partition, r.offset): r.event_id for r in records if r.partition >= 0 and r.offset >= 0}
        if not wanted:
            return set()
        starts: dict[tuple[str, int], int] = {}
        ends: dict[tuple[str, int], int] = {}
        for topic, partition, offset in wanted:
            key = (topic, partition)
            starts[key] = min(offset, starts.get(key, offset))
            ends[key] = max(offset, ends.get(key, offset))
        consumer = self._consumer()
        found: set[str] = set()
        done: set[tuple[str, int]] = set()
        try:
            consumer.assign([TopicPartition(t, p, o) for (t, p), o in starts.items()])
            deadline = time.monotonic() + timeout_s
            while len(done) < len(starts) and time.monotonic() < deadline:
                for message in consumer.consume(num_messages=500, timeout=0.5):
                    if message.error():
                        log.debug("read-back error: %s", message.error())
                        continue
                    position = (message.topic(), message.partition(), message.offset())
                    headers = dict(message.headers() or [])
                    expected = wanted.get(position)
                    header_id = headers.get("event_id")
                    if expected is not None and header_id is not None and header_id.decode() == expected:
                        found.add(expected)
                    if message.offset() >= ends[(message.topic(), message.partition())]:
                        done.add((message.topic(), message.partition()))
        finally:
            consumer.close()
        return found
