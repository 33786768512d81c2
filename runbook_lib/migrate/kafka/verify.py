"""Verification by reading both sides: counts, content hashes, a byte-equal sample, and the groups' positions.

Per partition the source records (up to the end the mirror captured) and the target records are read
in order and merged on the source offset each target record carries: ``matched`` (same digest),
``mismatched`` (a record whose key, value, headers or CreateTime timestamp differ), ``missing`` (a
source offset with no target record) and ``extra`` (a target record for no source offset, or a
second one for the same offset: a duplicate). The content hash of a partition is SHA-256 over its
record digests in order; every ``sample_every``-th matched record is also compared byte for byte.
Counts never come from the broker's offsets (see :mod:`.reading`).

Records without the mirror's header are *native*: written on the target by producers already moved
there (the staged producer cutover of phase 03). They are no source record, so they are neither extra
nor missing; they are counted apart (``native``) and said in the notes, so an operator sees them.

Groups: for every group with committed offsets on both sides, a consumer started on the target at the
group's committed offset must see exactly the records the group had not consumed on the source: the
source offsets in the target records from there on equal the source's offsets from the group's
source offset on.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from runbook_lib.migrate.base import VerifyRow
from runbook_lib.migrate.kafka.client import SourceCluster, TargetCluster
from runbook_lib.migrate.kafka.reading import Record, decode_source, read_range, user_headers, watermarks

#: Timestamp type CreateTime (the producer's timestamp, which the mirror keeps).
CREATE_TIME = 1


def record_digest(record: Record) -> bytes:
    """SHA-256 of what must survive the mirror: key, value, headers (not the mirror's) and a CreateTime timestamp."""
    digest = hashlib.sha256()
    for part in (record.key, record.value):
        digest.update(b"\x00" if part is None else b"\x01" + struct.pack(">I", len(part)) + part)
    for name, value in user_headers(list(record.headers)):
        encoded = name.encode()
        digest.update(struct.pack(">I", len(encoded)) + encoded + struct.pack(">I", len(value)) + value)
    if record.timestamp_type == CREATE_TIME:
        digest.update(struct.pack(">q", record.timestamp))
    return digest.digest()


@dataclass
class PartitionCheck:
    """The merge's result for one partition (becomes one :class:`VerifyRow`)."""

    unit: str
    source_count: int = 0
    target_count: int = 0
    matched: int = 0
    missing: int = 0
    mismatched: int = 0
    extra: int = 0
    native: int = 0
    duplicates: int = 0
    bytes: int = 0
    sampled: int = 0
    sample_equal: int = 0
    source_hash: str = ""
    target_hash: str = ""

    def row(self) -> VerifyRow:
        return VerifyRow(self.unit, self.source_count, self.target_count, self.matched, self.missing,
                         self.mismatched, self.extra, self.source_hash, self.target_hash, self.bytes)


def compare_partition(
    source: SourceCluster,
    target: TargetCluster,
    source_topic: str,
    target_topic: str,
    partition: int,
    end: int,
    *,
    sample_every: int = 100,
    problems: list[str],
    max_problems: int = 20,
) -> PartitionCheck:
    """Merge one partition's source records ``[start, end)`` with the target's records (see the module docstring)."""
    check = PartitionCheck(f"{source_topic}[{partition}]")
    source_hash, target_hash = hashlib.sha256(), hashlib.sha256()
    start = watermarks(source, source_topic, partition)[0]
    source_iter = iter(read_range(source, source_topic, partition, start, end))
    targets = _target_records(target, target_topic, partition, check, target_hash, problems, max_problems)
    s = next(source_iter, None)
    t = next(targets, None)
    last_matched = -1

    def note(text: str) -> None:
        if len(problems) < max_problems:
            problems.append(text)

    while s is not None or t is not None:
        if s is not None and (t is None or t[0] > s.offset):
            check.source_count += 1
            source_hash.update(record_digest(s))
            check.missing += 1
            note(f"{check.unit}: source offset {s.offset} missing on the target")
            s = next(source_iter, None)
            continue
        assert t is not None
        if s is None or t[0] < s.offset:
            check.extra += 1
            if t[0] <= last_matched:
                check.duplicates += 1
                note(f"{check.unit}: source offset {t[0]} duplicated on the target")
            else:
                note(f"{check.unit}: target record for source offset {t[0]}, which the source does not hold")
            t = next(targets, None)
            continue
        check.source_count += 1
        source_digest = record_digest(s)
        source_hash.update(source_digest)
        check.bytes += s.size
        if source_digest == t[1]:
            check.matched += 1
            if check.matched % sample_every == 1 or sample_every == 1:
                check.sampled += 1
                same = (s.key, s.value, list(s.headers)) == (t[2].key, t[2].value, user_headers(list(t[2].headers)))
                check.sample_equal += int(same)
                if not same:
                    note(f"{check.unit}: source offset {s.offset} differs byte for byte with an equal digest")
        else:
            check.mismatched += 1
            key = (s.key or b"").decode(errors="replace")
            note(f"{check.unit}: source offset {s.offset} (key {key!r}) differs on the target")
        last_matched = s.offset
        s = next(source_iter, None)
        t = next(targets, None)
    check.source_hash = source_hash.hexdigest()[:16]
    check.target_hash = target_hash.hexdigest()[:16]
    return check


def _target_records(
    target: TargetCluster,
    topic: str,
    partition: int,
    check: PartitionCheck,
    target_hash: hashlib._Hash,
    problems: list[str],
    max_problems: int,
) -> Iterator[tuple[int, bytes, Record]]:
    """``(source offset, digest, record)`` of every mirrored target record of ``partition``.

    A record mirrored from another partition counts as extra; one without the mirror's header as native.
    """
    low, high = watermarks(target, topic, partition)
    if high <= low:
        return
    for record in read_range(target, topic, partition, low):
        origin = decode_source(list(record.headers))
        if origin is None:
            check.native += 1
            continue
        check.target_count += 1
        if origin[0] != partition:
            check.extra += 1
            if len(problems) < max_problems:
                problems.append(f"{topic}[{partition}]: target offset {record.offset} was not written by the mirror")
            continue
        digest = record_digest(record)
        target_hash.update(digest)
        yield origin[1], digest, record


def check_group_position(
    source: SourceCluster,
    target: TargetCluster,
    group: str,
    source_topic: str,
    target_topic: str,
    partition: int,
    source_offset: int,
    target_offset: int,
    end: int,
) -> VerifyRow:
    """What a consumer at the target's committed offset sees, against what the group had not read on the source."""
    unread = [r.offset for r in read_range(source, source_topic, partition, source_offset, end)]
    low, high = watermarks(target, target_topic, partition)
    seen: list[int] = []
    if high > low and target_offset <= _last_offset(target, target_topic, partition):
        for record in read_range(target, target_topic, partition, target_offset):
            origin = decode_source(list(record.headers))
            if origin is None:
                continue  # native: written on the target after the producers moved, not a source record
            seen.append(origin[1] if origin[0] == partition else -1)
    matched = sum(1 for a, b in zip(unread, seen, strict=False) if a == b)
    equal = unread == seen
    missing = 0 if equal else max(len(unread) - matched, 0)
    extra = 0 if equal else max(len(seen) - matched, 0)
    if not equal and missing == 0 and extra == 0:
        missing = 1  # same length, other records: a shifted position
    return VerifyRow(f"group {group}: {source_topic}[{partition}] @{source_offset}->{target_offset}",
                     len(unread), len(seen), matched, missing, 0, extra)


def _last_offset(cluster: TargetCluster, topic: str, partition: int) -> int:
    from runbook_lib.migrate.kafka.reading import last_record

    last = last_record(cluster, topic, partition)
    return last.offset if last is not None else -1
