"""Kafka -> MSK against the sandbox's two Tansu brokers: recreate, mirror, translate, verify, resume after SIGKILL.

Every test mirrors into target topics of its own (a random prefix), so tests never see each other's
records; the seeded source topics are only read. Topics a test needs on the source (a changed record,
an active group, a larger topic to kill a copy in) are created by that test under its own names.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from fakes import REPO, quiet_progress, sigkill_mid_copy

from runbook_lib.errors import ActiveConsumerGroupError, BrokerUnreachableError, ParamsError, TopicConflictError
from runbook_lib.migrate.kafka import (
    KafkaMigrator,
    SourceCluster,
    TargetCluster,
    TopicPair,
    decode_source,
    end_offset,
    read_range,
)
from runbook_lib.migrate.kafka.inventory import list_groups, list_topics

pytestmark = pytest.mark.integration

CHILD = Path(__file__).with_name("kafka_mirror_child.py")
EPOCH_MS = 1_790_000_000_000


@pytest.fixture()
def clusters(sandbox) -> tuple[SourceCluster, TargetCluster]:
    return (SourceCluster(sandbox.services["kafka-source"].address, "source", "src"),
            TargetCluster(sandbox.services["kafka-target"].address, "target", "tgt"))


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


def _make_topic(cluster, name: str, partitions: int, records: list[tuple[int, bytes, bytes]], config=None) -> None:
    from confluent_kafka import Producer
    from confluent_kafka.admin import NewTopic

    for future in cluster.admin().create_topics([NewTopic(name, partitions, 1, config=config or {})]).values():
        future.result(timeout=30)
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "linger.ms": 5})
    for index, (partition, key, value) in enumerate(records):
        while True:
            try:  # fixed CreateTime timestamps: the same records produced twice are the same records
                producer.produce(name, value, key, partition, headers=[("h", b"1")], timestamp=EPOCH_MS + index)
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(60) == 0


def _snapshot(source: SourceCluster, topics: list[str]) -> dict[str, object]:
    """What the source holds: topics and partitions, groups and their offsets, each partition's end (by reading)."""
    _, found = list_topics(source)
    groups = {g: (i.state, sorted(i.offsets.items())) for g, i in list_groups(source, set(found)).items()}
    ends = {(t, p): end_offset(source, t, p) for t in topics for p in range(found[t].partitions)}
    return {"topics": sorted((t, i.partitions, sorted(i.configs.items())) for t, i in found.items()),
            "groups": groups, "ends": ends}


def test_seeded_topics_recreated_mirrored_translated_and_verified(clusters, tmp_path) -> None:
    source, target = clusters
    before = _snapshot(source, ["ingest.events", "ingest.dlq"])
    run = _prefix()
    pairs = [TopicPair("ingest.events", f"{run}.ingest.events"), TopicPair("ingest.dlq", f"{run}.ingest.dlq")]
    migrator = KafkaMigrator(source, target, pairs, checkpoint_dir=tmp_path, progress=quiet_progress, sample_every=10)

    check = migrator.check()
    assert check.ok, check.findings
    assert [d.action for d in migrator.diffs] == ["create", "create"]
    report = migrator.copy()
    # What the source holds, counted by reading: the seed's 1,050 records, plus any event another test of the tier
    # sent through the ingestor into the same sandbox's ingest.events before this one ran.
    seeded = sum(before["ends"].values())
    assert seeded >= 1050
    assert report.items_copied == seeded and report.items_skipped == 0

    # topics and configs recreated
    _, made = list_topics(target, [p.target for p in pairs])
    assert made[f"{run}.ingest.events"].partitions == 3
    assert made[f"{run}.ingest.events"].configs == {"retention.ms": "604800000", "cleanup.policy": "delete"}
    assert made[f"{run}.ingest.dlq"].configs == {"retention.ms": "1209600000", "max.message.bytes": "1048588"}

    # groups translated: a consumer at each translated offset on the target sees exactly the unread records
    status = {t.group: t.status for t in migrator.translations}
    assert status["analytics"] == "translated" and status["dlq-replayer"] == "translated"
    target_groups = list_groups(target, {p.target for p in pairs})
    names = {p.source: p.target for p in pairs}
    for group in ("analytics", "dlq-replayer"):
        source_offsets = before["groups"][group][1]
        assert source_offsets, group
        for (topic, partition), committed in source_offsets:
            translated = target_groups[group].offsets[(names[topic], partition)]
            seen = [decode_source(list(r.headers)) for r in read_range(target, names[topic], partition, translated)]
            end = before["ends"][(topic, partition)]
            assert seen == [(partition, o) for o in range(committed, end)], (group, topic, partition)

    verify = migrator.verify()
    assert verify.ok, (verify.problems, [r for r in verify.rows if not r.ok])
    partitions = [r for r in verify.rows if not r.unit.startswith("group")]
    assert sum(r.target_count for r in partitions) == seeded and all(r.extra == 0 for r in partitions)
    assert len([r for r in verify.rows if r.unit.startswith("group")]) == 4

    # a second copy writes nothing (the target's tail says everything is there)
    again = migrator.copy()
    assert again.items_copied == 0 and again.items_skipped == seeded
    assert migrator.verify().ok
    # the source is never written to
    assert _snapshot(source, ["ingest.events", "ingest.dlq"]) == before


