"""The drill's heartbeat: a writer that stamps a row (PostgreSQL) and an object version (S3) every interval.

Why heartbeats: RPO is "how much recent data does a restore lose", and the only honest way to measure it is to
write known data at a known rate up to the disaster and look for the newest piece in the restore. Each beat
carries its sequence number and the writer's UTC clock; RPO = disaster moment - newest beat found in the
restore. The writer stops at the disaster (the primary is lost).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("runbook_lib.dr.heartbeat")


@dataclass(frozen=True)
class Beat:
    seq: int
    at: datetime  # UTC, as written into the row / object


@dataclass
class HeartbeatWriter:
    """Calls every sink with each beat, every ``interval_s``, on a background thread, until :meth:`stop`.

    A sink that raises stops counting for that beat (logged and kept in ``errors``); the beat is recorded only
    when every sink took it, so "written" means written everywhere.
    """

    sinks: list[Callable[[Beat], None]]
    interval_s: float = 1.0
    beats: list[Beat] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> HeartbeatWriter:
        self._thread = threading.Thread(target=self._loop, name="dr-heartbeat", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        seq = 0
        next_at = time.monotonic()
        while not self._stop.is_set():
            seq += 1
            beat = Beat(seq, datetime.now(UTC))
            try:
                for sink in self.sinks:
                    sink(beat)
                self.beats.append(beat)
            except Exception as error:  # noqa: BLE001 - a failed beat is data for the drill, not a crash
                self.errors.append(f"beat {seq}: {type(error).__name__}: {error}")
                log.warning("heartbeat %d failed: %s", seq, error)
            next_at += self.interval_s
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def stop(self) -> datetime:
        """Stop writing (the disaster); returns the moment, after the last beat finished."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        return datetime.now(UTC)

    @property
    def last(self) -> Beat | None:
        return self.beats[-1] if self.beats else None


# ------------------------------------------------------------------------------------------------ sinks
def postgres_sink(conn: Any, table: str) -> Callable[[Beat], None]:
    """Insert ``(seq, at)`` into ``table`` (created by the caller) over an autocommit connection."""

    def write(beat: Beat) -> None:
        conn.execute(f'INSERT INTO public."{table}" (seq, at) VALUES (%s, %s)', (beat.seq, beat.at))

    return write


def s3_sink(s3: Any, bucket: str, key: str) -> Callable[[Beat], None]:
    """Overwrite ``key`` with the beat: every beat is a new object version (the bucket is versioned)."""

    def write(beat: Beat) -> None:
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps({"seq": beat.seq, "at": beat.at.isoformat()}).encode(),
                      ContentType="application/json")

    return write
