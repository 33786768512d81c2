"""An append-only JSON-lines journal: the checkpoint of a resumable copy.

Why append-only rather than a state file rewritten with tmp + ``os.replace``:
a copy of millions of objects records a result every few milliseconds, and
rewriting a growing state file that often is quadratic. Appending one line per
verified item and ``fsync``-ing once per batch costs one write per item and one
disk flush per batch; a kill loses at most the unflushed batch, whose items are
simply copied again (an idempotent overwrite of the same key).

A SIGKILL can tear the last line. :meth:`Journal.load` ignores a torn *last*
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
from pathlib import Path
from typing import Any

from runbook_lib.util import atomic_write_bytes

log = logging.getLogger("runbook_lib.migrate.journal")


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
                    log.info(
                        "%s: ignoring a torn last line (the previous run was killed mid-write)", self.path
                    )
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
