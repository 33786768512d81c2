"""Kafka -> MSK as notebook steps: inventory, topic diff, mirror with a live lag chart, group offsets, verification.

Why a step of its own: the generic :class:`~runbook_lib.phases.migration.MigrationStep` records the
check, path, copy and verification tables every kind has; a Kafka move also has tables an operator
must see before and after the mirror — what the source holds (topics, configs, groups and their
offsets), what the diff decided per topic, the lag while mirroring, and what became of every group's
offsets. Each is recorded to the evidence like the generic tables.
"""

from __future__ import annotations

from typing import Any

from runbook_lib.migrate.kafka import KafkaMigrator, LagRecorder, lag_figure
from runbook_lib.migrate.kafka.lag import live_display
from runbook_lib.phases.migration import MigrationStep
from runbook_lib.phases.session import PhaseSession


class KafkaMigrationStep(MigrationStep):
    """The ``kafka`` migrator inside a phase session, with the Kafka-only tables."""

    @classmethod
    def open_kafka(cls, session: PhaseSession) -> KafkaMigrationStep:
        step = cls.open(session, "kafka")
        assert isinstance(step, KafkaMigrationStep)
        return step

    def _members(self) -> list[KafkaMigrator]:
        members = getattr(self.migrator, "members", None)
        if members is None:
            return [self.migrator]  # type: ignore[list-item]
        return [m for _, m in members]

    def inventory(self) -> Any:
        """The source's mapped topics (partitions, replication factor, configs); records ``kafka_inventory_topics``."""
        import pandas as pd

        rows = [t.to_row() for m in self._members() for t in m.inventory(refresh=True).source.topics.values()]
        return self.session.table("kafka_inventory_topics", pd.DataFrame(rows))

    def consumer_groups(self) -> Any:
        """The source's consumer groups on those topics (state, members, committed offsets)."""
        import pandas as pd

        rows = [r for m in self._members() for g in m.inventory().source.groups.values() for r in g.to_rows()]
        columns = ["group", "state", "members", "active", "topic", "partition", "committed_offset"]
        return self.session.table("kafka_inventory_groups", pd.DataFrame(rows, columns=columns))

    def topic_diff(self) -> Any:
        """Per topic: create / exists / refuse (with the reasons), before anything is written."""
        import pandas as pd

        rows = [d.to_row() for m in self._members() for d in m.diff()]
        return self.session.table("kafka_topic_diff", pd.DataFrame(rows))

    def mirror_lag(self) -> int | None:
        """Records the mirror was behind at its last sample, summed over partitions (None before :meth:`mirror`).

        The staged producer cutover gates each step on it: a bounded mirror that reached the source's end
        offsets reports 0; one stopped early reports what it left behind.
        """
        samples = getattr(self, "_lag_samples", None)
        if samples is None:
            return None
        last: dict[tuple[str, int], int] = {}
        for sample in samples:
            last[(sample.topic, sample.partition)] = int(sample.lag)
        return sum(last.values())

    def mirror(self, *, live: bool = True) -> Any:
        """The copy (:meth:`copy`) with the lag drawn while it runs; records the ``kafka_lag`` chart."""
        recorder = LagRecorder(live=live_display() if live else None)
        self._lag_samples = recorder.samples
        for member in self._members():
            member.on_sample = recorder
        try:
            frame = self.copy()
        finally:
            figure = lag_figure(recorder.samples)
            self.session.chart("kafka_lag", figure)
            self.session.table("kafka_lag_samples", recorder.frame())
        return frame

    def offset_translation(self) -> Any:
        """One row per group and partition: translated / skipped-active / no-offset / skipped-ahead."""
        import pandas as pd

        rows = []
        for member in self._members():
            names = {p.source: p.target for p in member.pairs}
            rows += [r for t in member.translations for r in t.to_rows(names)]
        columns = ["group", "status", "state", "reason", "source_topic", "target_topic", "partition",
                   "source_offset", "target_offset"]
        return self.session.table("kafka_offset_translation", pd.DataFrame(rows, columns=columns))
