"""The run's record log, ``ledger.jsonl``: one line per ledger mutation, each chained to the one before.

Why a chain and not a list of hashes: every record carries the sha256 of the previous record's line, the
sha256 of every file it wrote (hashed once, from the bytes the ledger wrote, never re-read from disk), and
the sha256 of the ``manifest.json`` written with it. Changing, removing or re-ordering any record breaks
the link after it; changing a file breaks its recorded hash; and the last record's hash - the chain head -
covers everything before it, so signing that one digest signs the run (``signing``).

A record is canonical JSON (sorted keys, no spaces, UTF-8) on one line; its hash is the sha256 of exactly
those bytes. The file state of a run is the replay of the records: moves first, then the files written.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CHAIN_NAME = "ledger.jsonl"
CHAIN_FORMAT = "runbook-evidence-chain/1"
GENESIS_PREV = "0" * 64

#: What a record says happened; ``signature`` records seal the record before them (see ``signing``).
RECORD_KINDS: tuple[str, ...] = (
    "run_created",
    "phase_started",
    "phase_finished",
    "phases_skipped",
    "plan",
    "apply",
    "gate",
    "table",
    "chart",
    "file",
    "notebook",
    "public_key",
    "signature",
)


def canonical_json(value: Any) -> bytes:
    """The one serialisation a record is hashed in: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ChainRecord:
    """One line of ``ledger.jsonl``; ``sha256`` is the hash of the line itself (not stored in it)."""

    seq: int
    prev: str
    at: str
    kind: str
    phase: str | None
    data: dict[str, Any]
    files: dict[str, str]
    replaced: dict[str, str]
    moved: dict[str, str]
    manifest_sha256: str
    sha256: str = field(default="", compare=False)

    def body(self) -> dict[str, Any]:
        """Every field but ``sha256``: the line that hash is taken of cannot hold it."""
        body = asdict(self)
        del body["sha256"]
        return body

    def line(self) -> bytes:
        return canonical_json(self.body())

    @classmethod
    def from_line(cls, raw: bytes) -> ChainRecord:
        """Parse one line; raises ValueError/TypeError/KeyError on anything that is not a record."""
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        for name in ("data", "files", "replaced", "moved"):
            if not isinstance(data[name], dict):
                raise TypeError(f"{name} is not an object")
        return cls(
            seq=int(data["seq"]),
            prev=str(data["prev"]),
            at=str(data["at"]),
            kind=str(data["kind"]),
            phase=data["phase"],
            data=data["data"],
            files={str(k): str(v) for k, v in data["files"].items()},
            replaced={str(k): str(v) for k, v in data["replaced"].items()},
            moved={str(k): str(v) for k, v in data["moved"].items()},
            manifest_sha256=str(data["manifest_sha256"]),
            sha256=sha256_bytes(raw),
        )


@dataclass
class ChainReading:
    """What :func:`read_chain` found: the records it could parse, in order, and every problem with the links."""

    records: list[ChainRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def head(self) -> ChainRecord | None:
        return self.records[-1] if self.records else None


def read_chain(run_dir: Path) -> ChainReading:
    """Read ``ledger.jsonl`` and check every link (sequence numbers, previous hashes, known kinds).

    Never raises for a broken chain: the problems are listed so ``verify`` can report all of them.
    """
    reading = ChainReading()
    path = run_dir / CHAIN_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        reading.problems.append(f"{CHAIN_NAME} is missing: the folder has no record log")
        return reading
    if raw and not raw.endswith(b"\n"):
        reading.problems.append(f"{CHAIN_NAME} does not end with a newline (a write was cut short or it was edited)")
    prev = GENESIS_PREV
    for number, line in enumerate(raw.splitlines(), start=1):
        try:
            record = ChainRecord.from_line(line)
        except (ValueError, TypeError, KeyError) as error:
            reading.problems.append(f"{CHAIN_NAME} line {number} is not a record: {error}")
            prev = sha256_bytes(line)
            continue
        if record.seq != number - 1:
            reading.problems.append(f"record on line {number} has seq {record.seq}, expected {number - 1}")
        if record.prev != prev:
            reading.problems.append(
                f"record {record.seq} does not follow the record before it "
                f"(prev {record.prev[:12]}, the line before hashes to {prev[:12]}): a record was removed, "
                "inserted or changed"
            )
        if record.kind not in RECORD_KINDS:
            reading.problems.append(f"record {record.seq} has unknown kind {record.kind!r}")
        if line != record.line():
            reading.problems.append(f"record {record.seq} is not in canonical form (it was rewritten by hand)")
        reading.records.append(record)
        prev = record.sha256
    if not reading.records and not reading.problems:
        reading.problems.append(f"{CHAIN_NAME} has no records")
    elif reading.records and reading.records[0].kind != "run_created":
        reading.problems.append(f"the first record is {reading.records[0].kind!r}, not 'run_created'")
    return reading


def replay_files(records: list[ChainRecord]) -> dict[str, str]:
    """The run folder's files as the chain says they are: path -> sha256 (moves first, then writes)."""
    state: dict[str, str] = {}
    for record in records:
        apply_record(state, record.moved, record.files)
    return state


def apply_record(state: dict[str, str], moved: dict[str, str], files: dict[str, str]) -> None:
    for old, new in moved.items():
        if old in state:
            state[new] = state.pop(old)
    state.update(files)


def append_line(run_dir: Path, line: bytes) -> None:
    """Append one record and fsync: the record is on disk before the files it vouches for are renamed in."""
    with open(run_dir / CHAIN_NAME, "ab") as handle:
        handle.write(line + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
