"""The verify of one bucket pair: listings, stored checksums, or every byte read again.

``verify()`` modes: ``listing`` (the ``auto`` choice where the server validated our checksum or
reported the MD5 of what it received at write time) proves each object by its journal entry (the
server-confirmed digest matched the source's) and by the target listing still showing the ETag and
size the server returned for that write (an overwrite changes the ETag), so it costs two listings
and no request per object, like ``rclone --checksum``; objects that fail that test are re-read. It
does not re-read content headers and user metadata, which travelled in the same acknowledged
request. ``checksum`` asks ``HeadObject`` for every object (stored checksum, content headers,
metadata); ``deep`` re-reads every target object and recomputes its checksum (catches anything,
at the cost of reading it all again).

The source checksum of every copied object comes from the checkpoint journal as long as the source
object is unchanged since (same ETag and size); otherwise it is recomputed from the source (read-only).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from runbook_lib.migrate.base import ProgressFactory, VerifyRow
from runbook_lib.migrate.objects.checksums import SHA256, attrs_digest, hash_object
from runbook_lib.migrate.objects.journal import JournalEntry
from runbook_lib.migrate.objects.listing import BucketPair, ListedObject
from runbook_lib.migrate.objects.sizes import byte_bar, close_bar

VERIFY_MODES = ("auto", "listing", "checksum", "deep")


@dataclass
class _Outcome:
    """The result of comparing one object."""

    key: str
    ok: bool
    expected: str
    actual: str
    reason: str = ""


@dataclass(kw_only=True)
class PairVerify:
    """Compares one pair's source and target listings, object by object, in ``mode``.

    Args:
        source: the source client (only read).
        target: the target client.
        pair: the buckets compared.
        entries: the journal's verified objects of this pair, by key.
        mode: ``listing``, ``checksum`` or ``deep`` (``auto`` already resolved).
        validates_checksums: asked only when a ``listing`` proof fails, so a target is not probed for
            nothing: whether the target validates declared checksums (then ``HeadObject`` suffices).
        workers: objects compared at the same time.
        progress: tqdm-like factory.
    """

    source: Any
    target: Any
    pair: BucketPair
    entries: dict[str, JournalEntry]
    mode: str
    validates_checksums: Callable[[], bool]
    workers: int
    progress: ProgressFactory

    def run(self, source: dict[str, ListedObject], target: dict[str, ListedObject]) -> tuple[VerifyRow, list[str]]:
        """The pair's row (counts, aggregate checksums) and one problem line per bad key."""
        pair = self.pair
        missing = sorted(set(source) - set(target))
        extra = sorted(set(target) - set(source))
        common = sorted(set(source) & set(target))
        outcomes: list[_Outcome] = []
        to_check: list[str] = []
        for key in common:
            if source[key].size != target[key].size:
                outcomes.append(
                    _Outcome(
                        key,
                        False,
                        f"size:{source[key].size}",
                        f"size:{target[key].size}",
                        f"size {source[key].size} != {target[key].size}",
                    )
                )
            else:
                to_check.append(key)
        bar = byte_bar(
            self.progress, sum(source[k].size for k in to_check), f"verify {pair.target_bucket} ({self.mode})"
        )
        lock = threading.Lock()

        def check_one(key: str) -> _Outcome:
            outcome = self._verify_object(source[key], target[key], self.entries.get(key))
            with lock:
                bar.update(source[key].size)
            return outcome

        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="s3-verify") as pool:
            outcomes.extend(pool.map(check_one, to_check))
        close_bar(bar)
        mismatched = [o for o in outcomes if not o.ok]
        expected_lines = [f"{k}\0{source[k].size}" for k in missing]
        expected_lines += [f"{o.key}\0{source[o.key].size}\0{o.expected}" for o in outcomes]
        actual_lines = [f"{k}\0{target[k].size}" for k in extra]
        actual_lines += [f"{o.key}\0{target[o.key].size}\0{o.actual}" for o in outcomes]
        row = VerifyRow(
            unit=pair.unit,
            source_count=len(source),
            target_count=len(target),
            matched=len(outcomes) - len(mismatched),
            missing=len(missing),
            mismatched=len(mismatched),
            extra=len(extra),
            source_checksum=_aggregate(expected_lines),
            target_checksum=_aggregate(actual_lines),
            bytes=sum(o.size for o in source.values()),
        )
        problems = [f"{pair.target_bucket}/{o.key}: mismatched ({o.reason})" for o in mismatched]
        problems += [f"{pair.target_bucket}/{k}: missing" for k in missing]
        problems += [f"{pair.target_bucket}/{k}: extra (not in the source)" for k in extra]
        return row, problems

    def _verify_object(self, src: ListedObject, landed: ListedObject, entry: JournalEntry | None) -> _Outcome:
        key, mode = src.key, self.mode
        source_bucket, target_bucket = self.pair.source_bucket, self.pair.target_bucket
        usable = entry is not None and entry.matches_source(src)
        if mode == "listing":
            if usable and entry is not None and entry.server_confirmed and entry.matches_target(landed):
                # the server's checksum of this very write (same ETag) equals the source's
                confirmed = f"{entry.checksum.describe()}"
                return _judge(key, confirmed, entry.attrs, confirmed, entry.attrs)
            # rewritten since, copied by another tool, or only echoed: a stored value proves nothing
            mode = "checksum" if self.validates_checksums() else "deep"
        if usable and mode == "checksum":
            assert entry is not None
            head = self.target.head_object(Bucket=target_bucket, Key=key, ChecksumMode="ENABLED")
            reported = head.get("ChecksumSHA256")
            if reported:
                actual = (
                    entry.checksum.describe() if entry.checksum.matches_reported(reported) else f"{SHA256}:{reported}"
                )
                return _judge(key, entry.checksum.describe(), entry.attrs, actual, attrs_digest(head))
            # no stored SHA-256 (written by another tool, or overwritten since): read it
        if usable:
            assert entry is not None
            part_size = entry.checksum.part_size if entry.checksum.parts else 0
            actual_sum, attrs = hash_object(self.target, target_bucket, key, part_size)
            return _judge(key, entry.checksum.describe(), entry.attrs, actual_sum.describe(), attrs)
        # No (current) journal entry: hash both sides the same way (full-object SHA-256).
        expected, expected_attrs = hash_object(self.source, source_bucket, key, 0)
        actual_sum, attrs = hash_object(self.target, target_bucket, key, 0)
        return _judge(key, expected.describe(), expected_attrs, actual_sum.describe(), attrs)


def _judge(key: str, expected: str, expected_attrs: str, actual: str, actual_attrs: str) -> _Outcome:
    """Content first, then content headers and metadata; both sides' strings feed the bucket aggregate."""
    expected_full, actual_full = f"{expected}+{expected_attrs}", f"{actual}+{actual_attrs}"
    if expected != actual:
        return _Outcome(key, False, expected_full, actual_full, f"checksum expected {expected}, found {actual}")
    if expected_attrs != actual_attrs:
        return _Outcome(key, False, expected_full, actual_full, "content headers or metadata differ")
    return _Outcome(key, True, expected_full, actual_full)


def _aggregate(lines: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for line in sorted(lines):
        digest.update(line.encode("utf-8", errors="surrogatepass") + b"\n")
    return digest.hexdigest()[:16]
