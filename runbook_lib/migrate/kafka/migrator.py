"""KafkaMigrator: Kafka -> Amazon MSK — inventory and topic diff, bounded mirror, group offsets, verification.

* **check** — both clusters answer (else :class:`BrokerUnreachableError` naming the parameter), every
  mapped source topic exists (else a ParamsError listing the topics that do), the topic diff
  (:mod:`.topics`): a target topic with fewer partitions or other configs is a blocker, found before
  anything is written; active groups are warnings.
* **copy** — refuse conflicts, create the missing topics with their configs, mirror each pair
  (:mod:`.mirror`), then translate the consumer groups' offsets (:mod:`.groups`) through the offset
  map read from the target (:mod:`.offset_map`).
* **verify** — by reading (:mod:`.verify`): per partition counts, content hashes, a byte-equal
  sample, and each translated group's position.

The at-scale path (MirrorMaker 2 on MSK Connect, or MSK Replicator) is chosen by size in
:mod:`runbook_lib.migrate.at_scale`; :meth:`source_size_bytes` is its input.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook_lib.errors import ParamsError
from runbook_lib.migrate._group import BuildOptions, MappedMigrator, MemberOptions, Members
from runbook_lib.migrate.base import (
    CheckReport,
    CopyReport,
    Finding,
    ProgressFactory,
    VerifyReport,
)
from runbook_lib.migrate.kafka.checkpoint import MirrorCheckpoint, checkpoint_path
from runbook_lib.migrate.kafka.client import SourceCluster, TargetCluster
from runbook_lib.migrate.kafka.groups import GroupTranslation, commit_translations, plan_translations
from runbook_lib.migrate.kafka.inventory import ClusterInventory, list_groups, read_inventory
from runbook_lib.migrate.kafka.mirror import CHECKPOINT_EVERY, SampleSink, mirror_pair, prepare
from runbook_lib.migrate.kafka.offset_map import PartitionMap, build_map
from runbook_lib.migrate.kafka.reading import end_offset, last_record, watermarks
from runbook_lib.migrate.kafka.topics import TopicDiff, TopicPair, create_topics, diff_topic, refuse_conflicts
from runbook_lib.migrate.kafka.verify import check_group_position, compare_partition

log = logging.getLogger("runbook_lib.migrate.kafka")


@dataclass
class Inventories:
    source: ClusterInventory
    target: ClusterInventory


class KafkaMigrator(MappedMigrator):
    """Mirror topics of one source cluster into one target cluster (see the module docstring).

    Args:
        source, target: the two clusters (the source is only read).
        pairs: the topic mappings.
        checkpoint_every: records between two checkpoints (producer flushes).
        sample_every: every n-th matched record is also compared byte for byte in verify.
        on_sample: receives lag samples while mirroring (a :class:`~.lag.LagRecorder`).
    """

    kind = "kafka"
    build_options = BuildOptions  # the bootstrap addresses come from the params only

    def __init__(
        self,
        source: SourceCluster,
        target: TargetCluster,
        pairs: list[TopicPair],
        *,
        checkpoint_dir: Path,
        progress: ProgressFactory | None = None,
        checkpoint_every: int = CHECKPOINT_EVERY,
        sample_every: int = 100,
        max_problems: int = 20,
        on_sample: SampleSink | None = None,
    ) -> None:
        if not pairs:
            raise ParamsError("migration.kafka", [], "at least one topic mapping")
        super().__init__(checkpoint_dir=checkpoint_dir, workers=1, progress=progress)
        self.source, self.target, self.pairs = source, target, pairs
        self.checkpoint_every = checkpoint_every
        self.sample_every = sample_every
        self.max_problems = max_problems
        self.on_sample = on_sample
        self.translations: list[GroupTranslation] = []
        self.diffs: list[TopicDiff] = []
        self._inventories: Inventories | None = None

    # ------------------------------------------------------------------ construction from params
    @classmethod
    def members_from_params(cls, params: Any, sandbox_state: Any | None, options: MemberOptions) -> Members:
        """One member per (source, target) cluster pair of ``migration.kafka``, with that pair's topic mappings."""
        from runbook_lib.endpoints import aws_endpoint_url
        from runbook_lib.params import resolve_secret

        mappings = list(params.migration.kafka)
        if not mappings:
            raise ParamsError("migration.kafka", [], "at least one topic mapping (source_topic, *_bootstrap_ref)")
        resolver = (lambda name: sandbox_state.url(name, with_secret=True)) if sandbox_state is not None else None
        endpoint_url = aws_endpoint_url(params.aws)
        clusters: dict[tuple[str, str], list[TopicPair]] = {}
        keys: dict[tuple[str, str], int] = {}
        for index, m in enumerate(mappings):
            source = resolve_secret(m.source_bootstrap_ref, sandbox_resolver=resolver, endpoint_url=endpoint_url)
            target = resolve_secret(m.target_bootstrap_ref, sandbox_resolver=resolver, endpoint_url=endpoint_url)
            pair = TopicPair(m.source_topic, m.target_topic or m.source_topic, m.replication_factor,
                             tuple(m.groups), key=f"migration.kafka[{index}]")
            clusters.setdefault((source, target), []).append(pair)
            keys.setdefault((source, target), index)
        members: Members = []
        for (source, target), pairs in clusters.items():
            key = f"migration.kafka[{keys[(source, target)]}]"
            label = "+".join(p.source for p in pairs)
            members.append((label, cls(SourceCluster(source, "source", f"{key}.source_bootstrap_ref"),
                                       TargetCluster(target, "target", f"{key}.target_bootstrap_ref"),
                                       pairs, checkpoint_dir=options.checkpoint_dir, progress=options.progress)))
        return members

    def target_identity(self) -> str:
        """A digest of the target's bootstrap (it may be a secret) and the target topics."""
        digest = hashlib.sha256(self.target.bootstrap.encode()).hexdigest()[:12]
        return f"kafka-{digest}/" + ",".join(p.target for p in self.pairs)

    # ------------------------------------------------------------------ inventory and diff
    def inventory(self, *, refresh: bool = False) -> Inventories:
        """Both clusters' topics and groups (the mapped topics only); raises for an unreachable cluster or topic."""
        if self._inventories is None or refresh:
            source = read_inventory(self.source, [p.source for p in self.pairs])
            missing = [p for p in self.pairs if p.source not in source.topics]
            if missing:
                known = sorted(t for t in self.source.metadata().topics if not t.startswith("__"))
                key = f"{missing[0].key}.source_topic"
                raise ParamsError(key, missing[0].source, known or "a topic that exists on the source (none does)",
                                  message=f"{key}: topic {missing[0].source!r} does not exist on the source")
            source.groups = {g: i for g, i in source.groups.items() if any(t in source.topics for t, _ in i.offsets)
                             or any(g in p.groups for p in self.pairs)}
            target = read_inventory(self.target, [p.target for p in self.pairs], groups=False)
            target.groups = list_groups(self.target, {p.target for p in self.pairs})
            self._inventories = Inventories(source, target)
        return self._inventories

    def diff(self) -> list[TopicDiff]:
        """Every pair's topic diff (create / exists / refuse), from a fresh inventory."""
        inv = self.inventory(refresh=True)
        self.diffs = [diff_topic(p, inv.source.topics[p.source], inv.target.topics.get(p.target), inv.target.brokers)
                      for p in self.pairs]
        return self.diffs

    # ------------------------------------------------------------------ size (the input of the path choice)
    def source_size_bytes(self) -> int:
        """Estimated bytes to move: per partition, records (by reading the end) x the tail record's size."""
        inv = self.inventory()
        total = 0
        for pair in self.pairs:
            for p in range(inv.source.topics[pair.source].partitions):
                low, _ = watermarks(self.source, pair.source, p)
                tail = last_record(self.source, pair.source, p)
                if tail is not None:
                    total += (tail.offset + 1 - low) * max(tail.size, 1)
        return total

    # ------------------------------------------------------------------ the three steps
    @contextlib.contextmanager
    def _step(self) -> Iterator[None]:
        """Each step reads with consumers of its own, closed at its end (see :meth:`Cluster.fresh`)."""
        self.source.fresh()
        self.target.fresh()
        try:
            yield
        finally:
            self.source.fresh()
            self.target.fresh()

    def check(self) -> CheckReport:
        with self._step():
            return self._check()

    def _check(self) -> CheckReport:
        report = CheckReport(self.kind)
        self.target.metadata()  # an unreachable target fails here, before the source is read
        for diff in self.diff():
            if diff.action == "refuse":
                report.findings.append(Finding("blocker", diff.target, "; ".join(diff.reasons),
                                               fix=f"delete or recreate {diff.target!r} on the target with "
                                                   f"{diff.partitions} partitions and the source's configs"))
            else:
                text = ("will be created" if diff.action == "create" else "exists and fits") + (
                    f" ({'; '.join(diff.notes)})" if diff.notes else "")
                report.findings.append(Finding("warning" if diff.notes else "info", diff.target, text))
        inv = self.inventory()
        for group in inv.source.groups.values():
            if group.active:
                report.findings.append(Finding("warning", f"group {group.group_id}",
                                               f"active on the source (state {group.state}): its offsets will not "
                                               "be translated", fix="stop its consumers before the copy"))
        return report

    def copy(self, *, resume: bool = True) -> CopyReport:
        """Create topics, mirror every pair, translate group offsets (see the module docstring)."""
        with self._step():
            return self._copy(resume)

    def _copy(self, resume: bool) -> CopyReport:
        started = time.monotonic()
        diffs = self.diff()
        refuse_conflicts(diffs)
        created = create_topics(self.target, diffs)
        report = CopyReport(self.kind, details={"created_topics": created, "units": {}})
        inv = self.inventory()
        for pair in self.pairs:
            partitions = inv.source.topics[pair.source].partitions
            checkpoint = prepare(self.source, self.target, pair, partitions, self.checkpoint_dir, resume=resume)
            total = sum(s.end - s.start for s in checkpoint.partitions.values())
            bar = self.progress(total=total, desc=f"mirror {pair.source}", unit="rec",
                                initial=sum(s.copied for s in checkpoint.partitions.values()))
            try:
                stats = mirror_pair(self.source, self.target, pair, checkpoint, self.checkpoint_dir, progress=bar,
                                    on_sample=self.on_sample, checkpoint_every=self.checkpoint_every)
            finally:
                bar.close()
            report.items_copied += stats.copied
            report.bytes_copied += stats.bytes
            report.items_skipped += stats.skipped
            report.details["units"][pair.source] = {
                "target": pair.target, "copied": stats.copied, "skipped": stats.skipped, "bytes": stats.bytes,
                "end_offsets": {p: s.end for p, s in sorted(checkpoint.partitions.items())},
            }
        self.translate_offsets()
        report.details["groups"] = {t.group: t.status for t in self.translations}
        report.seconds = time.monotonic() - started
        return report

    def offset_maps(self) -> dict[str, dict[int, PartitionMap]]:
        """Per source topic, the source -> target offset map read from the target's records."""
        inv = self.inventory()
        return {p.source: build_map(self.target, p.target, inv.source.topics[p.source].partitions)
                for p in self.pairs}

    def translate_offsets(self) -> list[GroupTranslation]:
        """Translate and commit every inactive group's offsets on the target; one row per group."""
        inv = self.inventory(refresh=True)
        target_groups = list_groups(self.target, {p.target for p in self.pairs})
        # The map reads every target record: only worth it when some group has an offset to translate.
        maps = self.offset_maps() if any(g.offsets for g in inv.source.groups.values()) else {
            p.source: {} for p in self.pairs}
        self.translations = plan_translations(self.pairs, inv.source.groups, target_groups, maps)
        commit_translations(self.target, self.pairs, self.translations)
        return self.translations

    def verify(self) -> VerifyReport:
        with self._step():
            return self._verify()

    def _verify(self) -> VerifyReport:
        report = VerifyReport(self.kind)
        inv = self.inventory(refresh=True)
        ends: dict[tuple[str, int], int] = {}
        for pair in self.pairs:
            checkpoint = MirrorCheckpoint.load(checkpoint_path(self.checkpoint_dir, pair.source, pair.target))
            for p in range(inv.source.topics[pair.source].partitions):
                state = checkpoint.partitions.get(p) if checkpoint else None
                end = ends[(pair.source, p)] = state.end if state else end_offset(self.source, pair.source, p)
                check = compare_partition(self.source, self.target, pair.source, pair.target, p, end,
                                          sample_every=self.sample_every, problems=report.problems,
                                          max_problems=self.max_problems)
                report.rows.append(check.row())
                report.notes.append(f"{check.unit}: {check.sample_equal}/{check.sampled} sampled records byte-equal"
                                    + (f", {check.duplicates} duplicated" if check.duplicates else "")
                                    + (f", {check.native} native record(s) on the target (written there, not "
                                       "mirrored: producers already moved)" if check.native else ""))
        self._verify_groups(report, inv, ends)
        return report

    def _verify_groups(self, report: VerifyReport, inv: Inventories, ends: dict[tuple[str, int], int]) -> None:
        names = {p.source: p.target for p in self.pairs}
        required = {g for p in self.pairs for g in p.groups}
        target_groups = list_groups(self.target, set(names.values()))
        for group_id, info in sorted(inv.source.groups.items()):
            there = target_groups.get(group_id)
            for (topic, p), offset in sorted(info.offsets.items()):
                target_offset = there.offsets.get((names[topic], p)) if there else None
                if target_offset is None:
                    text = f"group {group_id}: {topic}[{p}] has no committed offset on the target"
                    (report.problems if group_id in required else report.notes).append(text)
                    continue
                if offset > ends[(topic, p)]:
                    report.notes.append(f"group {group_id}: {topic}[{p}] committed {offset}, past the mirrored end")
                    continue
                report.rows.append(check_group_position(self.source, self.target, group_id, topic, names[topic], p,
                                                        offset, target_offset, ends[(topic, p)]))

