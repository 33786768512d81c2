"""What a cluster holds: topics (partitions, replication factor, configs) and consumer groups (offsets, state).

Why configs need care: Apache Kafka's DescribeConfigs answers every config of a topic, each with its
source (``DYNAMIC_TOPIC_CONFIG`` for the ones set on the topic, defaults otherwise); only the set ones
are the topic's own and are recreated. Tansu answers only the configs set at creation and labels each
one ``DEFAULT_CONFIG`` (measured), so where a broker's answer has no set entry and lacks
``segment.bytes`` (which every Apache Kafka answer carries) every entry it returned is treated as set.

Group state: Tansu answers DescribeGroups for an active group with state ``STABLE`` and *no members*
(measured), and ListGroups with ``UNKNOWN`` for every group; a group counts as inactive only when its
state is ``EMPTY`` or ``DEAD`` and it has no member (anything else, ``UNKNOWN`` included, is active).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from runbook_lib.errors import MigrationError
from runbook_lib.migrate.kafka.client import ADMIN_TIMEOUT_S, Cluster, confluent

log = logging.getLogger("runbook_lib.migrate.kafka")

#: Group states in which no consumer moves the group's offsets.
INACTIVE_STATES = frozenset({"EMPTY", "DEAD"})
#: A config every Apache Kafka DescribeConfigs answer includes (its absence marks a Tansu-like answer).
ALWAYS_REPORTED = "segment.bytes"


@dataclass
class TopicInfo:
    """One topic: partitions, replication factor and the configs set on it."""

    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, str] = field(default_factory=dict)
    all_configs: dict[str, str] = field(default_factory=dict)  # every entry the broker answered

    def to_row(self) -> dict[str, Any]:
        return {
            "topic": self.name,
            "partitions": self.partitions,
            "replication_factor": self.replication_factor,
            "configs": ", ".join(f"{k}={v}" for k, v in sorted(self.configs.items())),
        }


@dataclass
class GroupInfo:
    """One consumer group: its state, member count and committed offsets ``{(topic, partition): offset}``."""

    group_id: str
    state: str
    members: int
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.members > 0 or self.state not in INACTIVE_STATES

    def to_rows(self) -> list[dict[str, Any]]:
        base = {"group": self.group_id, "state": self.state, "members": self.members, "active": self.active}
        if not self.offsets:
            return [{**base, "topic": "", "partition": None, "committed_offset": None}]
        return [
            {**base, "topic": t, "partition": p, "committed_offset": o} for (t, p), o in sorted(self.offsets.items())
        ]


@dataclass
class ClusterInventory:
    """Topics by name and consumer groups by id; ``brokers`` is the broker count."""

    side: str
    brokers: int
    topics: dict[str, TopicInfo] = field(default_factory=dict)
    groups: dict[str, GroupInfo] = field(default_factory=dict)


def list_topics(cluster: Cluster, names: list[str] | None = None) -> tuple[int, dict[str, TopicInfo]]:
    """``(broker count, {name: TopicInfo})`` for ``names`` that exist (all non-internal topics if None)."""
    metadata = cluster.metadata()
    wanted = set(names) if names is not None else None
    topics: dict[str, TopicInfo] = {}
    for name, meta in metadata.topics.items():
        if meta.error is not None or name.startswith("__") or (wanted is not None and name not in wanted):
            continue
        replicas = max((len(p.replicas) for p in meta.partitions.values()), default=1)
        topics[name] = TopicInfo(name, len(meta.partitions), replicas)
    if topics:
        for name, (configs, every) in describe_configs(cluster, list(topics)).items():
            topics[name].configs, topics[name].all_configs = configs, every
    return len(metadata.brokers), topics


def describe_configs(cluster: Cluster, names: list[str]) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """Per topic: (the configs set on it, every config answered); see the module docstring."""
    admin_mod = confluent().admin
    resources = [admin_mod.ConfigResource(admin_mod.ResourceType.TOPIC, n) for n in names]
    result: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    for resource, future in cluster.admin().describe_configs(resources, request_timeout=ADMIN_TIMEOUT_S).items():
        try:
            entries = future.result(timeout=ADMIN_TIMEOUT_S)
        except Exception as error:  # noqa: BLE001 - one topic's answer failing must name it
            raise MigrationError(
                f"cannot read the configs of topic {resource.name!r} on the {cluster.side} cluster: {error}",
                hint="check the DescribeConfigs permission (ACL, or IAM DescribeTopicDynamicConfiguration)",
            ) from None
        result[resource.name] = split_configs(entries)
    return result


def split_configs(entries: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(set on the topic, every entry), from DescribeConfigs entries (see the module docstring)."""
    dynamic_topic = confluent().admin.ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    every = {k: e.value for k, e in entries.items() if e.value is not None and not e.is_sensitive}
    explicit = {
        k: e.value
        for k, e in entries.items()
        if e.source == dynamic_topic and e.value is not None and not e.is_sensitive
    }
    if not explicit and ALWAYS_REPORTED not in entries:
        explicit = {k: e.value for k, e in entries.items() if e.value is not None and not e.is_read_only}
    return explicit, every


def list_groups(cluster: Cluster, topics: set[str]) -> dict[str, GroupInfo]:
    """Consumer groups with their state, members and committed offsets on ``topics`` (only reads)."""
    kafka = confluent()
    admin = cluster.admin()
    try:
        listed = admin.list_consumer_groups(request_timeout=ADMIN_TIMEOUT_S).result(timeout=ADMIN_TIMEOUT_S)
    except Exception as error:  # noqa: BLE001
        raise MigrationError(
            f"cannot list the consumer groups of the {cluster.side} cluster: {error}",
            hint="check the client's DescribeGroup permission",
        ) from None
    ids = sorted(g.group_id for g in listed.valid)
    groups: dict[str, GroupInfo] = {}
    if not ids:
        return groups
    for group_id, future in admin.describe_consumer_groups(ids, request_timeout=ADMIN_TIMEOUT_S).items():
        described = future.result(timeout=ADMIN_TIMEOUT_S)
        groups[group_id] = GroupInfo(group_id, described.state.name, len(described.members or []))
    for group_id in ids:
        request = [kafka.ConsumerGroupTopicPartitions(group_id)]
        for _, future in admin.list_consumer_group_offsets(request, request_timeout=ADMIN_TIMEOUT_S).items():
            for tp in future.result(timeout=ADMIN_TIMEOUT_S).topic_partitions or []:
                if tp.topic in topics and tp.offset >= 0 and tp.error is None:
                    groups[group_id].offsets[(tp.topic, tp.partition)] = tp.offset
    return groups


def read_inventory(cluster: Cluster, topics: list[str] | None, *, groups: bool = True) -> ClusterInventory:
    """Topics (``topics`` or all) and, with ``groups``, the consumer groups that committed offsets on them."""
    brokers, found = list_topics(cluster, topics)
    inventory = ClusterInventory(cluster.side, brokers, found)
    if groups:
        inventory.groups = list_groups(cluster, set(found))
    return inventory
