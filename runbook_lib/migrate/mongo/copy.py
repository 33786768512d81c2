"""The batched, resumable copy: each collection in ``_id`` order, checkpointed after every batch.

Batches are written with upsert semantics keyed on ``_id`` (:func:`write_batch`), so writing a batch
twice is harmless; the last ``_id`` written is checkpointed after every batch, and a resumed copy
starts after it — type-aware, since MongoDB compares ``$gt`` only within one BSON type
(:func:`resume_filter`). Indexes (unique, compound, TTL, partial …) are created after the data, as a
bulk load wants. Collections are copied one after another (the sandbox's store is not safe for
concurrent writers); documents changed on the source after they were copied are not re-copied (a
resumed copy only goes forward).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from runbook_lib.errors import CopyFailedError
from runbook_lib.migrate.base import CopyReport, ProgressFactory
from runbook_lib.migrate.mongo.checkpoint import CollectionState, MongoCheckpoint, decode_id, encode_id
from runbook_lib.migrate.mongo.documents import id_key, id_text
from runbook_lib.migrate.mongo.indexes import copy_indexes
from runbook_lib.migrate.mongo.listing import DatabaseSpec, is_view, iter_units, unit_name

log = logging.getLogger("runbook_lib.migrate.mongo")

#: MongoDB's cross-type sort order ("brackets"); ``$gt`` only compares within one bracket. The
#: deprecated ``symbol`` alias is left out (pymongo decodes it as a string anyway).
_TYPE_BRACKETS: tuple[tuple[str, ...], ...] = (
    ("minKey",),
    ("null",),
    ("int", "long", "double", "decimal"),
    ("string",),
    ("object",),
    ("binData",),
    ("objectId",),
    ("bool",),
    ("date",),
    ("timestamp",),
    ("regex",),
    ("maxKey",),
)


def type_bracket(value: Any) -> int:
    """The sort bracket of a Python value as pymongo decodes BSON."""
    import bson
    from bson.max_key import MaxKey
    from bson.min_key import MinKey

    if isinstance(value, MinKey):
        return 0
    if value is None:
        return 1
    if isinstance(value, bool):
        return 7
    if isinstance(value, (int, float, bson.Decimal128, bson.Int64)):
        return 2
    if isinstance(value, str):
        return 3
    if isinstance(value, Mapping):
        return 4
    if isinstance(value, (bytes, bson.Binary, uuid.UUID)):
        return 5
    if isinstance(value, bson.ObjectId):
        return 6
    if isinstance(value, dt.datetime):
        return 8
    if isinstance(value, bson.Timestamp):
        return 9
    if isinstance(value, (bson.Regex, re.Pattern)):
        return 10
    if isinstance(value, MaxKey):
        return 11
    return 4


def resume_filter(last_id: Any, max_id: Any = None) -> dict[str, Any]:
    """Documents after ``last_id`` in ``_id`` order, including those of later BSON types up to ``max_id``'s.

    MongoDB's ``$gt`` compares only within a type bracket, so after the last string ``_id`` it would
    never return an ObjectId one. When the largest ``_id`` (``max_id``) is of the same bracket, the
    plain ``$gt`` is all that is needed (the usual case, and the only one that uses the index
    simply); otherwise one ``$type`` clause per later bracket up to the largest is added.
    """
    first = type_bracket(last_id)
    last = type_bracket(max_id) if max_id is not None else first
    if last <= first:
        return {"_id": {"$gt": last_id}}
    later = [alias for bracket in _TYPE_BRACKETS[first + 1 : last + 1] for alias in bracket]
    return {"$or": [{"_id": {"$gt": last_id}}, *({"_id": {"$type": alias}} for alias in later)]}


def write_batch(collection: Any, batch: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """Write a batch with upsert semantics on ``_id``: insert new documents, replace those already there.

    Why not ``bulk_write([ReplaceOne(upsert=True)])``: it is the natural form, but mongomock (the
    sandbox's stand-in) cannot take the ``ReplaceOne`` of current pymongo. Looking up which ``_id``
    values exist costs one indexed query per batch; after a resume only the first batch has any.

    Returns:
        ``(inserted, replaced)``.
    """
    keys = {id_key(d["_id"]): d for d in batch}
    present = {id_key(d["_id"]) for d in collection.find({"_id": {"$in": [d["_id"] for d in batch]}}, {"_id": 1})}
    fresh = [d for k, d in keys.items() if k not in present]
    if fresh:
        collection.insert_many(fresh, ordered=False)
    for key in present:
        collection.replace_one({"_id": keys[key]["_id"]}, keys[key])
    return len(fresh), len(present)


def copy_collections(
    source_client: Any,
    target_client: Any,
    databases: Sequence[DatabaseSpec],
    checkpoint: MongoCheckpoint,
    *,
    kind: str,
    batch_size: int,
    progress: ProgressFactory,
    save: Callable[[MongoCheckpoint], None],
) -> CopyReport:
    """Copy every collection in ``_id`` order, batch by batch, then create its indexes.

    Views are listed in ``details["views_not_copied"]`` (DocumentDB has none). ``checkpoint`` is
    advanced and handed to ``save`` after every batch and every finished collection.

    Raises:
        CopyFailedError: the target refused documents of a batch (their ``_id`` and error).
    """
    report = CopyReport(kind=kind, details={"views_not_copied": [], "indexes_created": 0, "units": {}})
    units = list(iter_units(source_client, databases))
    total = sum(source_client[s.name][n].estimated_document_count() for s, n, o in units if not is_view(o))
    bar = progress(total=total, desc="copy mongo", unit="doc")

    def batch_written(count: int) -> None:
        save(checkpoint)
        bar.update(count)

    try:
        for spec, name, options in units:
            unit = unit_name(spec, name)
            if is_view(options):
                report.details["views_not_copied"].append(unit)
                log.warning("%s is a view; DocumentDB has none, so it is not copied", unit)
                continue
            state = checkpoint.collections.setdefault(unit, CollectionState())
            source = source_client[spec.name][name]
            target = target_client[spec.target][name]
            if state.done or state.copied:
                report.items_skipped += state.copied
                bar.update(state.copied)
            if not state.done:
                _copy_documents(
                    source, target, state, unit=unit, batch_size=batch_size, report=report, batch_written=batch_written
                )
                state.done = True
                save(checkpoint)
            created = 0
            if not state.indexes_done:
                created = copy_indexes(source, target)
                report.details["indexes_created"] += created
                state.indexes_done = True
                save(checkpoint)
            report.details["units"][unit] = {"documents": state.copied, "indexes_created": created}
    finally:
        bar.close()
    return report


def _copy_documents(
    source: Any,
    target: Any,
    state: CollectionState,
    *,
    unit: str,
    batch_size: int,
    report: CopyReport,
    batch_written: Callable[[int], None],
) -> None:
    """The documents after ``state.last_id``, batch by batch; ``state`` and ``report`` follow each batch."""
    import bson
    from pymongo.errors import BulkWriteError

    query: dict[str, Any] = {}
    if state.last_id:
        largest = next(iter(source.find({}, {"_id": 1}, sort=[("_id", -1)], limit=1)), None)
        query = resume_filter(decode_id(state.last_id), largest["_id"] if largest else None)
    for batch in _batches(source.find(query, sort=[("_id", 1)], batch_size=batch_size), batch_size):
        try:
            write_batch(target, batch)
        except BulkWriteError as error:
            failed = {
                id_text(e.get("op", {}).get("_id")): e.get("errmsg", "") for e in error.details.get("writeErrors", [])
            }
            raise CopyFailedError(report.kind, unit, failed, report.items_copied) from None
        state.last_id = encode_id(batch[-1]["_id"])
        state.copied += len(batch)
        report.items_copied += len(batch)
        report.bytes_copied += sum(len(bson.encode(d)) for d in batch)
        batch_written(len(batch))


def _batches(documents: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """``documents`` in lists of ``size`` (the last one shorter), read lazily."""
    batch: list[dict[str, Any]] = []
    for document in documents:
        batch.append(document)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
