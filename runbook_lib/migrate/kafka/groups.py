"""Consumer-group offsets translated to the target, only for groups with no active member.

As MirrorMaker 2's checkpoint connector does (``sync.group.offsets.enabled``), a group's offsets are
written on the target only while the group has no member there (a running consumer would overwrite
them) — and here also only while it has none on the source, where its offsets would still move. Each
group gets one row: ``translated``, ``skipped-active`` (the group is named in the mapping's ``groups``:
an :class:`ActiveConsumerGroupError` instead), ``no-offset`` (nothing committed on a mirrored topic) or
``skipped-ahead`` (committed past what was mirrored: mirror again first).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from runbook_lib.errors import ActiveConsumerGroupError, MigrationError
from runbook_lib.migrate.kafka.client import ADMIN_TIMEOUT_S, TargetCluster, confluent
from runbook_lib.migrate.kafka.inventory import GroupInfo
from runbook_lib.migrate.kafka.offset_map import PartitionMap
from runbook_lib.migrate.kafka.topics import TopicPair

log = logging.getLogger("runbook_lib.migrate.kafka")

STATUSES = ("translated", "skipped-active", "no-offset", "skipped-ahead")


@dataclass
class GroupTranslation:
    """One group's outcome; ``offsets`` maps ``(source topic, partition)`` to ``(source, target)`` offsets."""

    group: str
    status: str
    state: str
    reason: str = ""
    offsets: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)

    def to_rows(self, names: dict[str, str]) -> list[dict[str, Any]]:
        base = {"group": self.group, "status": self.status, "state": self.state, "reason": self.reason}
        if not self.offsets:
            return [{**base, "source_topic": "", "target_topic": "", "partition": None, "source_offset": None,
                     "target_offset": None}]
        return [
            {**base, "source_topic": t, "target_topic": names.get(t, t), "partition": p, "source_offset": s,
             "target_offset": o}
            for (t, p), (s, o) in sorted(self.offsets.items())
        ]


def plan_translations(
    pairs: list[TopicPair],
    source_groups: dict[str, GroupInfo],
    target_groups: dict[str, GroupInfo],
    maps: dict[str, dict[int, PartitionMap]],
) -> list[GroupTranslation]:
    """Decide every group's outcome and its target offsets (nothing is written here).

    Raises:
        ActiveConsumerGroupError: a group named in a mapping's ``groups`` is active on either side.
        MigrationError: a group named in ``groups`` does not exist on the source.
    """
    required = {g: pair.key for pair in pairs for g in pair.groups}
    topics = {pair.source for pair in pairs}
    for group, key in required.items():
        if group not in source_groups:
            raise MigrationError(
                f"consumer group {group!r} does not exist on the source cluster",
                hint=f"fix {key}.groups (known: {', '.join(sorted(source_groups)) or 'none'})",
            )
    rows: list[GroupTranslation] = []
    for group_id, info in sorted(source_groups.items()):
        mine = {tp: o for tp, o in info.offsets.items() if tp[0] in topics}
        there = target_groups.get(group_id)
        active_side = "source" if info.active else ("target" if there is not None and there.active else None)
        if active_side is not None:
            state = info.state if active_side == "source" else there.state  # type: ignore[union-attr]
            if group_id in required:
                raise ActiveConsumerGroupError(group_id, active_side, state, required[group_id] + ".groups")
            rows.append(GroupTranslation(group_id, "skipped-active", state,
                                         f"active on the {active_side} (state {state}): stop its consumers"))
            continue
        if not mine:
            rows.append(GroupTranslation(group_id, "no-offset", info.state, "no committed offset on a mirrored topic"))
            continue
        translated: dict[tuple[str, int], tuple[int, int]] = {}
        ahead = []
        for (topic, partition), offset in sorted(mine.items()):
            partition_map = maps[topic].get(partition)
            if partition_map is None or offset > partition_map.mirrored_end():
                ahead.append(f"{topic}[{partition}]@{offset}")
                continue
            translated[(topic, partition)] = (offset, partition_map.translate(offset))
        if ahead:
            rows.append(GroupTranslation(group_id, "skipped-ahead", info.state,
                                         f"committed past the mirrored records at {', '.join(ahead)}: mirror again",
                                         translated))
            continue
        rows.append(GroupTranslation(group_id, "translated", info.state, "", translated))
    return rows


def commit_translations(target: TargetCluster, pairs: list[TopicPair], rows: list[GroupTranslation]) -> int:
    """Write the ``translated`` rows' offsets on the target (AlterConsumerGroupOffsets); returns groups written."""
    kafka = confluent()
    names = {pair.source: pair.target for pair in pairs}
    written = 0
    for row in rows:
        if row.status != "translated":
            continue
        partitions = [kafka.TopicPartition(names[t], p, o) for (t, p), (_s, o) in sorted(row.offsets.items())]
        request = [kafka.ConsumerGroupTopicPartitions(row.group, partitions)]
        for _, future in target.admin().alter_consumer_group_offsets(request, request_timeout=ADMIN_TIMEOUT_S).items():
            try:
                result = future.result(timeout=ADMIN_TIMEOUT_S)
            except Exception as error:  # noqa: BLE001 - name the group
                raise MigrationError(
                    f"cannot commit the translated offsets of group {row.group!r} on the target: {error}",
                    hint="stop the group's consumers on the target (a member blocks the commit) and run again",
                ) from None
            failed = [tp for tp in result.topic_partitions or [] if tp.error is not None]
            if failed:
                raise MigrationError(f"group {row.group!r}: target refused offsets {failed}",
                                     hint="check the group's permissions on the target")
        written += 1
        log.info("group %s: %d partition offsets translated", row.group, len(partitions))
    return written
