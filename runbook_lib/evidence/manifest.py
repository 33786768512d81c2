"""The run folder's manifest: what was recorded per phase (plans, gates, tables, charts, notebooks),
the file names of a run folder, and the sha256 of every file in it.

The manifest is the readable summary; the record log (``chain``) is what it is checked against: its
``hashes`` are the chain's replayed file state, and its own sha256 is in every record.

Why apart from the ledger: the ledger writes manifests, ``integrity`` and ``index_html`` only read them.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from runbook_lib.errors import CommandError
from runbook_lib.paths import project_root
from runbook_lib.process import run_command

log = logging.getLogger("runbook_lib.evidence.manifest")

MANIFEST_NAME = "manifest.json"
INDEX_NAME = "index.html"
LOCK_NAME = ".ledger.lock"
SCHEMA_VERSION = 1
#: Verification tables keep at most this many records in the manifest (the CSV has them all).
MAX_TABLE_RECORDS = 1000

PhaseStatus = Literal["pending", "running", "succeeded", "failed", "skipped"]
PHASE_STATUSES: tuple[str, ...] = ("pending", "running", "succeeded", "failed", "skipped")
FINAL_STATUSES: tuple[str, ...] = ("succeeded", "failed", "skipped")

RUN_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def git_commit(cwd: Path | None = None) -> str:
    """``git rev-parse HEAD`` in ``cwd`` (default: the project); ``"unknown"`` outside git or without it."""
    try:
        result = run_command(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd or project_root(),
            check=False,
            timeout=30,
            logger_name="runbook_lib.evidence.ledger",
        )
    except (OSError, CommandError):  # no git binary, or it timed out: evidence still gets written
        return "unknown"
    return result.stdout.strip() if result.ok and result.stdout.strip() else "unknown"


def slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return slug or "unnamed"


def jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


# --------------------------------------------------------------------------------------------
# Manifest records
# --------------------------------------------------------------------------------------------
@dataclass
class PlanRecord:
    """A reviewed Terraform plan: where it was, its sha256, and a summary (counts by action)."""

    path: str
    sha256: str
    stack: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    recorded_at: str = ""


@dataclass
class TableRecord:
    """A verification table: the CSV file plus (up to :data:`MAX_TABLE_RECORDS`) its rows as records."""

    name: str
    file: str
    rows: int
    columns: list[str]
    records: list[dict[str, Any]]
    truncated: bool = False


@dataclass
class ChartRecord:
    name: str
    file: str


@dataclass
class FileRecord:
    """A file a phase produced and keeps as evidence (a build artefact, a log), redacted if it is text."""

    name: str
    file: str
    bytes: int
    sha256: str


@dataclass
class PhaseRecord:
    """Everything the ledger knows about one phase (one notebook)."""

    name: str
    status: str = "pending"
    started_at: str | None = None
    ended_at: str | None = None
    error: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    plan_sha256: str | None = None
    plans: list[PlanRecord] = field(default_factory=list)
    applies: list[dict[str, Any]] = field(default_factory=list)
    gates: list[dict[str, Any]] = field(default_factory=list)
    tables: list[TableRecord] = field(default_factory=list)
    charts: list[ChartRecord] = field(default_factory=list)
    files_kept: list[FileRecord] = field(default_factory=list)
    notebook: str | None = None
    html: str | None = None
    redactions: int = 0
    attempts: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PhaseRecord:
        values = dict(data)
        values["plans"] = [PlanRecord(**p) for p in values.get("plans", [])]
        values["tables"] = [TableRecord(**t) for t in values.get("tables", [])]
        values["charts"] = [ChartRecord(**c) for c in values.get("charts", [])]
        values["files_kept"] = [FileRecord(**f) for f in values.get("files_kept", [])]
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def files(self) -> list[str]:
        """Run-relative paths of every file this record (and its archived attempts) points at."""
        paths = [self.notebook, self.html, *(t.file for t in self.tables), *(c.file for c in self.charts),
                 *(f.file for f in self.files_kept)]
        for attempt in self.attempts:
            paths.extend([attempt.get("notebook"), attempt.get("html")])
            paths.extend(t.get("file") for t in attempt.get("tables", []))
            paths.extend(c.get("file") for c in attempt.get("charts", []))
        return [p for p in paths if p]


@dataclass
class Manifest:
    """The content of ``manifest.json``."""

    run_id: str
    schema_version: int = SCHEMA_VERSION
    created_at: str = ""
    updated_at: str = ""
    git_commit: str = "unknown"
    code_fingerprint: dict[str, Any] = field(default_factory=dict)
    env: str | None = None
    params_hash: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    params_file: str | None = None
    html_export: bool = True
    selected_phases: list[str] = field(default_factory=list)
    current_phase: str | None = None
    phases: dict[str, PhaseRecord] = field(default_factory=dict)
    signing: dict[str, Any] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        values = dict(data)
        values["phases"] = {k: PhaseRecord.from_dict(v) for k, v in values.get("phases", {}).items()}
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return jsonable(self)
