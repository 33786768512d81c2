"""The measured DR drill: heartbeats, backup, disaster, restore, verification, RPO/RTO against targets, cleanup.

Timeline (every moment in the ``timeline`` table, seconds from the start):

1. the heartbeat writer stamps a row in the RDS database and a version of an S3 object every
   ``dr.heartbeat_interval_s``;
2. after ``dr.backup_after_s``: the backup (RDS snapshot, DocumentDB snapshot/copy; S3 keeps versions anyway);
3. after ``dr.disaster_after_s`` more: **the disaster** - the writer stops (the primary is lost) and the drill's
   S3 objects are overwritten and deleted;
4. restore (RDS from the snapshot, DocumentDB likewise, S3 prefix to the disaster moment from versions) and
   verify (restored tables and collections equal the target's, objects equal their pre-disaster content);
5. **RPO** = disaster - newest heartbeat found in the restore (the worst store counts); **RTO** = disaster -> restored
   and verified; each compared with ``dr.rpo_target_s`` / ``dr.rto_target_s``;
6. cleanup of everything the drill created, then a fresh look for leftovers - part of the drill, also after a
   failure.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from runbook_lib.dr.documents import DocumentsDrill
from runbook_lib.dr.heartbeat import HeartbeatWriter, postgres_sink, s3_sink
from runbook_lib.dr.objects import S3Drill
from runbook_lib.dr.rds import RdsDrill
from runbook_lib.errors import DrillError, RecoveryTargetMissedError

log = logging.getLogger("runbook_lib.dr.drill")


@dataclass
class DrillResult:
    """What the drill measured and proved."""

    drill_id: str
    rpo_target_s: float
    rto_target_s: float
    timeline: list[dict[str, Any]] = field(default_factory=list)
    verification: list[dict[str, Any]] = field(default_factory=list)
    recovery_points: list[dict[str, Any]] = field(default_factory=list)
    cleanup: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    beats_written: int = 0
    rpo_s: float | None = None
    rto_s: float | None = None
    error: str | None = None

    @property
    def verified(self) -> bool:
        return bool(self.verification) and all(r["ok"] for r in self.verification)

    @property
    def missed(self) -> dict[str, tuple[float, float]]:
        out = {}
        if self.rpo_s is None or self.rpo_s > self.rpo_target_s:
            out["RPO"] = (self.rpo_s if self.rpo_s is not None else float("inf"), self.rpo_target_s)
        if self.rto_s is None or self.rto_s > self.rto_target_s:
            out["RTO"] = (self.rto_s if self.rto_s is not None else float("inf"), self.rto_target_s)
        return out

    @property
    def ok(self) -> bool:
        return self.error is None and self.verified and not self.missed and not self.leftovers

    def summary_frame(self) -> Any:
        import pandas as pd

        def row(name: str, value: float | None, target: float) -> dict[str, Any]:
            met = value is not None and value <= target
            return {"measure": name, "seconds": None if value is None else round(value, 2), "target_s": target,
                    "met": met}

        return pd.DataFrame([row("RPO", self.rpo_s, self.rpo_target_s), row("RTO", self.rto_s, self.rto_target_s)])

    def require_ok(self) -> None:
        """Raise when the drill failed, did not verify, left something behind, or missed a target."""
        if self.error is not None:
            raise DrillError(f"the drill failed: {self.error}", hint="see the timeline table")
        if not self.verified:
            bad = [str(r["unit"]) for r in self.verification if not r["ok"]] or ["nothing was verified"]
            raise DrillError(f"the restore does not match: {', '.join(bad[:5])}", hint="see the verification table")
        if self.leftovers:
            raise DrillError(f"the drill left things behind: {', '.join(self.leftovers[:5])}",
                             hint="remove them by hand; the cleanup table says what was removed")
        if self.missed:
            raise RecoveryTargetMissedError(self.missed)


class Drill:
    """Runs the timeline of the module docstring over the stores it is given (S3 and documents optional)."""

    def __init__(self, rds: RdsDrill, dr: Any, *, s3: S3Drill | None = None,
                 documents: DocumentsDrill | None = None) -> None:
        self.rds, self.s3, self.documents, self.dr = rds, s3, documents, dr
        self.result = DrillResult(rds.drill_id, float(dr.rpo_target_s), float(dr.rto_target_s))
        self._t0 = time.monotonic()

    def _mark(self, event: str, detail: str = "") -> datetime:
        moment = datetime.now(UTC)
        self.result.timeline.append({"t_s": round(time.monotonic() - self._t0, 3), "at": moment.isoformat(),
                                     "event": event, "detail": detail})
        log.info("drill %s: %s %s", self.rds.drill_id, event, detail)
        return moment

    def run(self) -> DrillResult:
        result = self.result
        self._t0 = time.monotonic()
        try:
            self._run()
        except Exception as error:  # noqa: BLE001 - recorded; cleanup still runs, require_ok() raises
            result.error = f"{type(error).__name__}: {error}"
            self._mark("failed", result.error)
        finally:
            self._cleanup()
        return result

    def _run(self) -> None:
        result, dr = self.result, self.dr
        self._mark("start")
        conn = self.rds.open_heartbeat()
        sinks = [postgres_sink(conn, self.rds.heartbeat_table)]
        if self.s3 is not None:
            self.s3.prepare()
            sinks.append(s3_sink(self.s3.s3, self.s3.bucket, self.s3.heartbeat_key))
        writer = HeartbeatWriter(sinks, interval_s=float(dr.heartbeat_interval_s)).start()
        self._mark("heartbeat started", f"every {dr.heartbeat_interval_s:g} s")
        try:
            time.sleep(float(dr.backup_after_s))
            self._mark("backup started")
            snapshot = self.rds.backup()
            if self.documents is not None:
                self.documents.backup()
            self._mark("backup taken", f"RDS snapshot {snapshot}")
            time.sleep(float(dr.disaster_after_s))
        finally:
            disaster = writer.stop()
        result.beats_written = len(writer.beats)
        self._mark("DISASTER", f"writer stopped after {len(writer.beats)} beats; {len(writer.errors)} failed")
        if self.s3 is not None:
            hit = self.s3.strike(after=disaster)
            self._mark("S3 objects corrupted", f"{hit} objects overwritten or deleted")
        self.rds.restore()
        if self.documents is not None:
            self.documents.restore()
        restored_objects = self.s3.restore(disaster) if self.s3 is not None else 0
        self._mark("restored", f"RDS instance and database; {restored_objects} S3 keys to {disaster.isoformat()}")
        rows, last = self.rds.verify()
        result.verification += [{"store": "rds", **r} for r in rows]
        self._point("rds", last[1] if last else None, last[0] if last else None, disaster)
        if self.documents is not None:
            result.verification += [{"store": "documents", **r} for r in self.documents.verify()]
            result.notes += self.documents.notes
        if self.s3 is not None:
            rows_s3, heartbeat = self.s3.verify()
            result.verification += [{"store": "s3", **r} for r in rows_s3]
            beat = json.loads(heartbeat) if heartbeat else None
            self._point("s3", datetime.fromisoformat(beat["at"]) if beat else None, beat["seq"] if beat else None,
                        disaster)
        verified = self._mark("restored and verified",
                              f"{sum(r['ok'] for r in result.verification)} of {len(result.verification)} units equal")
        result.rto_s = (verified - disaster).total_seconds()
        lags = [p["rpo_s"] for p in result.recovery_points]
        result.rpo_s = None if not lags or any(v is None for v in lags) else max(lags)

    def _point(self, store: str, at: datetime | None, seq: int | None, disaster: datetime) -> None:
        rpo = (disaster - at).total_seconds() if at is not None else None
        self.result.recovery_points.append({"store": store, "last_heartbeat_seq": seq,
                                            "last_heartbeat_at": at.isoformat() if at else None,
                                            "disaster_at": disaster.isoformat(),
                                            "rpo_s": None if rpo is None else round(rpo, 3)})

    def _cleanup(self) -> None:
        result = self.result
        for part in (self.s3, self.documents, self.rds):
            if part is None:
                continue
            try:
                removed = part.cleanup()
                result.cleanup += ([f"{removed} S3 object versions under {part.prefix}"] if isinstance(removed, int)
                                   else removed)
            except Exception as error:  # noqa: BLE001 - reported as leftovers below
                result.notes.append(f"cleanup: {type(error).__name__}: {error}")
            try:
                result.leftovers += part.leftovers()
            except Exception as error:  # noqa: BLE001 - a store we cannot look at is not proven clean
                result.leftovers.append(f"cannot check {type(part).__name__}: {type(error).__name__}")
        self._mark("cleaned up", f"{len(result.cleanup)} removed, {len(result.leftovers)} left behind")
