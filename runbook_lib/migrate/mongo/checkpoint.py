"""The copy's checkpoint: per collection, the last ``_id`` written and what is done.

Why a file per migrator: a copy killed mid-collection resumes after the last batch it wrote
(written with tmp + ``os.replace``, so a crash never leaves half a checkpoint). The ``_id`` is kept
as canonical extended JSON, which round-trips every BSON type exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runbook_lib.migrate.checkpoint_file import CheckpointFile

CHECKPOINT_VERSION = 1


@dataclass
class CollectionState:
    """How far the copy of one collection got."""

    last_id: str | None = None  # canonical extended JSON of {"_id": ...}
    copied: int = 0
    done: bool = False
    indexes_done: bool = False


@dataclass
class MongoCheckpoint(CheckpointFile):
    """Every collection's state, by unit name; another version on disk counts as no checkpoint."""

    version: int = CHECKPOINT_VERSION
    collections: dict[str, CollectionState] = field(default_factory=dict)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> MongoCheckpoint:
        return cls(CHECKPOINT_VERSION, {k: CollectionState(**v) for k, v in raw.get("collections", {}).items()})


def encode_id(value: Any) -> str:
    """An ``_id`` as the checkpoint stores it (canonical extended JSON of ``{"_id": value}``)."""
    from bson import json_util

    return json_util.dumps({"_id": value}, json_options=json_util.CANONICAL_JSON_OPTIONS)


def decode_id(text: str) -> Any:
    """The ``_id`` back from :func:`encode_id`'s text, with its exact BSON type."""
    from bson import json_util

    return json_util.loads(text, json_options=json_util.CANONICAL_JSON_OPTIONS)["_id"]
