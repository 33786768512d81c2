"""The evidence ledger: one folder per run that shows what was done, by whom, with which inputs.

Why a ledger and not just executed notebooks: an auditor (or the operator the
morning after) needs one place that says which parameters and code ran, which
plan was reviewed (its sha256), who approved each gate, what the verification
tables showed, and that none of it was edited afterwards. ``outputs/<run-id>/``
holds the executed notebooks (redacted), their HTML, tables as CSV, charts as
PNG, ``index.html`` to browse it, and ``manifest.json`` which lists all of that
plus the sha256 of every file in the folder.

Every mutation re-reads the manifest from disk under a file lock, changes it
and writes it back atomically (temporary file + rename), together with a fresh
``index.html`` and fresh hashes. That is what lets two processes share one run
- the runner, and the notebook kernel papermill starts, which reopens the run
with :meth:`EvidenceLedger.open` - and what leaves usable evidence behind when
a phase fails half-way.

What the hashes prove: that files were not changed after the ledger last wrote
them. They do not prove the manifest itself is genuine (it is not signed).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import html
import io
import json
import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from runbook_lib import redact
from runbook_lib.errors import CommandError, EvidenceError, ParamsError
from runbook_lib.paths import project_root
from runbook_lib.process import run_command
from runbook_lib.util import TMP_MARK, atomic_write_bytes, atomic_write_text, sha256_file, utc_now

log = logging.getLogger("runbook_lib.evidence.ledger")

MANIFEST_NAME = "manifest.json"
INDEX_NAME = "index.html"
LOCK_NAME = ".ledger.lock"
SCHEMA_VERSION = 1
#: Verification tables keep at most this many records in the manifest (the CSV has them all).
MAX_TABLE_RECORDS = 1000

PhaseStatus = Literal["pending", "running", "succeeded", "failed", "skipped"]
PHASE_STATUSES: tuple[str, ...] = ("pending", "running", "succeeded", "failed", "skipped")
FINAL_STATUSES: tuple[str, ...] = ("succeeded", "failed", "skipped")

_RUN_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")




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




def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return slug or "unnamed"


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
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
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def files(self) -> list[str]:
        """Run-relative paths of every file this record (and its archived attempts) points at."""
        paths = [self.notebook, self.html, *(t.file for t in self.tables), *(c.file for c in self.charts)]
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
    hashes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        values = dict(data)
        values["phases"] = {k: PhaseRecord.from_dict(v) for k, v in values.get("phases", {}).items()}
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(self)


# --------------------------------------------------------------------------------------------
# The ledger
# --------------------------------------------------------------------------------------------
class EvidenceLedger:
    """Records one run's evidence in ``<outputs_dir>/<run_id>/``.

    Creating a ledger for a run that already has a manifest reopens it (the runner does this on
    ``--resume``; a notebook kernel uses :meth:`open`).

    Args:
        run_id: the run's name; letters, digits, ``.``, ``_`` and ``-``.
        outputs_dir: the folder holding run folders (``evidence.outputs_dir``).
        params: the validated parameters (hash and redacted copy go into the manifest) - new runs only.
        phases: every known phase name, in order; ``pending``, or ``skipped`` when not in ``selected``.
        selected: the phases this run will execute (default: all of ``phases``).
        code_fingerprint: what the runner uses to refuse resuming with changed code.
        html_export: export each notebook to HTML with nbconvert (default: ``params.evidence.html_export``).
        params_file: the params file the run used.
        repo_dir: where ``git rev-parse HEAD`` runs.
    """

    def __init__(
        self,
        run_id: str,
        outputs_dir: str | Path,
        *,
        params: Any | None = None,
        phases: list[str] | None = None,
        selected: list[str] | None = None,
        code_fingerprint: Mapping[str, Any] | None = None,
        html_export: bool | None = None,
        params_file: str | Path | None = None,
        repo_dir: Path | None = None,
    ) -> None:
        if not _RUN_ID_RE.fullmatch(run_id):
            raise ParamsError(
                "run_id", run_id, "letters, digits, '.', '_' and '-' (max 128), not starting with '.'"
            )
        self.run_id = run_id
        self.outputs_dir = Path(outputs_dir)
        self.run_dir = self.outputs_dir / run_id
        self._thread_lock = threading.RLock()
        self._lock_depth = 0
        self._lock_handle: Any = None
        self._manifest: Manifest
        manifest_path = self.run_dir / MANIFEST_NAME
        if manifest_path.exists():
            self._manifest = self._read()
            if params is not None:
                from runbook_lib.params import params_hash

                if self._manifest.params_hash not in (None, params_hash(params)):
                    raise EvidenceError(
                        f"run {run_id} already exists with other parameters "
                        f"(hash {self._manifest.params_hash[:12]})",
                        hint="resume it with the same params file, or start a new run",
                    )
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        manifest = Manifest(run_id=run_id, created_at=utc_now(), git_commit=git_commit(repo_dir))
        if params is not None:
            from runbook_lib.params import params_hash, redacted_dict

            manifest.env = params.env
            manifest.params_hash = params_hash(params)
            manifest.params = redacted_dict(params)
            manifest.html_export = params.evidence.html_export
        if html_export is not None:
            manifest.html_export = html_export
        if params_file is not None:
            manifest.params_file = str(params_file)
        manifest.code_fingerprint = _jsonable(dict(code_fingerprint or {}))
        all_phases = list(phases or [])
        chosen = list(selected) if selected is not None else list(all_phases)
        manifest.selected_phases = chosen
        for name in all_phases:
            manifest.phases[name] = PhaseRecord(name=name, status="pending" if name in chosen else "skipped")
        self._manifest = manifest
        with self._mutate():
            pass

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, evidence_dir: str | Path) -> EvidenceLedger:
        """Reopen an existing run folder (a notebook gets it as the ``evidence_dir`` parameter).

        Raises:
            EvidenceError: the folder has no manifest.
        """
        run_dir = Path(evidence_dir)
        if not (run_dir / MANIFEST_NAME).is_file():
            raise EvidenceError(
                f"{run_dir} is not a run folder (no {MANIFEST_NAME})", hint="check evidence_dir"
            )
        return cls(run_dir.name, run_dir.parent)

    @property
    def manifest(self) -> Manifest:
        """A fresh copy of the manifest as it is on disk."""
        return self._read()

    def phase(self, name: str) -> PhaseRecord:
        """The record of one phase, read fresh from disk."""
        manifest = self._read()
        if name not in manifest.phases:
            raise EvidenceError(
                f"run {self.run_id} has no phase {name!r}", hint=f"known: {', '.join(manifest.phases)}"
            )
        return manifest.phases[name]

    # -- phases ------------------------------------------------------------------------------------
    def start_phase(self, phase: str, *, parameters: Mapping[str, Any] | None = None) -> None:
        """Mark ``phase`` running. A phase that ran before has its earlier files archived as an attempt."""
        with self._mutate() as manifest:
            record = manifest.phases.get(phase)
            if record is None:
                record = manifest.phases[phase] = PhaseRecord(name=phase)
            elif record.started_at is not None:
                record = manifest.phases[phase] = self._archive_attempt(record)
            record.status = "running"
            record.started_at = utc_now()
            record.ended_at = None
            record.error = None
            record.parameters = redact.redact_obj(_jsonable(dict(parameters or {})))
            if phase not in manifest.selected_phases:
                manifest.selected_phases.append(phase)
            manifest.current_phase = phase

    def finish_phase(
        self, status: str, error: str | BaseException | None = None, *, phase: str | None = None
    ) -> None:
        """Close a phase as ``succeeded``, ``failed`` or ``skipped``; ``error`` is stored redacted."""
        if status not in FINAL_STATUSES:
            raise ParamsError("status", status, FINAL_STATUSES)
        with self._mutate() as manifest:
            record = self._record(manifest, phase)
            record.status = status
            record.ended_at = utc_now()
            if error is not None:
                text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
                record.error = redact.redact_text(text)
            if manifest.current_phase == record.name:
                manifest.current_phase = None

    def mark_skipped(self, phases: list[str]) -> None:
        """Mark phases that will not run in this run as ``skipped`` (unless they already finished)."""
        with self._mutate() as manifest:
            for name in phases:
                record = manifest.phases.setdefault(name, PhaseRecord(name=name))
                if record.status in ("pending",):
                    record.status = "skipped"

    # -- what happened inside a phase -----------------------------------------------------------
    def record_plan(
        self,
        plan_path: str | Path,
        *,
        phase: str | None = None,
        stack: str | None = None,
        summary: Mapping[str, Any] | None = None,
    ) -> str:
        """Record the sha256 of a saved plan file (the binary is not copied: it may hold secrets).

        Returns:
            The sha256, so the caller can later check the applied plan is the reviewed one.
        """
        path = Path(plan_path)
        if not path.is_file():
            raise EvidenceError(f"plan file {path} does not exist", hint="run terraform plan -out=FILE first")
        digest = sha256_file(path)
        with self._mutate() as manifest:
            record = self._record(manifest, phase)
            record.plans.append(
                PlanRecord(
                    path=str(path),
                    sha256=digest,
                    stack=stack,
                    summary=redact.redact_obj(_jsonable(dict(summary or {}))),
                    recorded_at=utc_now(),
                )
            )
            record.plan_sha256 = digest
        return digest

    def record_apply(
        self, summary: Mapping[str, Any] | Any, *, phase: str | None = None, stack: str | None = None
    ) -> None:
        """Record what an apply did (counts, outputs' names, duration …), redacted."""
        entry = redact.redact_obj(_jsonable(summary))
        if not isinstance(entry, dict):
            entry = {"result": entry}
        entry = {"stack": stack, "recorded_at": utc_now(), **entry}
        with self._mutate() as manifest:
            self._record(manifest, phase).applies.append(entry)

    def record_gate(self, decision: Mapping[str, Any] | Any, *, phase: str | None = None) -> None:
        """Record a gate decision (mapping or dataclass: gate, approved, decided_by, reason …), redacted."""
        entry = redact.redact_obj(_jsonable(decision))
        if not isinstance(entry, dict):
            entry = {"decision": entry}
        entry.setdefault("recorded_at", utc_now())
        with self._mutate() as manifest:
            self._record(manifest, phase).gates.append(entry)

    def record_table(self, phase: str | None, name: str, df: Any) -> str:
        """Save a verification table (pandas DataFrame) as CSV and as records in the manifest.

        Returns:
            The CSV path relative to the run folder.
        """
        frame = df
        if not _has_default_index(frame):
            frame = frame.reset_index()
        csv_text = redact.redact_text(frame.to_csv(index=False))
        records = json.loads(frame.to_json(orient="records", date_format="iso", default_handler=str))
        records = redact.redact_obj(records)
        with self._mutate() as manifest:
            record = self._record(manifest, phase)
            relative = f"tables/{_slug(record.name)}/{_slug(name)}.csv"
            atomic_write_text(self.run_dir / relative, csv_text)
            record.tables = [t for t in record.tables if t.name != name]
            record.tables.append(
                TableRecord(
                    name=name,
                    file=relative,
                    rows=len(records),
                    columns=[str(c) for c in frame.columns],
                    records=records[:MAX_TABLE_RECORDS],
                    truncated=len(records) > MAX_TABLE_RECORDS,
                )
            )
        return relative

    def record_chart(self, phase: str | None, name: str, fig: Any) -> str:
        """Save a matplotlib Figure (or Axes) as PNG.

        Returns:
            The PNG path relative to the run folder.
        """
        figure = fig if hasattr(fig, "savefig") else fig.figure
        with self._mutate() as manifest:
            record = self._record(manifest, phase)
            relative = f"charts/{_slug(record.name)}/{_slug(name)}.png"
            png = io.BytesIO()
            figure.savefig(png, format="png", dpi=100, bbox_inches="tight")
            atomic_write_bytes(self.run_dir / relative, png.getvalue())
            record.charts = [c for c in record.charts if c.name != name]
            record.charts.append(ChartRecord(name=name, file=relative))
        return relative

    def add_notebook(self, phase: str | None, path: str | Path) -> str:
        """Redact a (possibly partly) executed notebook in place, keep it in the run folder, export HTML.

        A notebook outside the run folder is redacted where it is and then copied to ``notebooks/``.
        HTML export failures are logged and recorded, never fatal: the notebook is the evidence.

        Returns:
            The notebook path relative to the run folder.
        """
        import nbformat

        source = Path(path)
        if not source.is_file():
            raise EvidenceError(f"notebook {source} does not exist")
        nb = nbformat.read(source, as_version=4)
        count = redact.get_redactor().redact_notebook(nb)
        atomic_write_text(source, nbformat.writes(nb))
        with self._mutate() as manifest:
            record = self._record(manifest, phase)
            run_dir = self.run_dir.resolve()
            resolved = source.resolve()
            if resolved.is_relative_to(run_dir):
                relative = resolved.relative_to(run_dir).as_posix()
            else:
                relative = f"notebooks/{source.name}"
                atomic_write_bytes(self.run_dir / relative, source.read_bytes())
            record.notebook = relative
            record.redactions += count
            record.html = None
            if manifest.html_export:
                html_relative = str(Path(relative).with_suffix(".html").as_posix())
                try:
                    atomic_write_text(self.run_dir / html_relative, _export_html(nb))
                    record.html = html_relative
                except Exception as error:  # nbconvert has many failure modes; evidence must survive them
                    log.warning("HTML export of %s failed: %s", relative, error)
                    record.error = (
                        record.error + "; " if record.error else ""
                    ) + f"HTML export failed: {error}"
        return relative

    # -- index --------------------------------------------------------------------------------------
    def write_index(self) -> Path:
        """Write ``index.html`` (also written on every mutation) and return its path."""
        with self._mutate():
            pass
        return self.run_dir / INDEX_NAME

    # -- internals ------------------------------------------------------------------------------
    def _record(self, manifest: Manifest, phase: str | None) -> PhaseRecord:
        name = phase or manifest.current_phase
        if not name:
            raise EvidenceError(
                "no phase given and no phase is running", hint="pass phase= or call start_phase() first"
            )
        record = manifest.phases.get(name)
        if record is None:
            record = manifest.phases[name] = PhaseRecord(name=name, status="running", started_at=utc_now())
        return record

    def _archive_attempt(self, record: PhaseRecord) -> PhaseRecord:
        """Move a phase's earlier files under ``attempts/<phase>-<n>/`` and keep its record there."""
        number = len(record.attempts) + 1
        base = f"attempts/{_slug(record.name)}-{number}"
        old = _jsonable(record)
        old.pop("attempts", None)
        if old["status"] == "running":  # the process died mid-phase: no result was ever recorded
            old["status"] = "failed"
            old["error"] = old.get("error") or "interrupted before the phase finished"

        def move(relative: str | None) -> str | None:
            if not relative:
                return None
            src = self.run_dir / relative
            if not src.exists():
                return relative
            dst_rel = f"{base}/{relative}"
            dst = self.run_dir / dst_rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
            return dst_rel

        old["notebook"] = move(record.notebook)
        old["html"] = move(record.html)
        for table in old["tables"]:
            table["file"] = move(table["file"])
        for chart in old["charts"]:
            chart["file"] = move(chart["file"])
        return PhaseRecord(name=record.name, attempts=[*record.attempts, old])

    def _read(self) -> Manifest:
        path = self.run_dir / MANIFEST_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise EvidenceError(f"{path} is missing") from None
        except ValueError as error:
            raise EvidenceError(f"{path} is not valid JSON: {error}") from None
        return Manifest.from_dict(data)

    @contextlib.contextmanager
    def _mutate(self) -> Iterator[Manifest]:
        """Lock, re-read, let the caller change the manifest, then write index, hashes and manifest."""
        with self._locked():
            if (self.run_dir / MANIFEST_NAME).exists() and self._lock_depth == 1:
                self._manifest = self._read()
            yield self._manifest
            self._manifest.updated_at = utc_now()
            self._flush(self._manifest)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            self._lock_depth += 1
            try:
                if self._lock_depth == 1:
                    self.run_dir.mkdir(parents=True, exist_ok=True)
                    self._lock_handle = (self.run_dir / LOCK_NAME).open("a")
                    fcntl.flock(self._lock_handle.fileno(), fcntl.LOCK_EX)
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0 and self._lock_handle is not None:
                    fcntl.flock(self._lock_handle.fileno(), fcntl.LOCK_UN)
                    self._lock_handle.close()
                    self._lock_handle = None

    def _flush(self, manifest: Manifest) -> None:
        atomic_write_text(self.run_dir / INDEX_NAME, render_index(manifest))
        manifest.hashes = hash_run_folder(self.run_dir)
        text = json.dumps(manifest.to_dict(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
        atomic_write_text(self.run_dir / MANIFEST_NAME, text)


def _has_default_index(frame: Any) -> bool:
    index = frame.index
    return (
        type(index).__name__ == "RangeIndex" and index.start == 0 and index.step == 1 and index.name is None
    )


def _export_html(nb: Any) -> str:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    return redact.redact_text(body)


def _is_ledger_internal(relative: str) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return relative in (MANIFEST_NAME, LOCK_NAME) or (name.startswith(".") and TMP_MARK in name)


def hash_run_folder(run_dir: Path) -> dict[str, str]:
    """sha256 of every file in the run folder except the manifest, the lock and in-flight temporary files."""
    hashes: dict[str, str] = {}
    for path in sorted(run_dir.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(run_dir).as_posix()
        if _is_ledger_internal(relative):
            continue
        hashes[relative] = sha256_file(path)
    return hashes


# --------------------------------------------------------------------------------------------
# index.html
# --------------------------------------------------------------------------------------------
_STATUS_COLOURS = {
    "succeeded": "#1a7f37",
    "failed": "#cf222e",
    "running": "#9a6700",
    "pending": "#57606a",
    "skipped": "#8c959f",
}


def _link(relative: str | None, label: str | None = None) -> str:
    if not relative:
        return ""
    return f'<a href="{html.escape(relative, quote=True)}">{html.escape(label or relative)}</a>'


def render_index(manifest: Manifest) -> str:
    """The human entry point of a run folder: parameters, phases with statuses, and links to every file."""
    esc = html.escape
    rows = []
    for record in manifest.phases.values():
        colour = _STATUS_COLOURS.get(record.status, "#000")
        links = [
            _link(record.notebook, "notebook"),
            _link(record.html, "html"),
            *(_link(t.file, f"table: {t.name} ({t.rows} rows)") for t in record.tables),
            *(_link(c.file, f"chart: {c.name}") for c in record.charts),
        ]
        for number, attempt in enumerate(record.attempts, start=1):
            links.append(
                f"attempt {number} ({esc(str(attempt.get('status')))}): "
                + " ".join(
                    filter(
                        None, [_link(attempt.get("notebook"), "notebook"), _link(attempt.get("html"), "html")]
                    )
                )
            )
        gates = "<br>".join(
            esc(
                f"{g.get('gate', '?')}: {'approved' if g.get('approved') else g.get('decision', 'rejected')}"
                f" by {g.get('decided_by', g.get('approver', '?'))}"
            )
            for g in record.gates
        )
        plans = "<br>".join(esc(f"{p.stack or ''} {p.sha256[:12]}") for p in record.plans)
        rows.append(
            "<tr>"
            f"<td>{esc(record.name)}</td>"
            f'<td style="color:{colour};font-weight:bold">{esc(record.status)}</td>'
            f"<td>{esc(record.started_at or '')}</td><td>{esc(record.ended_at or '')}</td>"
            f"<td>{plans}</td><td>{gates}</td>"
            f"<td>{'<br>'.join(filter(None, links))}</td>"
            f"<td>{esc(record.error or '')}</td>"
            "</tr>"
        )
    charts = "".join(
        f'<figure><img src="{esc(c.file, quote=True)}" alt="{esc(c.name)}" style="max-width:480px">'
        f"<figcaption>{esc(r.name)}: {esc(c.name)}</figcaption></figure>"
        for r in manifest.phases.values()
        for c in r.charts
    )
    params = esc(json.dumps(manifest.params, indent=2, sort_keys=True))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Run {esc(manifest.run_id)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top}}
pre{{background:#f6f8fa;padding:1em}}</style>
</head><body>
<h1>Run {esc(manifest.run_id)}</h1>
<p>env <b>{esc(str(manifest.env))}</b> · git <code>{esc(manifest.git_commit)}</code> ·
params sha256 <code>{esc(str(manifest.params_hash))}</code> · created {esc(manifest.created_at)} ·
updated {esc(manifest.updated_at)} · <a href="{MANIFEST_NAME}">manifest.json</a></p>
<table><thead><tr><th>phase</th><th>status</th><th>started</th><th>ended</th><th>plans</th><th>gates</th>
<th>evidence</th><th>error</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table>
<h2>Charts</h2>{charts or "<p>none</p>"}
<h2>Parameters (redacted)</h2><pre>{params}</pre>
</body></html>
"""


# --------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HashMismatch:
    path: str
    expected: str
    actual: str


@dataclass
class VerifyReport:
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
        data = _jsonable(self)
        data["ok"] = self.ok
        return data


def verify_evidence(run_dir: str | Path) -> VerifyReport:
    """Check a run folder against its manifest: every recorded hash, every listed file, no extra files."""
    run_dir = Path(run_dir)
    report = VerifyReport(run_dir=str(run_dir))
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
