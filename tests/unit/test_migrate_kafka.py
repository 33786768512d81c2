"""Kafka migrator pieces that need no broker: offset map, group decisions, topic diff, configs, digests, MM2 configs."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from runbook_lib.errors import ActiveConsumerGroupError, AtScalePathUnavailableError, MigrationError
from runbook_lib.migrate.at_scale import msk_connect
from runbook_lib.migrate.kafka import (
    SOURCE_HEADER,
    GroupInfo,
    PartitionMap,
    Record,
    TopicInfo,
    TopicPair,
    decode_source,
    diff_topic,
    encode_source,
    plan_translations,
    record_digest,
    split_configs,
)
from runbook_lib.migrate.kafka.topics import refuse_conflicts

pytestmark = pytest.mark.unit


def test_source_header_round_trips_and_the_last_one_wins() -> None:
    headers = [("a", b"1"), (SOURCE_HEADER, encode_source(2, 7)), (SOURCE_HEADER, encode_source(2, 9))]
    assert decode_source(headers) == (2, 9)
    assert decode_source([("a", b"1")]) is None and decode_source(None) is None


def test_offset_map_translates_committed_offsets_across_gaps() -> None:
    m = PartitionMap(0)
    for source, target in [(0, 0), (1, 1), (2, 2), (5, 3), (6, 4)]:  # source 3, 4 compacted away
        m.add(source, target)
    assert len(m.segments) == 2 and m.mirrored_end() == 7 and m.target_end == 5
    assert m.translate(0) == 0 and m.translate(2) == 2
    assert m.translate(3) == 3 and m.translate(4) == 3  # gone on the source: continue at the next record
    assert m.translate(6) == 4 and m.translate(7) == 5  # all read: the target end


def _maps() -> dict[str, dict[int, PartitionMap]]:
    m = PartitionMap(0)
    for i in range(10):
        m.add(i, 100 + i)
    return {"t": {0: m}}


def test_groups_are_translated_skipped_or_refused() -> None:
    pairs = [TopicPair("t", "t2", key="migration.kafka[0]")]
    source = {
        "idle": GroupInfo("idle", "EMPTY", 0, {("t", 0): 4}),
        "busy": GroupInfo("busy", "STABLE", 0, {("t", 0): 2}),  # Tansu: STABLE with no members listed
        "other": GroupInfo("other", "EMPTY", 0, {}),
        "ahead": GroupInfo("ahead", "EMPTY", 0, {("t", 0): 12}),
    }
    rows = {r.group: r for r in plan_translations(pairs, source, {}, _maps())}
    assert rows["idle"].status == "translated" and rows["idle"].offsets == {("t", 0): (4, 104)}
    assert rows["busy"].status == "skipped-active" and "STABLE" in rows["busy"].reason
    assert rows["other"].status == "no-offset"
    assert rows["ahead"].status == "skipped-ahead"
    # active on the target is active too
    target = {"idle": GroupInfo("idle", "STABLE", 1)}
    assert {r.group: r.status for r in plan_translations(pairs, source, target, _maps())}["idle"] == "skipped-active"
    # a group named in the mapping must be inactive, and must exist
    named = [TopicPair("t", "t2", groups=("busy",), key="migration.kafka[0]")]
    with pytest.raises(ActiveConsumerGroupError, match=r"migration.kafka\[0\].groups"):
        plan_translations(named, source, {}, _maps())
    with pytest.raises(MigrationError, match="does not exist"):
        plan_translations([TopicPair("t", "t2", groups=("nope",), key="k")], source, {}, _maps())


def test_unknown_group_state_counts_as_active() -> None:
    assert GroupInfo("g", "UNKNOWN", 0).active and not GroupInfo("g", "EMPTY", 0).active


def test_topic_diff_refuses_fewer_partitions_and_other_configs() -> None:
    source = TopicInfo("t", 3, 3, {"retention.ms": "100"})
    pair = TopicPair("t", "t")
    create = diff_topic(pair, source, None, 1)
    assert create.action == "create" and create.replication_factor == 1 and "capped" in create.notes[0]
    fewer = diff_topic(pair, source, TopicInfo("t", 1, 1, {}, {"retention.ms": "100"}), 1)
    assert fewer.action == "refuse" and "1 partitions on the target, 3 on the source" in fewer.reasons[0]
    other = diff_topic(pair, source, TopicInfo("t", 3, 1, {}, {"retention.ms": "5"}), 1)
    assert other.action == "refuse" and "retention.ms=5 on the target, 100 on the source" in other.reasons[0]
    fits = diff_topic(pair, source, TopicInfo("t", 4, 1, {}, {"retention.ms": "100"}), 1)
    assert fits.action == "exists" and "1 extra target partition(s) stay empty" in fits.notes
    with pytest.raises(MigrationError, match="partitions"):
        refuse_conflicts([fits, fewer])


def _entry(value: str, source: int, read_only: bool = False) -> SimpleNamespace:
    return SimpleNamespace(value=value, source=source, is_sensitive=False, is_read_only=read_only)


def test_configs_set_on_a_topic_kafka_and_tansu_answers() -> None:
    kafka_answer = {"segment.bytes": _entry("1073741824", 5), "retention.ms": _entry("100", 1),
                    "cleanup.policy": _entry("delete", 5)}
    assert split_configs(kafka_answer)[0] == {"retention.ms": "100"}
    tansu_answer = {"retention.ms": _entry("100", 5), "cleanup.policy": _entry("compact", 5)}  # all "default"
    assert split_configs(tansu_answer)[0] == {"retention.ms": "100", "cleanup.policy": "compact"}


def _record(value: bytes, headers=(), ts: int = 1, ts_type: int = 1) -> Record:
    return Record(0, 0, b"k", value, tuple(headers), ts, ts_type)


def test_digest_ignores_the_mirror_header_but_not_content_or_timestamp() -> None:
    base = record_digest(_record(b"v", [("h", b"1")]))
    assert record_digest(_record(b"v", [("h", b"1"), (SOURCE_HEADER, b"0:0")])) == base
    assert record_digest(_record(b"w", [("h", b"1")])) != base
    assert record_digest(_record(b"v", [("h", b"2")])) != base
    assert record_digest(_record(b"v", [("h", b"1")], ts=2)) != base
    assert record_digest(_record(b"v", [("h", b"1")], ts=2, ts_type=2)) == record_digest(
        _record(b"v", [("h", b"1")], ts=3, ts_type=2))  # LogAppendTime is the broker's, not compared


def test_mm2_configs_share_one_policy_and_sync_group_offsets() -> None:
    configs = msk_connect.mm2_connector_configs(prefix="dmig-prod", source_bootstrap="k1:9092",
                                                target_bootstrap="b-1:9098", topics=["ingest.events", "ingest.dlq"],
                                                groups=["analytics"])
    assert sorted(configs) == ["dmig-prod-mm2-checkpoint", "dmig-prod-mm2-heartbeat", "dmig-prod-mm2-source"]
    assert {c["replication.policy.class"] for c in configs.values()} == {msk_connect.IDENTITY_POLICY}
    assert {c["connector.class"].rsplit(".", 1)[1] for c in configs.values()} == {
        "MirrorSourceConnector", "MirrorCheckpointConnector", "MirrorHeartbeatConnector"}
    checkpoint = configs["dmig-prod-mm2-checkpoint"]
    assert checkpoint["sync.group.offsets.enabled"] == "true" and checkpoint["groups"] == "analytics"
    assert configs["dmig-prod-mm2-source"]["topics"] == r"ingest\.events|ingest\.dlq"
    assert all(c["target.cluster.sasl.mechanism"] == "AWS_MSK_IAM" for c in configs.values())


def test_mm2_refuses_renamed_topics_and_missing_connectors() -> None:
    migrator = SimpleNamespace(pairs=[TopicPair("a", "b")], source=SimpleNamespace(bootstrap="s:1"),
                               target=SimpleNamespace(bootstrap="t:1"))
    with pytest.raises(AtScalePathUnavailableError, match="renaming a"):
        msk_connect.configs_for(migrator, "p")

    class FakeConnect:
        def list_connectors(self):
            return {"connectors": [{"connectorName": "p-mm2-source", "connectorState": "RUNNING",
                                    "connectorArn": "arn:x"}]}

    configs = msk_connect.mm2_connector_configs(prefix="p", source_bootstrap="s", target_bootstrap="t", topics=["a"])
    params = SimpleNamespace(is_sandbox=False)
    with pytest.raises(AtScalePathUnavailableError, match="p-mm2-checkpoint"):
        msk_connect.run_msk_connect(configs, params, [], clients=lambda _name: FakeConnect())


def test_from_params_builds_one_member_per_cluster_pair(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    import yaml
    from fakes import VALID_PARAMS

    from runbook_lib.migrate._group import MigratorGroup
    from runbook_lib.migrate.kafka import KafkaMigrator
    from runbook_lib.params import parse_params

    for name, address in [("KAFKA_A", "a:9092"), ("KAFKA_B", "b:9092"), ("KAFKA_T", "t:9092")]:
        monkeypatch.setenv(name, address)
    data = yaml.safe_load(VALID_PARAMS.read_text())
    data["aws"]["endpoint_url"] = "http://127.0.0.1:5000"  # no sandbox bindings to read
    data["migration"]["kafka"] = [
        {"source_topic": topic, "source_bootstrap_ref": {"env": source}, "target_bootstrap_ref": {"env": "KAFKA_T"}}
        for topic, source in [("orders", "KAFKA_A"), ("clicks", "KAFKA_B"), ("payments", "KAFKA_A")]
    ]
    group = KafkaMigrator.from_params(parse_params(data), None, checkpoint_dir=tmp_path)
    assert isinstance(group, MigratorGroup) and group.kind == "kafka"
    assert [(label, [p.key for p in m.pairs]) for label, m in group.members] == [  # type: ignore[attr-defined]
        ("orders+payments", ["migration.kafka[0]", "migration.kafka[2]"]),
        ("clicks", ["migration.kafka[1]"]),
    ]
    assert {m.checkpoint_dir for _, m in group.members} == {tmp_path}
    data["migration"]["kafka"] = data["migration"]["kafka"][:1]
    single = KafkaMigrator.from_params(parse_params(data), None, checkpoint_dir=tmp_path)
    assert isinstance(single, KafkaMigrator) and single.source.bootstrap == "a:9092"
