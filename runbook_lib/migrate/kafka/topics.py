"""Source topics against the target: what to create, what already fits, what is refused — before any write.

A target topic that already exists is accepted only if it has at least the source's partitions (the
mirror keeps each record's partition number) and no config set to another value than the source's;
otherwise the whole move is refused naming the topic and each difference (:class:`TopicConflictError`),
and nothing has been written. Topics are created with the source's set configs and partition count;
the replication factor is the mapping's, or the source's capped at the target's broker count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from runbook_lib.errors import MigrationError, TopicConflictError
from runbook_lib.migrate.kafka.client import ADMIN_TIMEOUT_S, TargetCluster, confluent
from runbook_lib.migrate.kafka.inventory import TopicInfo

log = logging.getLogger("runbook_lib.migrate.kafka")


@dataclass
class TopicPair:
    """One mapping resolved: the source topic and the name it gets on the target."""

    source: str
    target: str
    replication_factor: int | None = None
    groups: tuple[str, ...] = ()
    key: str = ""  # the parameter that names it, for messages


@dataclass
class TopicDiff:
    """What the diff decided for one topic: ``create``, ``exists`` (fits) or ``refuse`` (with reasons)."""

    source: str
    target: str
    action: str
    partitions: int
    target_partitions: int | None
    replication_factor: int
    configs: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_row(self) -> dict[str, Any]:
        return {
            "source_topic": self.source,
            "target_topic": self.target,
            "action": self.action,
            "partitions": self.partitions,
            "target_partitions": self.target_partitions,
            "replication_factor": self.replication_factor,
            "configs": ", ".join(f"{k}={v}" for k, v in sorted(self.configs.items())),
            "reasons": "; ".join(self.reasons + self.notes),
        }


def diff_topic(pair: TopicPair, source: TopicInfo, target: TopicInfo | None, target_brokers: int) -> TopicDiff:
    """Compare one source topic with its target (None: not there yet)."""
    wanted_rf = pair.replication_factor or source.replication_factor
    notes: list[str] = []
    if wanted_rf > max(target_brokers, 1):
        notes.append(f"replication factor {wanted_rf} capped at the target's {target_brokers} broker(s)")
        wanted_rf = max(target_brokers, 1)
    if target is None:
        return TopicDiff(pair.source, pair.target, "create", source.partitions, None, wanted_rf,
                         dict(source.configs), notes=notes)
    reasons: list[str] = []
    if target.partitions < source.partitions:
        reasons.append(f"{target.partitions} partitions on the target, {source.partitions} on the source")
    for name, value in sorted(source.configs.items()):
        there = target.all_configs.get(name)
        if there is not None and there != value:
            reasons.append(f"config {name}={there} on the target, {value} on the source")
    if target.partitions > source.partitions:
        notes.append(f"{target.partitions - source.partitions} extra target partition(s) stay empty")
    action = "refuse" if reasons else "exists"
    return TopicDiff(pair.source, pair.target, action, source.partitions, target.partitions,
                     target.replication_factor, dict(source.configs), reasons, notes)


def refuse_conflicts(diffs: list[TopicDiff]) -> None:
    """Raise :class:`TopicConflictError` for the first refused topic (all are in the check's findings)."""
    for diff in diffs:
        if diff.action == "refuse":
            raise TopicConflictError(diff.target, diff.reasons)


def create_topics(target: TargetCluster, diffs: list[TopicDiff]) -> list[str]:
    """Create the ``create`` topics with their partitions, replication factor and configs; returns their names.

    The caller has refused conflicts first (:func:`refuse_conflicts`), so nothing is created when any
    topic is refused.
    """
    admin_mod = confluent().admin
    new = [
        admin_mod.NewTopic(d.target, d.partitions, d.replication_factor, config=dict(d.configs))
        for d in diffs
        if d.action == "create"
    ]
    if not new:
        return []
    created: list[str] = []
    for name, future in target.admin().create_topics(new, request_timeout=ADMIN_TIMEOUT_S).items():
        try:
            future.result(timeout=ADMIN_TIMEOUT_S)
        except Exception as error:  # noqa: BLE001 - name the topic and the broker's reason
            code = getattr(error.args[0], "name", lambda: "")() if error.args else ""
            if code == "TOPIC_ALREADY_EXISTS":
                continue
            raise MigrationError(
                f"cannot create topic {name!r} on the target: {error}",
                hint="check the target's CreateTopics permission and that every config is allowed by the service",
            ) from None
        created.append(name)
        log.info("created target topic %s", name)
    return created
