"""Source offset -> target offset, per partition, read from the mirrored records' headers.

Why runs of offsets and not one entry per record: the mirror writes a partition's records in source
order, so wherever both sides are dense (no compaction, no transaction markers) the difference
``target - source`` is constant; the map stores one :class:`Segment` per run of that difference, which
is one segment per partition in the usual case, and stays exact across gaps on either side.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from runbook_lib.migrate.kafka.client import Cluster
from runbook_lib.migrate.kafka.reading import decode_source, read_range, watermarks


@dataclass(frozen=True)
class Segment:
    """``length`` records whose source offsets ``source..`` map to target offsets ``target..`` (step 1 each)."""

    source: int
    target: int
    length: int


@dataclass
class PartitionMap:
    """One partition's segments (ordered by source offset) and the target offset after the last record."""

    partition: int
    segments: list[Segment] = field(default_factory=list)
    target_end: int = 0
    records: int = 0

    def add(self, source: int, target: int) -> None:
        self.records += 1
        self.target_end = target + 1
        last = self.segments[-1] if self.segments else None
        if last is not None and source == last.source + last.length and target == last.target + last.length:
            self.segments[-1] = Segment(last.source, last.target, last.length + 1)
        else:
            self.segments.append(Segment(source, target, 1))

    def mirrored_end(self) -> int:
        """The source offset after the last mirrored record (0 when none)."""
        if not self.segments:
            return 0
        last = self.segments[-1]
        return last.source + last.length

    def translate(self, source_offset: int) -> int:
        """The target offset of the first mirrored record at or after ``source_offset`` (the end if none).

        A committed offset is "the next record to read", so this is where a consumer continues on the
        target to see exactly the records it had not read on the source.
        """
        starts = [s.source for s in self.segments]
        index = bisect.bisect_right(starts, source_offset) - 1
        if index >= 0:
            segment = self.segments[index]
            if source_offset < segment.source + segment.length:
                return segment.target + (source_offset - segment.source)
        following = index + 1
        if following < len(self.segments):
            return self.segments[following].target
        return self.target_end

    def to_rows(self, topic: str) -> list[dict[str, Any]]:
        return [
            {"topic": topic, "partition": self.partition, "source_from": s.source, "source_to": s.source + s.length - 1,
             "target_from": s.target, "target_to": s.target + s.length - 1, "records": s.length}
            for s in self.segments
        ]


def build_map(target: Cluster, topic: str, partitions: int) -> dict[int, PartitionMap]:
    """Read every target partition of ``topic`` and map the mirrored records' source offsets to target offsets."""
    maps: dict[int, PartitionMap] = {}
    for p in range(partitions):
        partition_map = maps[p] = PartitionMap(p)
        low, high = watermarks(target, topic, p)
        partition_map.target_end = low
        if high <= low:
            continue
        for record in read_range(target, topic, p, low):
            origin = decode_source(list(record.headers))
            if origin is not None and origin[0] == p:
                partition_map.add(origin[1], record.offset)
    return maps
