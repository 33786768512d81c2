"""Index specs of a collection: read, compared and re-created on the target with the same options.

Why here: the check reads them (DocumentDB's index rules), the copy and the step after a DMS load
create the ones the target lacks, and the verify compares them; all three must agree on what an
index *is* (key and options) and what is bookkeeping (``v``, ``ns``, ``background`` …).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Index options that are bookkeeping, not part of what an index is.
INDEX_NOISE = frozenset({"v", "ns", "key", "name", "background"})


def plain_key(key: Any) -> list[tuple[str, Any]]:
    """An index key as ``[(field, direction), …]``, whether given as a mapping or as pairs."""
    if isinstance(key, Mapping):
        return list(key.items())
    return [(str(k), d) for k, d in key]


def index_options(spec: Mapping[str, Any]) -> dict[str, Any]:
    """What an index spec says beyond its key and name (unique, TTL, partial filter …)."""
    return {k: v for k, v in spec.items() if k not in INDEX_NOISE}


def normalize_index(name: str, spec: Mapping[str, Any]) -> tuple[str, str]:
    """``(name, canonical JSON of key + options)``: what must be equal for two indexes to be the same."""
    from bson import json_util

    options = index_options(spec)
    body = {"key": [[k, d] for k, d in plain_key(spec["key"])], **dict(sorted(options.items()))}
    return name, json_util.dumps(body, sort_keys=True)


def index_specs(collection: Any) -> dict[str, dict[str, Any]]:
    """``{name: spec}`` of every index of a collection."""
    return {name: dict(spec) for name, spec in collection.index_information().items()}


def copy_indexes(source: Any, target: Any) -> int:
    """Create on the target every source index it lacks (same name, key and options); returns how many."""
    existing = set(index_specs(target))
    created = 0
    for name, spec in index_specs(source).items():
        if name == "_id_" or name in existing:
            continue
        target.create_index(plain_key(spec["key"]), name=name, **index_options(spec))
        created += 1
    return created
