"""The mirror's checkpoint: the end offsets captured at the start, and how far each partition is confirmed.

Why both a checkpoint and the target's tail: the tail (the source offset in the last target record's
header) says where to continue; the checkpoint says where the last *confirmed* point was (everything
before it flushed and acknowledged), so a resume checks only the window written since — source and
target offsets in that window must match one for one — and keeps the end offsets the first run
captured, so a resumed mirror stops where the interrupted one would have.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from runbook_lib.util import atomic_write_text

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
class MirrorCheckpoint:
    """One topic pair's mirror state, partitions by number (JSON keys are strings)."""

    source_topic: str
    target_topic: str
    partitions: dict[int, PartitionState] = field(default_factory=dict)
    version: int = CHECKPOINT_VERSION

    @classmethod
    def load(cls, path: Path) -> MirrorCheckpoint | None:
        if not path.exists():
            return None
        raw = json.loads(path.read_text())
        if raw.get("version") != CHECKPOINT_VERSION:
            return None
        parts = {int(k): PartitionState(**v) for k, v in raw.get("partitions", {}).items()}
        return cls(raw["source_topic"], raw["target_topic"], parts)

    def save(self, path: Path) -> None:
        payload = asdict(self)
        payload["partitions"] = {str(k): v for k, v in payload["partitions"].items()}
        atomic_write_text(path, json.dumps(payload, indent=1))


def checkpoint_path(folder: Path, source_topic: str, target_topic: str) -> Path:
    return Path(folder) / f"kafka-{source_topic}--{target_topic}.json"
