"""The platform's ingestor against the sandbox's source Tansu broker (kafka-source): events posted to the app
(TestClient in process, and a uvicorn instance) are produced with their key and read back from the broker;
bad events never reach it."""

from __future__ import annotations

import json
import sys
import uuid

import httpx
import pytest
from fakes import REPO

pytestmark = pytest.mark.integration

sys.path.insert(0, str(REPO / "examples" / "platform"))


def _read(bootstrap: str, topic: str, positions: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[bytes, bytes]]:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4().hex[:6]}",
                         "enable.auto.commit": False})
    starts: dict[int, int] = {}
    for partition, offset in positions:
        starts[partition] = min(offset, starts.get(partition, offset))
    consumer.assign([TopicPartition(topic, p, o) for p, o in starts.items()])
    found: dict[tuple[int, int], tuple[bytes, bytes]] = {}
    for _ in range(40):
        for message in consumer.consume(100, timeout=0.5):
            if not message.error() and (message.partition(), message.offset()) in positions:
                found[(message.partition(), message.offset())] = (message.key(), message.value())
        if len(found) == len(positions):
            break
    consumer.close()
    return found


def _event(key: str) -> dict:
    return {"event_id": str(uuid.uuid4()), "key": key, "type": "click", "ts": "2026-11-01T12:00:00+00:00",
            "payload": {"n": 1}}


def test_app_produces_to_the_source_broker_and_events_read_back(sandbox) -> None:
    from fastapi.testclient import TestClient
    from ingestor.app import create_app
    from ingestor.config import Settings

    bootstrap = sandbox.service("kafka-source").address
    app = create_app(Settings(bootstrap_servers=bootstrap, topic="ingest.events", path_label="old"))
    client = TestClient(app)
    events = [_event(f"device-{i % 3}") for i in range(6)]
    answers = [client.post("/events", json=e) for e in events]
    assert [a.status_code for a in answers] == [202] * 6, answers[0].text
    bad = client.post("/events", json={**_event("x"), "ts": "not a time"})
    assert bad.status_code == 422
    positions = [(a.json()["partition"], a.json()["offset"]) for a in answers]
    found = _read(bootstrap, "ingest.events", positions)
    assert len(found) == 6
    for event, position in zip(events, positions, strict=True):
        key, value = found[position]
        assert key == event["key"].encode() and json.loads(value) == event
    # the same key lands on the same partition
    by_key = {}
    for event, (partition, _) in zip(events, positions, strict=True):
        by_key.setdefault(event["key"], set()).add(partition)
    assert all(len(p) == 1 for p in by_key.values())


def test_uvicorn_instance_serves_and_unreachable_broker_is_503(sandbox, tmp_path) -> None:
    from runbook_lib.cutover.local_ingestors import local_ingestor
    from runbook_lib.sandbox.services import free_port

    bootstrap = sandbox.service("kafka-source").address
    with local_ingestor("old", bootstrap, log_dir=tmp_path) as app:
        assert httpx.get(app.health_url).json()["path"] == "old"
        answer = httpx.post(app.url, json=_event("uv-1"), timeout=10)
        assert answer.status_code == 202
        found = _read(bootstrap, "ingest.events", [(answer.json()["partition"], answer.json()["offset"])])
        assert list(found.values())[0][0] == b"uv-1"
        assert httpx.post(app.url, content=b"x" * 300_000, timeout=10).status_code == 413
    with local_ingestor("dead", f"127.0.0.1:{free_port()}", log_dir=tmp_path) as dead:
        refused = httpx.post(dead.url, json=_event("k"), timeout=30)
        assert refused.status_code == 503 and "broker" in refused.json()["error"]
