"""Is a run folder what the ledger wrote and signed? And the list of run folders for ``runbook evidence list``.

:func:`verify_evidence` checks, in order: the record log (every record follows the one before it); the
manifest (its sha256 is the one the chain head vouches for, its file list and hashes are the chain's, its
phase statuses, gates and plans are the ones the records say); every file (the hash recorded when it was
written; nothing missing, nothing extra - a temporary ``.x.tmp-*`` file included - and a renamed file
named as such); the signatures (each seals the record before it, the last seals the head, the
``index.html`` is the one signed) against a key pinned from outside the folder; and, when given, the
digest from the change ticket.

Trust model, plainly: the hashes and the chain prove the folder was not changed *after* a signature; the
signature proves *who* sealed it. Whoever can write the folder can also replace its public key and sign
with their own key, so the verifier never trusts the key it finds there: the expected key comes from
outside (the key file or KMS key the params name, a public key file or its sha256 given on the command
line), or the run is pinned by the digest the operator pasted into the change ticket (the digest covers the
public key's fingerprint too). Without either, verify reports the signature as ``unpinned`` and fails.
What no check here can catch: someone holding the signing key (or ``kms:Sign`` on it) can sign anything;
and records written after the last signature (a phase still running or killed) are not yet sealed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.evidence.chain import CHAIN_NAME, ChainRecord, read_chain, replay_files, sha256_bytes
from runbook_lib.evidence.manifest import INDEX_NAME, LOCK_NAME, MANIFEST_NAME, Manifest, jsonable
from runbook_lib.evidence.signing import (
    PUBLIC_KEY_NAME,
    SigningConfig,
    TrustAnchor,
    decode_signature,
    public_key_der,
    public_key_sha256,
    seal_statement,
    signature_is_valid,
)
from runbook_lib.util import sha256_file

log = logging.getLogger("runbook_lib.evidence.integrity")

#: Files of a run folder that are not in the chain's file state: the log itself, the manifest (its hash is
#: in every record), the index (its hash is in the signed statement) and the (empty) lock file.
LEDGER_FILES = frozenset({CHAIN_NAME, MANIFEST_NAME, INDEX_NAME, LOCK_NAME})
SIGNATURE_STATUSES = ("valid", "invalid", "wrong-key", "unpinned", "unsigned", "missing")


# --------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HashMismatch:
    path: str
    expected: str
    actual: str


@dataclass(frozen=True)
class Renamed:
    """A file missing at the path the chain records, whose exact content is now at ``now``."""

    path: str
    now: str


@dataclass
class IntegrityReport:
    """Outcome of :func:`verify_evidence`; ``ok`` only when every list is empty and the signature is valid.

    ``digest`` is the signed chain head sha256 (what goes into the change ticket); ``signature`` one of
    :data:`SIGNATURE_STATUSES`; ``trust`` where the expected key came from; ``unsigned_records`` how many
    records follow the last signature.
    """

    run_dir: str
    run_id: str | None = None
    checked: int = 0
    mismatched: list[HashMismatch] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    renamed: list[Renamed] = field(default_factory=list)
    records: int = 0
    digest: str | None = None
    signed_seq: int | None = None
    signature: str = "missing"
    signer: str | None = None
    public_key_sha256: str | None = None
    trust: str | None = None
    unsigned_records: int = 0
    unsigned_allowed: bool = False

    @property
    def ok(self) -> bool:
        files_ok = not (self.mismatched or self.missing or self.unrecorded or self.renamed or self.errors)
        signed = self.signature == "valid" or (self.signature == "unsigned" and self.unsigned_allowed)
        return files_ok and signed and self.records > 0

    def to_dict(self) -> dict[str, Any]:
        data = jsonable(self)
        data["ok"] = self.ok
        return data


def verify_evidence(
    run_dir: str | Path,
    *,
    trust: TrustAnchor | None = None,
    expect_digest: str | None = None,
    allow_unsigned: bool = False,
    lock_timeout: float = 30.0,
) -> IntegrityReport:
    """Check a run folder against its record log and its signatures (see the module docstring).

    Args:
        run_dir: the run folder.
        trust: the key the run must be signed with (see :class:`~runbook_lib.evidence.signing.TrustAnchor`).
        expect_digest: the signed digest from the change ticket (``sha256:`` prefix optional).
        allow_unsigned: accept a run whose signing mode was ``none`` (sandbox only) when all else matches.
        lock_timeout: seconds to wait for a writer to finish; verify reads under the ledger's lock, so a
            temporary file seen here is a leftover of a killed writer, never a write in flight.
    """
    run_dir = Path(run_dir)
    report = IntegrityReport(run_dir=str(run_dir), unsigned_allowed=allow_unsigned)
    with _shared_lock(run_dir, lock_timeout, report):
        reading = read_chain(run_dir)
        report.errors.extend(reading.problems)
        report.records = len(reading.records)
        if not reading.records:
            return report
        records = reading.records
        report.run_id = str(records[0].data.get("run_id"))
        if report.run_id != run_dir.name:
            report.errors.append(f"the folder is named {run_dir.name!r} but its records are of run {report.run_id!r}")
        state = replay_files(records)
        _check_manifest(run_dir, records, state, report)
        _check_files(run_dir, state, report)
        _check_signatures(run_dir, records, report, trust)
        if expect_digest is not None:
            expected = expect_digest.strip().lower().removeprefix("sha256:")
            if report.digest != expected:
                report.errors.append(
                    f"the signed digest is {report.digest}, the change ticket says {expected}: "
                    "this is not the evidence that was signed off"
                )
            elif report.signature == "unpinned":
                report.signature = "valid"
                report.trust = "the digest from the change ticket"
                report.errors = [e for e in report.errors if not e.startswith("no trust anchor")]
    return report


@contextlib.contextmanager
def _shared_lock(run_dir: Path, timeout: float, report: IntegrityReport) -> Iterator[None]:
    """Wait for the ledger's writers (they hold the lock exclusively) so no write is seen half-done."""
    lock = run_dir / LOCK_NAME
    if not lock.is_file():
        yield
        return
    with lock.open("rb") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    report.errors.append(f"a writer held the ledger lock for over {timeout:.0f}s; verify when idle")
                    yield
                    return
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _check_manifest(run_dir: Path, records: list[ChainRecord], state: dict[str, str], report: IntegrityReport) -> None:
    path = run_dir / MANIFEST_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        report.errors.append(f"{MANIFEST_NAME} is missing")
        return
    head = records[-1]
    if sha256_bytes(raw) != head.manifest_sha256:
        report.errors.append(
            f"{MANIFEST_NAME} is not the one the chain head vouches for (sha256 {sha256_bytes(raw)[:12]}, "
            f"record {head.seq} says {head.manifest_sha256[:12]}): it was edited"
        )
    try:
        manifest = Manifest.from_dict(json.loads(raw.decode("utf-8")))
    except (ValueError, TypeError, AttributeError) as error:
        report.errors.append(f"{MANIFEST_NAME} is unreadable: {error}")
        return
    if manifest.run_id != report.run_id:
        report.errors.append(f"{MANIFEST_NAME} is of run {manifest.run_id!r}, the records of {report.run_id!r}")
    if manifest.hashes != state:
        differ = sorted(set(manifest.hashes.items()) ^ set(state.items()))
        report.errors.append(
            f"{MANIFEST_NAME} lists other files or hashes than the record log: {', '.join(p for p, _ in differ[:5])}"
        )
    for relative in sorted({p for record in manifest.phases.values() for p in record.files()} - set(state)):
        report.errors.append(f"{MANIFEST_NAME} points at {relative}, which no record wrote")
    for problem in _compare_phases(records, manifest):
        report.errors.append(f"{MANIFEST_NAME} disagrees with the record log: {problem}")


