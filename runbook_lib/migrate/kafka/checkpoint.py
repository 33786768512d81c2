"""The mirror's checkpoint: the end offsets captured at the start, and how far each partition is confirmed.

Why both a checkpoint and the target's tail: the tail (the source offset in the last target record's
header) says where to continue; the checkpoint says where the last *confirmed* point was (everything
before it flushed and acknowledged), so a resume checks only the window written since — source and
target offsets in that window must match one for one — and keeps the end offsets the first run
captured, so a resumed mirror stops where the interrupted one would have.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.migrate.checkpoint_file import CheckpointFile

CHECKPOINT_VERSION = 1


@dataclass
class PartitionState:
    """``next_source``: first source offset not confirmed yet; ``target_end``: target offset after the confirmed."""

    start: int
    end: int
    next_source: int
    target_end: int
    copied: int = 0
    bytes: int = 0

    @property
    def done(self) -> bool:
        return self.next_source >= self.end


@dataclass
class MirrorCheckpoint(CheckpointFile):
    """One topic pair's mirror state, partitions by number (JSON keys are strings)."""

    source_topic: str
    target_topic: str
    partitions: dict[int, PartitionState] = field(default_factory=dict)
    version: int = CHECKPOINT_VERSION

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> MirrorCheckpoint:
        parts = {int(k): PartitionState(**v) for k, v in raw.get("partitions", {}).items()}
        return cls(raw["source_topic"], raw["target_topic"], parts)

    def to_json(self) -> dict[str, Any]:
        payload = asdict(self)
        payload["partitions"] = {str(k): v for k, v in payload["partitions"].items()}
        return payload


def checkpoint_path(folder: Path, source_topic: str, target_topic: str) -> Path:
    return Path(folder) / f"kafka-{source_topic}--{target_topic}.json"
