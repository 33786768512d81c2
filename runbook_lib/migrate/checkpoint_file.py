"""A migrator's checkpoint file: JSON that carries its format version, written atomically.

Why one reader for every kind (PostgreSQL, MongoDB, Kafka): each resumes from such a file, and all must
treat a missing file and a file in another format the same way: no checkpoint, start over, and say so in
the log, rather than resume from fields the code no longer means.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any, Self

from runbook_lib.util import atomic_write_text

log = logging.getLogger("runbook_lib.migrate.checkpoint")


def read_checkpoint(path: Path, version: int) -> dict[str, Any] | None:
    """The checkpoint's JSON; None when there is no file or it was written in another ``version``."""
    if not path.exists():
        return None
    raw = json.loads(path.read_text())
    if raw.get("version") != version:
        log.warning("%s: checkpoint version %s is not %s; starting over", path, raw.get("version"), version)
        return None
    return raw


def write_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """``payload`` as indented JSON, through a temporary file and a rename (a kill never leaves half a file)."""
    atomic_write_text(path, json.dumps(payload, indent=1))


class CheckpointFile:
    """Base of a kind's checkpoint dataclass, whose ``version`` field defaults to the format it writes.

    ``load`` and ``save`` are the same for every kind; a kind whose JSON is not its fields as they are
    (nested dataclasses, integer keys) says how in ``from_json`` / ``to_json``.
    """

    version: int

    @classmethod
    def load(cls, path: Path) -> Self | None:
        """The checkpoint at ``path``; None when there is none or it is in another format."""
        raw = read_checkpoint(path, cls.version)
        return None if raw is None else cls.from_json(raw)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Self:
        return cls(**raw)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]  # every subclass is a dataclass

    def save(self, path: Path) -> None:
        write_checkpoint(path, self.to_json())