def _compare_phases(records: list[ChainRecord], manifest: Manifest) -> list[str]:
    """Replay statuses, gate decisions and plan hashes from the records and compare them with the manifest."""
    phases: dict[str, dict[str, Any]] = {}

    def fresh(status: str, started: bool) -> dict[str, Any]:
        return {"status": status, "gates": [], "plans": [], "started": started}

    for record in records:
        data, name = record.data, record.phase
        if record.kind == "run_created":
            selected = set(data.get("selected_phases") or [])
            for phase in data.get("phases") or []:
                phases[phase] = fresh("pending" if phase in selected else "skipped", False)
        elif record.kind == "phases_skipped":
            for phase in data.get("phases") or []:
                phases.setdefault(phase, fresh("pending", False))["status"] = "skipped"
        elif name is None:
            continue
        elif record.kind == "phase_started":
            known = phases.get(name)
            phases[name] = known if known and not known["started"] else fresh("running", True)
            phases[name].update(status="running", started=True)
        elif record.kind in ("phase_finished", "gate", "plan", "apply", "table", "chart", "file", "notebook"):
            phase = phases.setdefault(name, fresh("running", True))
            if record.kind == "phase_finished":
                phase["status"] = data.get("status")
            elif record.kind == "gate":
                phase["gates"].append(data)
            elif record.kind == "plan":
                phase["plans"].append(data.get("sha256"))
    problems = []
    for name in sorted(set(phases) | set(manifest.phases)):
        replayed, listed = phases.get(name), manifest.phases.get(name)
        if replayed is None or listed is None:
            problems.append(f"phase {name} is {'only in the manifest' if replayed is None else 'missing'}")
            continue
        if listed.status != replayed["status"]:
            problems.append(f"phase {name} is {listed.status}, the records say {replayed['status']}")
        if jsonable(listed.gates) != replayed["gates"]:
            problems.append(f"the gate decisions of phase {name} differ from the recorded ones")
        if [p.sha256 for p in listed.plans] != replayed["plans"]:
            problems.append(f"the plan hashes of phase {name} differ from the recorded ones")
    return problems