def test_sigkill_at_a_random_point_then_resume_loses_and_duplicates_nothing(clusters, tmp_path) -> None:
    source, target = clusters
    run = _prefix()
    rng = random.Random()
    records = [(i % 3, f"k{i % 97}".encode(), os.urandom(200)) for i in range(150_000)]
    _make_topic(source, f"{run}.big", 3, records)
    config = tmp_path / "child.json"
    config.write_text(json.dumps({"source": source.bootstrap, "target": target.bootstrap, "source_topic": f"{run}.big",
                                  "target_topic": f"{run}.big.copy", "checkpoint_dir": str(tmp_path),
                                  "checkpoint_every": 2000}))
    checkpoint = tmp_path / f"kafka-{run}.big--{run}.big.copy.json"
    # Twice: kill the mirror once it has confirmed a random number of records within the first half of what is
    # left (a time-based delay let a fast resume finish the last third before the kill landed).
    for _ in range(2):
        done = _copied(checkpoint)
        threshold = rng.randrange(done + 2000, done + (150_000 - done) // 2)
        sigkill_mid_copy(CHILD, config, lambda t=threshold: _copied(checkpoint) >= t, poll=0.02, delay=(0.0, 0.05),
                         seed=rng.randrange(1 << 30))
    migrator = KafkaMigrator(source, target, [TopicPair(f"{run}.big", f"{run}.big.copy")], checkpoint_dir=tmp_path,
                             progress=quiet_progress, checkpoint_every=2000)
    report = migrator.copy(resume=True)
    assert report.items_skipped > 0  # the killed runs' records were kept, not written again
    verify = migrator.verify()
    assert verify.ok, verify.problems
    assert sum(r.target_count for r in verify.rows) == 150_000
    assert all(r.missing == 0 and r.extra == 0 for r in verify.rows)


def _copied(checkpoint: Path) -> int:
    try:
        return sum(p["copied"] for p in json.loads(checkpoint.read_text())["partitions"].values())
    except (OSError, ValueError, KeyError):
        return 0


def test_changed_source_record_is_detected(clusters, tmp_path) -> None:
    source, target = clusters
    run = _prefix()
    records = [(0, f"k{i}".encode(), f"value-{i}".encode()) for i in range(20)]
    _make_topic(source, f"{run}.chg", 1, records)
    migrator = KafkaMigrator(source, target, [TopicPair(f"{run}.chg", f"{run}.chg")], checkpoint_dir=tmp_path,
                             progress=quiet_progress)
    migrator.copy()
    assert migrator.verify().ok
    # the source topic is replaced by one where offset 7 holds another value (same key, same offsets)
    for future in source.admin().delete_topics([f"{run}.chg"]).values():
        future.result(timeout=30)
    time.sleep(1)
    changed = list(records)
    changed[7] = (0, b"k7", b"value-7-CHANGED")
    _make_topic(source, f"{run}.chg", 1, changed)
    verify = migrator.verify()
    assert not verify.ok
    row = verify.rows[0]
    assert (row.mismatched, row.missing, row.matched) == (1, 0, 19)
    assert row.source_checksum != row.target_checksum
    assert any("offset 7" in p and "k7" in p for p in verify.problems)


def test_target_topic_with_fewer_partitions_is_refused_before_anything_is_written(clusters, tmp_path) -> None:
    source, target = clusters
    run = _prefix()
    _make_topic(target, f"{run}.ingest.events", 1, [])
    pairs = [TopicPair("ingest.dlq", f"{run}.ingest.dlq"), TopicPair("ingest.events", f"{run}.ingest.events")]
    migrator = KafkaMigrator(source, target, pairs, checkpoint_dir=tmp_path, progress=quiet_progress)
    check = migrator.check()
    assert not check.ok
    assert [b.object for b in check.blockers] == [f"{run}.ingest.events"]
    assert "1 partitions on the target, 3 on the source" in check.blockers[0].message
    with pytest.raises(TopicConflictError, match=f"{run}.ingest.events"):
        migrator.copy()
    _, there = list_topics(target, [p.target for p in pairs])
    assert f"{run}.ingest.dlq" not in there  # the other topic was not created either
    assert end_offset(target, f"{run}.ingest.events", 0) == 0


def test_target_topic_with_conflicting_config_is_refused(clusters, tmp_path) -> None:
    source, target = clusters
    run = _prefix()
    _make_topic(target, f"{run}.dlq", 1, [], config={"retention.ms": "1000"})
    migrator = KafkaMigrator(source, target, [TopicPair("ingest.dlq", f"{run}.dlq")], checkpoint_dir=tmp_path,
                             progress=quiet_progress)
    check = migrator.check()
    assert [b.object for b in check.blockers] == [f"{run}.dlq"]
    assert "retention.ms=1000 on the target, 1209600000 on the source" in check.blockers[0].message


def test_unreachable_broker_is_one_line_naming_the_key(clusters, tmp_path) -> None:
    source, _ = clusters
    dead = TargetCluster("127.0.0.1:1", "target", "migration.kafka[0].target_bootstrap_ref")
    migrator = KafkaMigrator(source, dead, [TopicPair("ingest.dlq", "x")], checkpoint_dir=tmp_path,
                             progress=quiet_progress)
    with pytest.raises(BrokerUnreachableError) as raised:
        migrator.check()
    text = str(raised.value)
    assert "\n" not in text and "migration.kafka[0].target_bootstrap_ref" in text and "target" in text


def test_unknown_topic_is_one_line_listing_the_topics(clusters, tmp_path) -> None:
    source, target = clusters
    pair = TopicPair("no.such.topic", "no.such.topic", key="migration.kafka[3]")
    migrator = KafkaMigrator(source, target, [pair], checkpoint_dir=tmp_path, progress=quiet_progress)
    with pytest.raises(ParamsError) as raised:
        migrator.check()
    text = str(raised.value)
    assert "\n" not in text and "migration.kafka[3].source_topic" in text and "ingest.events" in text
    _, topics = list_topics(source)
    assert "no.such.topic" not in topics  # asking did not create it on the source


def test_active_group_is_skipped_or_refused_when_named(clusters, tmp_path) -> None:
    from confluent_kafka import Consumer

    source, target = clusters
    run = _prefix()
    _make_topic(source, f"{run}.live", 1, [(0, b"k", b"v")] * 10)
    group = f"{run}-live-consumer"
    stop = threading.Event()
    joined = threading.Event()

    def consume() -> None:
        consumer = Consumer({"bootstrap.servers": source.bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                             "enable.auto.commit": False})
        consumer.subscribe([f"{run}.live"])
        while not stop.is_set():
            message = consumer.poll(0.2)
            if message is not None and not message.error() and not joined.is_set():
                consumer.commit(message=message, asynchronous=False)
                joined.set()
        consumer.close()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    try:
        assert joined.wait(60), "the consumer never joined its group"
        free = KafkaMigrator(source, target, [TopicPair(f"{run}.live", f"{run}.live")], checkpoint_dir=tmp_path,
                             progress=quiet_progress)
        assert any(f.object == f"group {group}" for f in free.check().findings)
        free.copy()
        row = next(t for t in free.translations if t.group == group)
        assert row.status == "skipped-active" and "stop its consumers" in row.reason
        named = KafkaMigrator(source, target, [TopicPair(f"{run}.live", f"{run}.live", groups=(group,),
                                                         key="migration.kafka[0]")],
                              checkpoint_dir=tmp_path / "named", progress=quiet_progress)
        with pytest.raises(ActiveConsumerGroupError) as raised:
            named.translate_offsets()
        text = str(raised.value)
        assert "\n" not in text and group in text and "migration.kafka[0].groups" in text
    finally:
        stop.set()
        thread.join(timeout=30)


def test_cli_migrate_kafka_verify_only_after_copy(sandbox, tmp_path) -> None:
    env = {**os.environ, "RUNBOOK_CHECKPOINT_DIR": str(tmp_path)}
    runbook = str(Path(sys.executable).with_name("runbook"))
    copy = subprocess.run([runbook, "migrate", "kafka", "--env", "sandbox", "--json"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert copy.returncode == 0, copy.stderr[-2000:]
    document = json.loads(copy.stdout)
    assert document["ok"] and document["verify"]["ok"]
    verify = subprocess.run([runbook, "migrate", "kafka", "--env", "sandbox", "--verify-only", "--json"], env=env,
                            cwd=REPO, capture_output=True, text=True, timeout=600)
    assert verify.returncode == 0, verify.stderr[-2000:]
    assert json.loads(verify.stdout)["verify"]["ok"]


def _produce(cluster, topic: str, records: list[tuple[int, bytes, bytes]]) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    for partition, key, value in records:
        producer.produce(topic, value, key, partition)
    assert producer.flush(60) == 0


def test_final_sync_after_the_producers_moved_skips_native_records_and_mirrors_the_rest(clusters, tmp_path) -> None:
    """Phase 03 mirrors, then moves the producers: the target gets native records (no mirror header) while the
    old path still wrote to the source. Phase 08's final sync (a resume) mirrors what the source got since,
    skips the native records, and verify counts them apart: every source record once, nothing extra."""
    source, target = clusters
    run = _prefix()
    _make_topic(source, f"{run}.ev", 2, [(i % 2, f"k{i}".encode(), f"v{i}".encode()) for i in range(40)])
    pairs = [TopicPair(f"{run}.ev", f"{run}.ev")]
    migrator = KafkaMigrator(source, target, pairs, checkpoint_dir=tmp_path, progress=quiet_progress)
    assert migrator.copy().items_copied == 40
    _produce(target, f"{run}.ev", [(i % 2, f"n{i}".encode(), b"native") for i in range(6)])  # the moved producers
    _produce(source, f"{run}.ev", [(i % 2, f"late{i}".encode(), b"old path") for i in range(10)])  # the old path
    again = KafkaMigrator(source, target, pairs, checkpoint_dir=tmp_path, progress=quiet_progress)
    final = again.copy(resume=True)
    assert (final.items_copied, final.items_skipped) == (10, 40)
    verify = again.verify()
    assert verify.ok, verify.problems
    rows = [r for r in verify.rows if r.unit.startswith(f"{run}.ev[")]
    assert sum(r.source_count for r in rows) == 50 and sum(r.target_count for r in rows) == 50
    assert all(r.extra == 0 and r.missing == 0 for r in rows)
    assert sum(int(n.split(", ")[1].split(" native")[0]) for n in verify.notes
               if n.startswith(f"{run}.ev[") and "native" in n) == 6  # said, not hidden
    # A first run into a topic that already holds records it did not write is still refused.
    fresh = KafkaMigrator(source, target, [TopicPair(f"{run}.ev", f"{run}.ev")], checkpoint_dir=tmp_path / "new",
                          progress=quiet_progress)
    with pytest.raises(Exception, match="did not write"):
        fresh.copy()
