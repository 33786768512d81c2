"""Is a run folder what the ledger wrote? Every recorded hash, every listed file, no extra file; and the list
of run folders for ``runbook evidence list``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.evidence.manifest import (
    MANIFEST_NAME,
    Manifest,
    hash_run_folder,
    jsonable,
)
from runbook_lib.util import sha256_file

log = logging.getLogger("runbook_lib.evidence.integrity")


# --------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HashMismatch:
    path: str
    expected: str
    actual: str


@dataclass
class IntegrityReport:
    """Outcome of :func:`verify_evidence`; ``ok`` only when every list is empty."""

    run_dir: str
    run_id: str | None = None
    checked: int = 0
    mismatched: list[HashMismatch] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.mismatched or self.missing or self.unrecorded or self.errors)

    def to_dict(self) -> dict[str, Any]:
        data = jsonable(self)
        data["ok"] = self.ok
        return data


def verify_evidence(run_dir: str | Path) -> IntegrityReport:
    """Check a run folder against its manifest: every recorded hash, every listed file, no extra files."""
    run_dir = Path(run_dir)
    report = IntegrityReport(run_dir=str(run_dir))
    manifest_path = run_dir / MANIFEST_NAME
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest = Manifest.from_dict(data)
    except FileNotFoundError:
        report.errors.append(f"{manifest_path} is missing")
        return report
    except (ValueError, TypeError) as error:
        report.errors.append(f"{manifest_path} is unreadable: {error}")
        return report
    report.run_id = manifest.run_id
    for relative, expected in sorted(manifest.hashes.items()):
        path = run_dir / relative
        if not path.is_file():
            report.missing.append(relative)
            continue
        report.checked += 1
        actual = sha256_file(path)
        if actual != expected:
            report.mismatched.append(HashMismatch(relative, expected, actual))
    listed = {p for record in manifest.phases.values() for p in record.files()}
    for relative in sorted(listed):
        if not (run_dir / relative).is_file() and relative not in report.missing:
            report.missing.append(relative)
        elif relative not in manifest.hashes and (run_dir / relative).is_file():
            report.unrecorded.append(relative)
    for relative in hash_run_folder(run_dir):
        if relative not in manifest.hashes and relative not in report.unrecorded:
            report.unrecorded.append(relative)
    return report


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
