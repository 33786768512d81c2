"""Content verification: every document matched by ``_id`` and hash, a checksum, the index sets.

Per collection, a 64-bit hash of each document's BSON bytes (field order included), matched by
``_id`` (missing / changed / extra), an order-independent sum as the collection checksum, and the
index sets compared by name, key and options. Verify holds one hash per source document in memory
(~100 bytes each).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runbook_lib.migrate.base import ProgressFactory, VerifyReport, VerifyRow
from runbook_lib.migrate.mongo.documents import collection_checksum, hash64, id_key, id_text
from runbook_lib.migrate.mongo.indexes import index_specs, normalize_index
from runbook_lib.migrate.mongo.listing import DatabaseSpec, is_view, iter_units, list_collections, unit_name


def verify_collections(
    source_client: Any,
    target_client: Any,
    databases: Sequence[DatabaseSpec],
    *,
    kind: str,
    progress: ProgressFactory,
    max_problems: int,
) -> VerifyReport:
    """Per collection: documents matched by ``_id`` and BSON hash, an order-free checksum, the indexes.

    Args:
        max_problems: mismatched ``_id`` values listed per collection and kind of mismatch.
    """
    report = VerifyReport(kind=kind)
    units = list(iter_units(source_client, databases))
    bar = progress(total=len(units), desc="verify mongo", unit="coll")
    try:
        for spec, name, options in units:
            unit = unit_name(spec, name)
            if is_view(options):
                report.notes.append(f"{unit}: a view (DocumentDB has none); not copied, not compared")
                bar.update(1)
                continue
            source, target = source_client[spec.name][name], target_client[spec.target][name]
            report.rows.append(verify_collection(source, target, unit, report.problems, max_problems))
            bar.update(1)
    finally:
        bar.close()
    for spec in databases:
        source_names = {n for n, _ in list_collections(source_client, spec)}
        for name, _ in list_collections(target_client, spec, target=True):
            if name not in source_names and not spec.collections:
                report.notes.append(f"{spec.target}.{name}: exists only on the target (not part of this move)")
    return report


def collection_hashes(collection: Any) -> tuple[dict[bytes, tuple[int, Any]], int]:
    """``({id_key: (hash, _id)}, BSON bytes read)`` of every document of a collection."""
    import bson

    hashes: dict[bytes, tuple[int, Any]] = {}
    size = 0
    for document in collection.find({}):
        raw = bson.encode(document)
        size += len(raw)
        hashes[id_key(document["_id"])] = (hash64(raw), document["_id"])
    return hashes, size


def verify_collection(
    source_coll: Any, target_coll: Any, unit: str, problems: list[str], max_problems: int = 20
) -> VerifyRow:
    """One collection's row; each kind of mismatch (and each index difference) appended to ``problems``."""
    source, size = collection_hashes(source_coll)
    target, _ = collection_hashes(target_coll)
    missing = [k for k in source if k not in target]
    changed = [k for k in source if k in target and source[k][0] != target[k][0]]
    extra = [k for k in target if k not in source]
    row = VerifyRow(
        unit,
        len(source),
        len(target),
        len(source) - len(missing) - len(changed),
        len(missing),
        len(changed),
        len(extra),
        collection_checksum(h for h, _ in source.values()),
        collection_checksum(h for h, _ in target.values()),
        size,
    )
    for label, keys, side in (
        ("missing", missing, source),
        ("changed", changed, source),
        ("extra", extra, target),
    ):
        if keys:
            shown = ", ".join(id_text(side[k][1]) for k in keys[:max_problems])
            problems.append(f"{unit}: {len(keys)} {label} (_id {shown}{' …' if len(keys) > max_problems else ''})")
    problems.extend(index_differences(source_coll, target_coll, unit))
    return row


def index_differences(source_coll: Any, target_coll: Any, unit: str) -> list[str]:
    """Indexes missing on the target, only on the target, or defined differently."""
    source_indexes = dict(normalize_index(n, s) for n, s in index_specs(source_coll).items())
    target_indexes = dict(normalize_index(n, s) for n, s in index_specs(target_coll).items())
    differences: list[str] = []
    for index in sorted(set(source_indexes) | set(target_indexes)):
        if index not in target_indexes:
            differences.append(f"{unit}: index {index} missing on the target")
        elif index not in source_indexes:
            differences.append(f"{unit}: index {index} exists only on the target")
        elif source_indexes[index] != target_indexes[index]:
            differences.append(f"{unit}: index {index} differs: {source_indexes[index]} vs {target_indexes[index]}")
    return differences