def _check_files(run_dir: Path, state: dict[str, str], report: IntegrityReport) -> None:
    for relative, expected in sorted(state.items()):
        path = run_dir / relative
        if not path.is_file():
            report.missing.append(relative)
            continue
        report.checked += 1
        actual = sha256_file(path)
        if actual != expected:
            report.mismatched.append(HashMismatch(relative, expected, actual))
    extra: dict[str, str] = {}
    for path in sorted(run_dir.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        relative = path.relative_to(run_dir).as_posix()
        if relative in state:
            continue
        if relative in LEDGER_FILES and not path.is_symlink():
            if relative != LOCK_NAME or path.stat().st_size == 0:
                continue
        extra[relative] = sha256_file(path) if path.is_file() else ""
    by_content = {digest: relative for relative, digest in extra.items() if digest}
    for relative in list(report.missing):
        now = by_content.get(state[relative])
        if now is not None and now in extra:
            report.renamed.append(Renamed(relative, now))
            report.missing.remove(relative)
            extra.pop(now)
    report.unrecorded.extend(sorted(extra))


def _check_signatures(
    run_dir: Path, records: list[ChainRecord], report: IntegrityReport, trust: TrustAnchor | None
) -> None:
    config = SigningConfig.from_record(records[0].data.get("signing"))
    seals = [r for r in records if r.kind == "signature"]
    if not seals:
        report.unsigned_records = len(records)
        if config.mode == "none":
            report.signature = "unsigned"
            if not report.unsigned_allowed:
                report.errors.append("the run is not signed (evidence.signing.mode none, sandbox only)")
        else:
            report.errors.append(f"no phase end has been signed yet ({config.describe()})")
        return
    last = seals[-1]
    report.unsigned_records = len(records) - (last.seq + 1)
    if report.unsigned_records:
        report.errors.append(
            f"{report.unsigned_records} record(s) after the last signature (record {last.seq}) are not sealed: "
            "a phase is running or was interrupted (resume the run: the next phase end signs them)"
        )
    report.digest = str(last.data.get("head_sha256"))
    report.signed_seq = last.data.get("signed_seq")
    report.signer = f"{last.data.get('algorithm')} {last.data.get('key_id')}"
    try:
        folder_der = public_key_der((run_dir / PUBLIC_KEY_NAME).read_bytes())
    except (OSError, ValueError) as error:
        report.errors.append(f"{PUBLIC_KEY_NAME} is unreadable: {error}")
        report.signature = "invalid"
        return
    fingerprint = public_key_sha256(folder_der)
    report.public_key_sha256 = fingerprint
    der = folder_der
    if trust is not None:
        report.trust = trust.source
        if trust.fingerprint != fingerprint:
            report.signature = "wrong-key"
            report.errors.append(
                f"the run was signed with public key sha256 {fingerprint}, but the trusted key ({trust.source}) "
                f"is sha256 {trust.fingerprint}"
            )
            return
        der = trust.pinned_der() or folder_der
    index = run_dir / INDEX_NAME
    index_sha = sha256_file(index) if index.is_file() else None
    valid = True
    for seal in seals:
        problem = _seal_problem(seal, records, fingerprint, report.run_id or "", der)
        if problem:
            valid = False
            report.errors.append(f"signature record {seal.seq}: {problem}")
    if last.data.get("index_sha256") != index_sha:
        report.errors.append(f"{INDEX_NAME} is not the page that was signed with record {last.seq}")
    if valid and trust is not None and trust.kms is not None:
        message = _statement(last, report.run_id or "")
        if not trust.kms.verify(message, decode_signature(last.data.get("signature"))):
            valid = False
            report.errors.append(f"KMS Verify with {trust.kms.requested_key_id} rejects the last signature")
    if not valid:
        report.signature = "invalid"
    elif trust is None:
        report.signature = "unpinned"
        report.errors.append(
            "no trust anchor: the signatures match the public key inside the folder, which whoever wrote the "
            "folder could have replaced; give the expected key (params, --public-key, --public-key-sha256) "
            "or the digest from the change ticket (--expect-digest)"
        )
    else:
        report.signature = "valid"


def _statement(seal: ChainRecord, run_id: str) -> bytes:
    data = seal.data
    return seal_statement(
        run_id=run_id,
        seq=int(data.get("signed_seq", -1)),
        head_sha256=str(data.get("head_sha256")),
        index_sha256=str(data.get("index_sha256")),
        public_key_sha256=str(data.get("public_key_sha256")),
        algorithm=str(data.get("algorithm")),
    )


def _seal_problem(seal: ChainRecord, records: list[ChainRecord], fingerprint: str, run_id: str, der: bytes) -> str:
    """Why one ``signature`` record does not seal the record before it ('' when it does)."""
    data = seal.data
    before = records[seal.seq - 1] if seal.seq > 0 else None
    if before is None or data.get("signed_seq") != before.seq or data.get("head_sha256") != before.sha256:
        return "it does not seal the record before it"
    if seal.files or seal.moved or seal.manifest_sha256 != before.manifest_sha256:
        return "it changes files or the manifest"
    if data.get("public_key_sha256") != fingerprint:
        return f"it names public key sha256 {data.get('public_key_sha256')}, the folder's key is {fingerprint}"
    try:
        signature = decode_signature(data.get("signature"))
    except ValueError as error:
        return f"its signature is not base64: {error}"
    if not signature_is_valid(der, str(data.get("algorithm")), _statement(seal, run_id), signature):
        return "the signature does not match the sealed statement and key"
    return ""


# --------------------------------------------------------------------------------------------
# Listing
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunSummary:
    """One line of ``runbook evidence list``."""

    run_id: str
    env: str | None
    created_at: str
    git_commit: str
    statuses: dict[str, int]
    path: str


def list_runs(outputs_dir: str | Path) -> list[RunSummary]:
    """Every run folder under ``outputs_dir`` with a readable manifest, newest first."""
    runs = []
    root = Path(outputs_dir)
    if not root.is_dir():
        return []
    for manifest_path in root.glob(f"*/{MANIFEST_NAME}"):
        try:
            manifest = Manifest.from_dict(json.loads(manifest_path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as error:
            log.warning("skipping %s: %s", manifest_path, error)
            continue
        counts: dict[str, int] = {}
        for record in manifest.phases.values():
            counts[record.status] = counts.get(record.status, 0) + 1
        runs.append(
            RunSummary(
                run_id=manifest.run_id,
                env=manifest.env,
                created_at=manifest.created_at,
                git_commit=manifest.git_commit,
                statuses=counts,
                path=str(manifest_path.parent),
            )
        )
    return sorted(runs, key=lambda r: (r.created_at, r.run_id), reverse=True)
