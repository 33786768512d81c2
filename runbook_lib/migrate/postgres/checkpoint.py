"""Which phases of one database's move are done: the checkpoint a killed run resumes from.

Written atomically (tmp + ``os.replace``, :mod:`runbook_lib.migrate.checkpoint_file`) after every
step; a dump is reused on resume only if :func:`dump_checksum` still matches what was recorded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from runbook_lib.migrate.checkpoint_file import CheckpointFile
from runbook_lib.migrate.postgres.identifiers import TableRef

CHECKPOINT_VERSION = 1


@dataclass
class DataEntry:
    """A data-section entry of the dump: one table's rows, or the sequences/large objects."""

    dump_id: int
    desc: str
    schema: str
    name: str
    bytes: int = 0

    @property
    def table(self) -> TableRef:
        return TableRef(self.schema, self.name)


@dataclass
class PgCheckpoint(CheckpointFile):
    """Which phases of one database's move are done; written atomically after each step."""

    source: str
    target: str
    version: int = CHECKPOINT_VERSION
    dump_dir: str = ""
    dump_done: bool = False
    dump_sha256: str = ""
    dumped_at: str = ""
    dump_deleted_at: str = ""  # set when verify passed and the dump was deleted
    tables: list[DataEntry] = field(default_factory=list)
    other_data: list[int] = field(default_factory=list)  # dump ids of SEQUENCE SET / BLOBS entries
    target_prepared: bool = False
    pre_data: str = ""  # "", "started", "done"
    tables_done: list[int] = field(default_factory=list)
    other_data_done: bool = False
    post_data: str = ""
    owners_done: bool = False
    analyzed: bool = False
    complete: bool = False

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Self:
        return cls(**{**raw, "tables": [DataEntry(**t) for t in raw.get("tables", [])]})

    def reset_restore(self) -> None:
        """Forget restore progress (a new dump makes it stale); the target database gets recreated."""
        self.pre_data = "started" if self.target_prepared else ""
        self.tables_done, self.other_data_done, self.post_data = [], False, ""
        self.owners_done = self.analyzed = self.complete = False


@dataclass
class SchemaCheckpoint(PgCheckpoint):
    """The schema around a load this migrator does not do itself (AWS DMS): pre-data, the load, post-data.

    The same phases as :class:`PgCheckpoint` (its ``dump_*`` fields describe a schema-only dump);
    ``loaded`` records that the external load finished, so a re-run never restarts a load into
    tables that already carry their constraints.
    """

    loaded: bool = False
    sequences_set: int = 0


@dataclass(frozen=True)
class SchemaStep:
    """What one schema step around an external load did (a row of the at-scale runs' notes)."""

    phase: str  # "pre-data" | "post-data"
    skipped: bool
    seconds: float
    sequences_set: int = 0
    owners_changed: int = 0
    dump_dir: str = ""


def dump_checksum(folder: Path) -> str:
    """sha256 over every file of a directory-format dump (names and contents, in name order)."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()
