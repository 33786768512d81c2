"""The run folder on disk: its lock, its record log, and writes the log vouches for before they land.

Why two-phase writes: a file the ledger writes is first written to a temporary file (``.<name>.tmp-…``),
then the record carrying its sha256 is appended and fsynced, and only then is the file renamed into place.
A process killed in between leaves a temporary file; the next writer, under the same lock, completes it when
the chain vouches for its content and deletes it otherwise (:meth:`RunStore.recover`). Outside that window a
temporary file is an extra file like any other, and ``verify`` reports it.

Only this module writes ``ledger.jsonl``, ``manifest.json`` and ``index.html``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.errors import EvidenceError
from runbook_lib.evidence.chain import (
    CHAIN_NAME,
    GENESIS_PREV,
    ChainRecord,
    append_line,
    apply_record,
    read_chain,
    replay_files,
    sha256_bytes,
)
from runbook_lib.evidence.index_html import SealView, render_index
from runbook_lib.evidence.manifest import INDEX_NAME, LOCK_NAME, MANIFEST_NAME, Manifest
from runbook_lib.evidence.signing import (
    PUBLIC_KEY_NAME,
    Signer,
    SigningConfig,
    encode_signature,
    public_key_pem,
    public_key_sha256,
    seal_statement,
)
from runbook_lib.util import TMP_MARK, atomic_write_bytes, sha256_file, utc_now

log = logging.getLogger("runbook_lib.evidence.store")


@dataclass
class Change:
    """One ledger mutation: what the record says (``kind``, ``phase``, ``data``) and the files it writes or moves.

    ``seal``: sign the chain head after this record (phase ends). ``keep_manifest``: the record does not
    rewrite ``manifest.json`` (signature records: the manifest stays the one the signed head vouches for).
    """

    kind: str
    phase: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    writes: dict[str, bytes] = field(default_factory=dict)
    moves: dict[str, str] = field(default_factory=dict)
    seal: bool = False
    keep_manifest: bool = False

    def write(self, relative: str, content: bytes | str) -> None:
        self.writes[relative] = content.encode("utf-8") if isinstance(content, str) else content


def tmp_target(path: Path) -> Path | None:
    """The file a temporary ``.<name>.tmp-…`` would have replaced; ``None`` for other files."""
    name = path.name
    if not name.startswith(".") or TMP_MARK not in name:
        return None
    return path.with_name(name[1 : name.rindex(TMP_MARK)])


def manifest_bytes(manifest: Manifest) -> bytes:
    return (json.dumps(manifest.to_dict(), indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode("utf-8")


class RunStore:
    """The lock, the record log and the two-phase writes of one run folder (shared by threads of one ledger)."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.records: list[ChainRecord] = []
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._handle: Any = None

    # -- locking ------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[bool]:
        """Hold the run's exclusive lock; yields True for the outermost holder (who loads and recovers)."""
        with self._thread_lock:
            self._depth += 1
            try:
                if self._depth == 1:
                    self.run_dir.mkdir(parents=True, exist_ok=True)
                    self._handle = (self.run_dir / LOCK_NAME).open("a")
                    fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX)
                yield self._depth == 1
            finally:
                self._depth -= 1
                if self._depth == 0 and self._handle is not None:
                    fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
                    self._handle.close()
                    self._handle = None

    # -- reading ------------------------------------------------------------------------------------
    def exists(self) -> bool:
        return (self.run_dir / CHAIN_NAME).is_file()

    def load(self) -> None:
        """Read the chain (caller holds the lock); a broken chain stops every further write."""
        reading = read_chain(self.run_dir)
        if reading.problems:
            raise EvidenceError(
                f"the record log of {self.run_dir} is broken: {reading.problems[0]}"
                + (f" (and {len(reading.problems) - 1} more)" if len(reading.problems) > 1 else ""),
                hint=f"run `runbook evidence verify {self.run_dir}`; a tampered run cannot be continued",
            )
        self.records = reading.records

    @property
    def head(self) -> ChainRecord | None:
        return self.records[-1] if self.records else None

    def signing_config(self) -> SigningConfig:
        return SigningConfig.from_record(self.records[0].data.get("signing") if self.records else None)

    def recover(self) -> None:
        """Finish or undo what a killed writer left; refuse a manifest the chain does not vouch for."""
        head = self.head
        if head is None:
            return
        for old, new in head.moved.items():
            src, dst = self.run_dir / old, self.run_dir / new
            if src.is_file() and not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
                log.warning("completed the interrupted move %s -> %s", old, new)
        state = replay_files(self.records)
        for path in sorted(self.run_dir.rglob(f".*{TMP_MARK}*")):
            target = tmp_target(path)
            if target is None or not path.is_file():
                continue
            relative = target.relative_to(self.run_dir).as_posix()
            expected = head.manifest_sha256 if relative == MANIFEST_NAME else state.get(relative)
            current = sha256_file(target) if target.is_file() else None
            if expected is not None and current != expected and sha256_file(path) == expected:
                os.replace(path, target)
                log.warning("completed the interrupted write of %s", relative)
            else:
                path.unlink()
                log.warning("removed the leftover temporary file %s", path.relative_to(self.run_dir))
        manifest = self.run_dir / MANIFEST_NAME
        actual = sha256_file(manifest) if manifest.is_file() else "(missing)"
        if actual != head.manifest_sha256:
            raise EvidenceError(
                f"{manifest} was changed outside the ledger (sha256 {actual[:12]}, the record log says "
                f"{head.manifest_sha256[:12]})",
                hint=f"run `runbook evidence verify {self.run_dir}`; a tampered run cannot be continued",
            )

    # -- writing ------------------------------------------------------------------------------------
    def commit(self, manifest: Manifest | None, change: Change) -> ChainRecord:
        """Append one record for ``change`` and put its files (and the manifest) in place."""
        head = self.head
        state = replay_files(self.records)
        files = {relative: sha256_bytes(data) for relative, data in change.writes.items()}
        after = dict(state)
        apply_record(after, change.moves, {})
        # A rewrite of a path the chain already knows says so: the hash it had before.
        replaced = {p: after[p] for p in files if p in after and after[p] != files[p]}
        after.update(files)
        staged: list[tuple[Path, str]] = []
        try:
            for relative, data in change.writes.items():
                staged.append((self.run_dir / relative, _write_tmp(self.run_dir / relative, data)))
            if change.keep_manifest or manifest is None:
                if head is None:
                    raise EvidenceError("the first record of a run must write its manifest")
                manifest_sha = head.manifest_sha256
            else:
                manifest.updated_at = utc_now()
                manifest.hashes = dict(sorted(after.items()))
                text = manifest_bytes(manifest)
                manifest_sha = sha256_bytes(text)
                staged.append((self.run_dir / MANIFEST_NAME, _write_tmp(self.run_dir / MANIFEST_NAME, text)))
            record = ChainRecord(
                seq=len(self.records),
                prev=head.sha256 if head else GENESIS_PREV,
                at=utc_now(),
                kind=change.kind,
                phase=change.phase,
                data=change.data,
                files=files,
                replaced=replaced,
                moved=dict(change.moves),
                manifest_sha256=manifest_sha,
            )
            line = record.line()
            append_line(self.run_dir, line)
        except BaseException:
            for _, tmp in staged:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            raise
        record = dataclasses.replace(record, sha256=sha256_bytes(line))
        self.records.append(record)
        for old, new in change.moves.items():
            dst = self.run_dir / new
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.run_dir / old, dst)
        for target, tmp in staged:
            os.replace(tmp, target)
        return record

    def write_index(self, manifest: Manifest, view: SealView) -> bytes:
        data = render_index(manifest, view).encode("utf-8")
        atomic_write_bytes(self.run_dir / INDEX_NAME, data)
        return data

    def seal_view(self) -> SealView:
        """What the index says about signatures when the head is not being sealed right now."""
        config = self.signing_config()
        if config.mode == "none":
            return SealView(status="unsigned", mode=config.describe())
        last = next((r for r in reversed(self.records) if r.kind == "signature"), None)
        tail = len(self.records) - (last.seq + 1 if last else 0)
        if last is None:
            return SealView(status="unsealed", mode=config.describe(), unsigned_records=tail)
        data = last.data
        return SealView(
            status="signed" if tail == 0 else "unsealed",
            mode=config.describe(),
            head_sha256=str(data.get("head_sha256")),
            seq=int(data.get("signed_seq", -1)),
            algorithm=str(data.get("algorithm")),
            key_id=str(data.get("key_id")),
            public_key_sha256=str(data.get("public_key_sha256")),
            unsigned_records=tail,
        )

    def seal(self, manifest: Manifest, run_id: str, signer: Signer) -> ChainRecord:
        """Sign the chain head: public key record (first time), the index, then the ``signature`` record."""
        der = signer.public_key_der()
        fingerprint = public_key_sha256(der)
        pem = public_key_pem(der)
        recorded = replay_files(self.records).get(PUBLIC_KEY_NAME)
        if recorded is None:
            change = Change("public_key", data={"public_key_sha256": fingerprint, "key_id": signer.key_id})
            change.write(PUBLIC_KEY_NAME, pem)
            self.commit(manifest, change)
        elif recorded != sha256_bytes(pem):
            raise EvidenceError(
                f"run {run_id} was signed with another key (its {PUBLIC_KEY_NAME} differs from {signer.key_id})",
                hint="sign a run with one key from start to end: restore the key it started with, or start a new run",
            )
        head = self.records[-1]
        view = SealView(
            status="signed",
            mode=self.signing_config().describe(),
            head_sha256=head.sha256,
            seq=head.seq,
            algorithm=signer.algorithm,
            key_id=signer.key_id,
            public_key_sha256=fingerprint,
        )
        index = self.write_index(manifest, view)
        statement = {
            "run_id": run_id,
            "seq": head.seq,
            "head_sha256": head.sha256,
            "index_sha256": sha256_bytes(index),
            "public_key_sha256": fingerprint,
            "algorithm": signer.algorithm,
        }
        try:
            signature = signer.sign(seal_statement(**statement))
        except Exception as error:
            failed = dataclasses.replace(view, status="signing-failed", error=str(error))
            self.write_index(manifest, failed)
            raise
        data = {
            "signed_seq": head.seq,
            "head_sha256": head.sha256,
            "index_sha256": statement["index_sha256"],
            "public_key_sha256": fingerprint,
            "algorithm": signer.algorithm,
            "key_id": signer.key_id,
            "signature": encode_signature(signature),
        }
        return self.commit(None, Change("signature", data=data, keep_manifest=True))


def _write_tmp(target: Path, data: bytes) -> str:
    """Write ``data`` beside ``target`` as ``.<name>.tmp-…`` and fsync; the caller renames it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}{TMP_MARK}", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp
