"""The checkpoint journal of an object copy: append-only JSON lines, one per verified object.

Resume: per bucket pair an append-only JSON-lines journal in ``checkpoint_dir`` records each
object once it is written and acknowledged with the expected checksum (``op: done``: key, size,
source ETag, checksum, target ETag, content-attribute digest), and each multipart upload as it
starts and ends. It is fsynced per batch. A resumed copy skips every object whose journal entry
still matches both listings (source ETag and size, target ETag and size), aborts multipart uploads
a killed run left open, and copies the rest; an object is never copied twice unless it changed or
its journal line was lost with the last unflushed batch. ``verify()`` uses an entry's checksum as
long as the source object is unchanged, and recomputes it from the source (read-only) otherwise.

Why append-only rather than a state file rewritten with tmp + ``os.replace``:
a copy of millions of objects records a result every few milliseconds, and
rewriting a growing state file that often is quadratic. Appending one line per
verified item and ``fsync``-ing once per batch costs one write per item and one
disk flush per batch; a kill loses at most the unflushed batch, whose items are
simply copied again (an idempotent overwrite of the same key).

A SIGKILL can tear the last line. :meth:`Journal.records` ignores a torn *last*
line (expected after a kill) and skips — with a warning — any other line that
does not parse (not expected; kept going because losing one checkpoint entry
only costs a re-copy). Whole-file rewrites (:meth:`Journal.reset`) do use tmp +
``os.replace`` so a reset is atomic.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.migrate.objects.checksums import SERVER_CONFIRMED, ObjectChecksum
from runbook_lib.migrate.objects.listing import ListedObject
from runbook_lib.util import atomic_write_bytes

log = logging.getLogger("runbook_lib.migrate.objects.journal")


class Journal:
    """One JSON object per line; buffered appends, ``fsync`` per batch.

    Args:
        path: the journal file (created on first append).
        batch: lines per ``fsync``; 1 makes every line durable before the next item is reported.
        max_delay_s: also flush when this many seconds passed since the last flush, so a slow copy
            still checkpoints regularly.
    """

    def __init__(self, path: Path, *, batch: int = 100, max_delay_s: float = 2.0) -> None:
        self.path = Path(path)
        self.batch = max(1, batch)
        self.max_delay_s = max_delay_s
        self._handle: Any = None
        self._pending = 0
        self._last_flush = time.monotonic()

    # ------------------------------------------------------------------ reading
    def records(self) -> Iterator[dict[str, Any]]:
        """Every intact record, in order (see the module docstring for torn lines)."""
        if not self.path.exists():
            return
        with open(self.path, "rb") as handle:
            lines = handle.read().split(b"\n")
        last_index = len(lines) - 1
        for index, raw in enumerate(lines):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                if index == last_index:
                    log.info("%s: ignoring a torn last line (the previous run was killed mid-write)", self.path)
                else:
                    log.warning("%s: skipping unreadable line %d", self.path, index + 1)
                continue
            if isinstance(record, dict):
                yield record

    # ------------------------------------------------------------------ writing
    def append(self, record: dict[str, Any]) -> None:
        """Buffer one record; flushed and fsynced when the batch is full or ``max_delay_s`` passed."""
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._repair_torn_tail()
            self._handle = open(self.path, "ab")  # noqa: SIM115 - kept open across appends
        line = json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"
        self._handle.write(line)
        self._pending += 1
        if self._pending >= self.batch or time.monotonic() - self._last_flush >= self.max_delay_s:
            self.flush()

    def flush(self) -> None:
        """Write buffered lines and ``fsync`` them: after this returns they survive a kill or power loss."""
        if self._handle is None:
            return
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._pending = 0
        self._last_flush = time.monotonic()

    def close(self) -> None:
        if self._handle is not None:
            self.flush()
            self._handle.close()
            self._handle = None

    def reset(self) -> None:
        """Start an empty journal atomically (tmp + ``os.replace``): a fresh, non-resumed run."""
        self.close()
        atomic_write_bytes(self.path, b"")

    def _repair_torn_tail(self) -> None:
        """Cut a torn last line before appending, so the next record starts on a line of its own."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as handle:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) == b"\n":
                return
            handle.seek(0)
            data = handle.read()
            cut = data.rfind(b"\n") + 1
            handle.truncate(cut)
            handle.flush()
            os.fsync(handle.fileno())
        log.info("%s: removed a torn last line before resuming", self.path)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class JournalEntry:
    """One verified object as recorded in the checkpoint journal."""

    key: str
    size: int
    source_etag: str
    checksum: ObjectChecksum
    target_etag: str
    attrs: str
    verified_by: str  # "s3-validated" | "s3-etag-md5" | "echo" | "written"
    sha256: str = ""  # full-object SHA-256 hex, when it was computed (single PUT, or metadata fallback)

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["op"] = "done"
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> JournalEntry:
        data = {k: v for k, v in record.items() if k != "op"}
        data["checksum"] = ObjectChecksum(**data["checksum"])
        return cls(**data)

    def matches_source(self, listed: ListedObject) -> bool:
        """Whether the source object is still the one this entry was computed from."""
        return self.size == listed.size and self.source_etag == listed.etag

    def matches_target(self, listed: ListedObject) -> bool:
        """Whether the target object is still the one this entry's write produced (an overwrite changes the ETag)."""
        return self.size == listed.size and self.target_etag == listed.etag

    @property
    def server_confirmed(self) -> bool:
        """Whether the target server's own digest of this write matched the source's."""
        return self.verified_by in SERVER_CONFIRMED


@dataclass
class JournalState:
    """What a journal says: the verified objects (latest entry per key) and uploads still open."""

    done: dict[str, JournalEntry] = field(default_factory=dict)
    open_uploads: dict[str, str] = field(default_factory=dict)  # upload_id -> key
    duplicates: int = 0

    @classmethod
    def load(cls, journal: Journal) -> JournalState:
        state = cls()
        for record in journal.records():
            op = record.get("op")
            if op == "done":
                entry = JournalEntry.from_record(record)
                if entry.key in state.done:
                    state.duplicates += 1
                state.done[entry.key] = entry
            elif op == "mpu-start":
                state.open_uploads[record["upload_id"]] = record["key"]
            elif op in ("mpu-end", "mpu-abort"):
                state.open_uploads.pop(record["upload_id"], None)
        return state
