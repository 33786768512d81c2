"""The evidence ledger: one folder per run that shows what was done, by whom, with which inputs.

Why a ledger and not just executed notebooks: an auditor (or the operator the
morning after) needs one place that says which parameters and code ran, which
plan was reviewed (its sha256), who approved each gate, what the verification
tables showed, and that none of it was edited afterwards. ``outputs/<run-id>/``
holds the executed notebooks (redacted), their HTML, tables as CSV, charts as
PNG, ``index.html`` to browse it, ``manifest.json`` (the readable summary), and
``ledger.jsonl``, the hash-chained record log (``chain``) that the manifest and
every file are checked against.

Every mutation takes the run's file lock, re-reads the chain and the manifest,
checks that the manifest is the one the chain head vouches for, changes it, and
appends one record carrying the sha256 of the previous record and of every file
it writes (hashed once, from the bytes written - never re-read from the folder,
so an edit made in between is not taken in). That is what lets two processes
share one run - the runner, and the notebook kernel papermill starts, which
reopens the run with :meth:`EvidenceLedger.open` - and what leaves usable
evidence behind when a phase fails half-way.

At each phase end the chain head is signed (``signing``): a phase end is when a
phase's evidence is complete, a run that stops later keeps everything before it
signed, and a KMS key is asked once per phase (an entry in CloudTrail an auditor
can match), not once per table. Records after the last signature are reported
by ``verify`` as not sealed until the next phase end signs them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from runbook_lib import redact
from runbook_lib.errors import EvidenceError, ParamsError, SigningKeyNotFoundError
from runbook_lib.evidence.chain import CHAIN_FORMAT, CHAIN_NAME
from runbook_lib.evidence.manifest import (
    FINAL_STATUSES,
    INDEX_NAME,
    MANIFEST_NAME,
    MAX_TABLE_RECORDS,
    RUN_ID_RE,
    ChartRecord,
    FileRecord,
    Manifest,
    PhaseRecord,
    PlanRecord,
    TableRecord,
    git_commit,
    jsonable,
    slug,
)
from runbook_lib.evidence.signing import Signer, SigningConfig
from runbook_lib.evidence.store import Change, RunStore
from runbook_lib.params import params_hash, redacted_dict
from runbook_lib.util import atomic_write_text, sha256_file, utc_now

log = logging.getLogger("runbook_lib.evidence.ledger")

# The stack that creates the KMS key evidence.signing.kms_key_id names (terraform_infra/stacks/00_state_backend).
SIGNING_KEY_STACK = "00_state_backend"


# --------------------------------------------------------------------------------------------
# The ledger
# --------------------------------------------------------------------------------------------
class EvidenceLedger:
    """Records one run's evidence in ``<outputs_dir>/<run_id>/``.

    Creating a ledger for a run that already has a record log reopens it (the runner does this on
    ``--resume``; a notebook kernel uses :meth:`open`).

    Args:
        run_id: the run's name; letters, digits, ``.``, ``_`` and ``-``.
        outputs_dir: the folder holding run folders (``evidence.outputs_dir``).
        params: the validated parameters (hash, redacted copy and ``evidence.signing`` go into the run) - new
            runs only.
        phases: every known phase name, in order; ``pending``, or ``skipped`` when not in ``selected``.
        selected: the phases this run will execute (default: all of ``phases``).
        code_fingerprint: what the runner uses to refuse resuming with changed code.
        html_export: export each notebook to HTML with nbconvert (default: ``params.evidence.html_export``).
        params_file: the params file the run used; a relative ``evidence.signing.key_file`` is relative to the
            folder above its folder (as ``evidence.outputs_dir`` is), else to the project.
        repo_dir: where ``git rev-parse HEAD`` runs.
        signing: how phase ends are signed (default: from ``params``; unsigned without params). Kept in the
            run's first record, so every process that reopens the run signs the same way.
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
        signing: SigningConfig | None = None,
    ) -> None:
        if not RUN_ID_RE.fullmatch(run_id):
            raise ParamsError("run_id", run_id, "letters, digits, '.', '_' and '-' (max 128), not starting with '.'")
        self.run_id = run_id
        self.outputs_dir = Path(outputs_dir)
        self.run_dir = self.outputs_dir / run_id
        self._store = RunStore(self.run_dir)
        self._signer: Signer | None = None
        self._manifest: Manifest
        if self._store.exists():
            self._manifest = self._read()
            if params is not None:
                if self._manifest.params_hash not in (None, params_hash(params)):
                    raise EvidenceError(
                        f"run {run_id} already exists with other parameters (hash {self._manifest.params_hash[:12]})",
                        hint="resume it with the same params file, or start a new run",
                    )
            return
        if (self.run_dir / MANIFEST_NAME).exists():
            raise EvidenceError(
                f"{self.run_dir} has a manifest but no record log ({CHAIN_NAME}): it was written by an older "
                "runbook, or its log was deleted",
                hint="it cannot be continued; start a new run",
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        manifest = Manifest(run_id=run_id, created_at=utc_now(), git_commit=git_commit(repo_dir))
        if params is not None:
            manifest.env = params.env
            manifest.params_hash = params_hash(params)
            manifest.params = redacted_dict(params)
            manifest.html_export = params.evidence.html_export
            if signing is None:
                root = Path(params_file).resolve().parent.parent if params_file is not None else None
                signing = SigningConfig.from_params(params, root)
        signing = signing or SigningConfig()
        manifest.signing = {"mode": signing.mode, "key_file": signing.key_file, "kms_key_id": signing.kms_key_id}
        if html_export is not None:
            manifest.html_export = html_export
        if params_file is not None:
            manifest.params_file = str(params_file)
        manifest.code_fingerprint = jsonable(dict(code_fingerprint or {}))
        all_phases = list(phases or [])
        chosen = list(selected) if selected is not None else list(all_phases)
        manifest.selected_phases = chosen
        for name in all_phases:
            manifest.phases[name] = PhaseRecord(name=name, status="pending" if name in chosen else "skipped")
        with self._store.locked():
            if self._store.exists():
                raise EvidenceError(f"run {run_id} was created by another process at the same time")
            data = {
                "format": CHAIN_FORMAT,
                "run_id": run_id,
                "created_at": manifest.created_at,
                "env": manifest.env,
                "params_hash": manifest.params_hash,
                "git_commit": manifest.git_commit,
                "code_fingerprint": manifest.code_fingerprint,
                "selected_phases": chosen,
                "phases": all_phases,
                "signing": signing.to_record(),
            }
            self._store.commit(manifest, Change("run_created", data=data))
            self._store.write_index(manifest, self._store.seal_view())
        self._manifest = manifest

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, evidence_dir: str | Path) -> EvidenceLedger:
        """Reopen an existing run folder (a notebook gets it as the ``evidence_dir`` parameter).

        Raises:
            EvidenceError: the folder has no record log.
        """
        run_dir = Path(evidence_dir)
        if not (run_dir / CHAIN_NAME).is_file():
            raise EvidenceError(f"{run_dir} is not a run folder (no {CHAIN_NAME})", hint="check evidence_dir")
        return cls(run_dir.name, run_dir.parent)

    @property
    def manifest(self) -> Manifest:
        """A fresh copy of the manifest as it is on disk."""
        return self._read()

    @property
    def signing(self) -> SigningConfig:
        """How this run signs its phase ends (from its first record)."""
        with self._store.locked():
            self._store.load()
            return self._store.signing_config()

    def phase(self, name: str) -> PhaseRecord:
        """The record of one phase, read fresh from disk."""
        manifest = self._read()
        if name not in manifest.phases:
            raise EvidenceError(f"run {self.run_id} has no phase {name!r}", hint=f"known: {', '.join(manifest.phases)}")
        return manifest.phases[name]

    # -- phases ------------------------------------------------------------------------------------
    def start_phase(self, phase: str, *, parameters: Mapping[str, Any] | None = None) -> None:
        """Mark ``phase`` running. A phase that ran before has its earlier files archived as an attempt."""
        with self._mutate("phase_started", phase) as (manifest, change):
            record = manifest.phases.get(phase)
            if record is None:
                record = manifest.phases[phase] = PhaseRecord(name=phase)
            elif record.started_at is not None:
                record = manifest.phases[phase] = self._archive_attempt(record, change)
            record.status = "running"
            record.started_at = utc_now()
            record.ended_at = None
            record.error = None
            record.parameters = redact.redact_obj(jsonable(dict(parameters or {})))
            if phase not in manifest.selected_phases:
                manifest.selected_phases.append(phase)
            manifest.current_phase = phase
            change.data = {"parameters": record.parameters, "attempts": len(record.attempts)}

    def finish_phase(self, status: str, error: str | BaseException | None = None, *, phase: str | None = None) -> None:
        """Close a phase as ``succeeded``, ``failed`` or ``skipped``; ``error`` is stored redacted.

        Then the chain head is signed (unless the run's signing mode is ``none``).

        Raises:
            EvidenceError: the record was written but could not be signed (the key or KMS is unreachable).
        """
        if status not in FINAL_STATUSES:
            raise ParamsError("status", status, FINAL_STATUSES)
        with self._mutate("phase_finished", phase) as (manifest, change):
            record = self._record(manifest, phase)
            record.status = status
            record.ended_at = utc_now()
            if error is not None:
                text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
                record.error = redact.redact_text(text)
            if manifest.current_phase == record.name:
                manifest.current_phase = None
            change.phase = record.name
            change.data = {"status": status, "error": record.error}
            change.seal = True

    def mark_skipped(self, phases: list[str]) -> None:
        """Mark phases that will not run in this run as ``skipped`` (unless they already finished)."""
        with self._mutate("phases_skipped") as (manifest, change):
            skipped = []
            for name in phases:
                record = manifest.phases.setdefault(name, PhaseRecord(name=name))
                if record.status in ("pending",):
                    record.status = "skipped"
                    skipped.append(name)
            change.data = {"phases": skipped}

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
        with self._mutate("plan", phase) as (manifest, change):
            record = self._record(manifest, phase)
            plan = PlanRecord(
                path=str(path),
                sha256=digest,
                stack=stack,
                summary=redact.redact_obj(jsonable(dict(summary or {}))),
                recorded_at=utc_now(),
            )
            record.plans.append(plan)
            record.plan_sha256 = digest
            change.phase = record.name
            change.data = jsonable(plan)
        return digest

    def record_apply(
        self, summary: Mapping[str, Any] | Any, *, phase: str | None = None, stack: str | None = None
    ) -> None:
        """Record what an apply did (counts, outputs' names, duration …), redacted."""
        entry = redact.redact_obj(jsonable(summary))
        if not isinstance(entry, dict):
            entry = {"result": entry}
        entry = {"stack": stack, "recorded_at": utc_now(), **entry}
        with self._mutate("apply", phase) as (manifest, change):
            record = self._record(manifest, phase)
            record.applies.append(entry)
            change.phase = record.name
            change.data = entry

    def record_gate(self, decision: Mapping[str, Any] | Any, *, phase: str | None = None) -> None:
        """Record a gate decision (mapping or dataclass: gate, approved, decided_by, reason …), redacted."""
        entry = redact.redact_obj(jsonable(decision))
        if not isinstance(entry, dict):
            entry = {"decision": entry}
        entry.setdefault("recorded_at", utc_now())
        with self._mutate("gate", phase) as (manifest, change):
            record = self._record(manifest, phase)
            record.gates.append(entry)
            change.phase = record.name
            change.data = entry

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
        with self._mutate("table", phase) as (manifest, change):
            record = self._record(manifest, phase)
            relative = f"tables/{slug(record.name)}/{slug(name)}.csv"
            change.write(relative, csv_text)
            record.tables = [t for t in record.tables if t.name != name]
            table = TableRecord(
                name=name,
                file=relative,
                rows=len(records),
                columns=[str(c) for c in frame.columns],
                records=records[:MAX_TABLE_RECORDS],
                truncated=len(records) > MAX_TABLE_RECORDS,
            )
            record.tables.append(table)
            change.phase = record.name
            change.data = {"name": name, "file": relative, "rows": table.rows, "columns": table.columns}
        return relative

    def record_chart(self, phase: str | None, name: str, fig: Any) -> str:
        """Save a matplotlib Figure (or Axes) as PNG.

        Returns:
            The PNG path relative to the run folder.
        """
        figure = fig if hasattr(fig, "savefig") else fig.figure
        png = io.BytesIO()
        figure.savefig(png, format="png", dpi=100, bbox_inches="tight")
        with self._mutate("chart", phase) as (manifest, change):
            record = self._record(manifest, phase)
            relative = f"charts/{slug(record.name)}/{slug(name)}.png"
            change.write(relative, png.getvalue())
            record.charts = [c for c in record.charts if c.name != name]
            record.charts.append(ChartRecord(name=name, file=relative))
            change.phase = record.name
            change.data = {"name": name, "file": relative}
        return relative

    def record_file(self, phase: str | None, name: str, source: str | Path) -> str:
        """Keep a file a phase produced (a build artefact, a log) as evidence, under ``files/<phase>/<name>``.

        Why through the ledger: a file that lands in the run folder any other way is one the record log does not
        vouch for, and ``evidence verify`` reports it as unrecorded. Text (UTF-8) is redacted like every table;
        anything else (a zip) is kept byte for byte - produce such files from what holds no secret.

        Returns:
            The path relative to the run folder.
        """
        data = Path(source).read_bytes()
        try:
            content: bytes | str = redact.redact_text(data.decode("utf-8"))
        except UnicodeDecodeError:
            content = data
        encoded = content.encode("utf-8") if isinstance(content, str) else content
        with self._mutate("file", phase) as (manifest, change):
            record = self._record(manifest, phase)
            relative = f"files/{slug(record.name)}/" + "/".join(slug(part) for part in name.split("/") if part)
            change.write(relative, content)
            kept = FileRecord(name=name, file=relative, bytes=len(encoded), sha256=hashlib.sha256(encoded).hexdigest())
            record.files_kept = [f for f in record.files_kept if f.name != name]
            record.files_kept.append(kept)
            change.phase = record.name
            change.data = {"name": name, "file": relative, "bytes": kept.bytes}
        return relative

    def add_notebook(self, phase: str | None, path: str | Path) -> str:
        """Redact a (possibly partly) executed notebook, keep it in the run folder, export HTML.

        A notebook inside the run folder is replaced by its redacted copy; one outside is redacted where it
        is and then copied to ``notebooks/``. HTML export failures are logged and recorded, never fatal: the
        notebook is the evidence.

        Returns:
            The notebook path relative to the run folder.
        """
        import nbformat

        source = Path(path)
        if not source.is_file():
            raise EvidenceError(f"notebook {source} does not exist")
        nb = nbformat.read(source, as_version=4)
        count = redact.get_redactor().redact_notebook(nb)
        text = nbformat.writes(nb)
        run_dir = self.run_dir.resolve()
        resolved = source.resolve()
        inside = resolved.is_relative_to(run_dir)
        if not inside:
            atomic_write_text(source, text)
        with self._mutate("notebook", phase) as (manifest, change):
            record = self._record(manifest, phase)
            relative = resolved.relative_to(run_dir).as_posix() if inside else f"notebooks/{source.name}"
            change.write(relative, text)
            record.notebook = relative
            record.redactions += count
            record.html = None
            html_error = None
            if manifest.html_export:
                html_relative = str(Path(relative).with_suffix(".html").as_posix())
                try:
                    change.write(html_relative, _export_html(nb))
                    record.html = html_relative
                except Exception as error:  # nbconvert has many failure modes; evidence must survive them
                    log.warning("HTML export of %s failed: %s", relative, error)
                    html_error = f"HTML export failed: {error}"
                    record.error = (record.error + "; " if record.error else "") + html_error
            change.phase = record.name
            change.data = {"file": relative, "html": record.html, "redactions": count, "html_error": html_error}
        return relative

    # -- index and signature ---------------------------------------------------------------------
    def write_index(self) -> Path:
        """Write ``index.html`` again (it is also written on every mutation) and return its path.

        The index a signature covers is left alone: rewriting it would break the seal it is part of.
        """
        with self._store.locked():
            self._store.load()
            self._store.recover()
            view = self._store.seal_view()
            if view.status != "signed":
                self._store.write_index(self._read(), view)
        return self.run_dir / INDEX_NAME

    def check_signing(self) -> str:
        """Load the signing key (generating the sandbox's) or reach the KMS key now, before any phase runs.

        Returns:
            What signs this run, for a log line.

        Raises:
            EvidenceError: the key file is missing or unreadable, or KMS refuses.
        """
        config = self.signing
        self._signer = self._signer or config.signer()
        return config.describe()

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

    def _archive_attempt(self, record: PhaseRecord, change: Change) -> PhaseRecord:
        """Move a phase's earlier files under ``attempts/<phase>-<n>/`` and keep its record there.

        The moves are part of the record (``moved``) and happen after it is written.
        """
        number = len(record.attempts) + 1
        base = f"attempts/{slug(record.name)}-{number}"
        old = jsonable(record)
        old.pop("attempts", None)
        if old["status"] == "running":  # the process died mid-phase: no result was ever recorded
            old["status"] = "failed"
            old["error"] = old.get("error") or "interrupted before the phase finished"

        def move(relative: str | None) -> str | None:
            if not relative or not (self.run_dir / relative).exists():
                return relative
            dst_rel = f"{base}/{relative}"
            change.moves[relative] = dst_rel
            return dst_rel

        old["notebook"] = move(record.notebook)
        old["html"] = move(record.html)
        for table in old["tables"]:
            table["file"] = move(table["file"])
        for chart in old["charts"]:
            chart["file"] = move(chart["file"])
        for kept in old.get("files_kept", []):
            kept["file"] = move(kept["file"])
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
    def _mutate(self, kind: str, phase: str | None = None) -> Iterator[tuple[Manifest, Change]]:
        """Lock, load and check the chain and manifest, let the caller change both, then record and write."""
        with self._store.locked():
            self._store.load()
            self._store.recover()
            self._manifest = self._read()
            change = Change(kind, phase)
            yield self._manifest, change
            self._store.commit(self._manifest, change)
            signer = self._signer_for_seal() if change.seal else None
            if signer is not None:
                self._store.seal(self._manifest, self.run_id, signer)
            else:
                self._store.write_index(self._manifest, self._store.seal_view())

    def _signer_for_seal(self) -> Signer | None:
        if self._signer is None:
            try:
                self._signer = self._store.signing_config().signer()
            except SigningKeyNotFoundError as error:
                if self.may_defer_seal():
                    log.warning("phase end not signed yet: %s; the next phase end after stack %s is applied "
                                "signs every record before it", error, SIGNING_KEY_STACK)
                    self._store.write_index(self._manifest, self._store.seal_view())
                    return None
                self._store.write_index(self._manifest, self._store.seal_view())
                raise
            except Exception:
                self._store.write_index(self._manifest, self._store.seal_view())
                raise
        return self._signer

    def may_defer_seal(self) -> bool:
        """True while a missing KMS signing key is expected: nothing sealed yet and stack 00 not applied.

        On a first run against a new account the key does not exist until phase 01 applies
        ``00_state_backend``; the chain makes a later signature cover every earlier record, so phase 00's
        end may leave its seal to the next one. Once the run has applied that stack (or signed anything),
        a missing key is an error again, and `runbook evidence verify` fails a run whose head is unsigned.
        """
        with self._store.locked():
            self._store.load()
            records = list(self._store.records)
        for record in records:
            if record.kind == "signature":
                return False
            if record.kind == "apply" and (record.data or {}).get("stack") == SIGNING_KEY_STACK:
                return False
        return True


def _has_default_index(frame: Any) -> bool:
    index = frame.index
    return type(index).__name__ == "RangeIndex" and index.start == 0 and index.step == 1 and index.name is None


def _export_html(nb: Any) -> str:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    return redact.redact_text(body)
