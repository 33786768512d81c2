"""Run the phase notebooks headless with papermill, one run folder of evidence per run.

Why papermill: the notebooks *are* the runbook an operator steps through by
hand; running the very same files headless (CI, a rehearsal, an unattended
stage) means there is no second implementation to drift. Papermill injects the
parameters (``env``, ``run_id``, ``evidence_dir``, ``params_file``, ``phase``)
below each notebook's ``parameters`` cell, writes the executed copy after every
cell and, when a cell raises, still writes the partly executed notebook before
re-raising - the same "evidence even on failure" rule the ledger follows.

Phases are the notebooks named ``NN_name.ipynb`` in ``notebooks/`` (``00``
preflight, ``01``-``06`` the migration, ``07`` and later extras), executed in
number order. A run stops at the first failing phase. ``--resume RUN_ID`` picks
the run up at its first phase that did not succeed, but only if neither the
parameters nor the code (git commit + a hash of ``notebooks/`` and
``runbook_lib/``) changed since the run started: evidence that mixes two
versions of the code or two sets of parameters proves nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runbook_lib import errors, paths, redact
from runbook_lib.errors import (
    ParamsError,
    PhaseFailedError,
    ResumeRefusedError,
    RunbookError,
    ToolMissingError,
)
from runbook_lib.evidence import MANIFEST_NAME, EvidenceLedger, git_commit
from runbook_lib.params import (
    RunbookParams,
    diff_keys,
    load_params,
    params_hash,
    redacted_dict,
    resolve_outputs_dir,
)
from runbook_lib.paths import project_root

log = logging.getLogger("runbook_lib.phases.headless")

PHASE_FILE_RE = re.compile(r"(?P<number>\d{2})_(?P<slug>[A-Za-z0-9][A-Za-z0-9_-]*)\.ipynb")
DEFAULT_KERNEL = "python3"


# --------------------------------------------------------------------------------------------
# Phases
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Phase:
    """One phase notebook: ``number`` 1, ``name`` ``01_network``, and its path."""

    number: int
    name: str
    path: Path


def discover_phases(notebooks_dir: Path) -> list[Phase]:
    """The ``NN_name.ipynb`` notebooks of ``notebooks_dir`` in number order.

    Raises:
        ParamsError: the folder does not exist, has no phase notebooks, or two notebooks share a number.
    """
    if not notebooks_dir.is_dir():
        raise ParamsError(
            "notebooks_dir", str(notebooks_dir), "an existing folder of NN_name.ipynb notebooks"
        )
    phases: dict[int, Phase] = {}
    for path in sorted(notebooks_dir.glob("*.ipynb")):
        match = PHASE_FILE_RE.fullmatch(path.name)
        if not match:
            continue
        number = int(match["number"])
        if number in phases:
            raise ParamsError(
                "notebooks_dir",
                str(notebooks_dir),
                "one notebook per phase number",
                message=f"two notebooks for phase {number:02d}: {phases[number].path.name} and {path.name}",
            )
        phases[number] = Phase(number=number, name=path.stem, path=path)
    if not phases:
        raise ParamsError(
            "notebooks_dir", str(notebooks_dir), "a folder holding NN_name.ipynb phase notebooks"
        )
    return [phases[n] for n in sorted(phases)]


def _phase_choices(phases: Sequence[Phase]) -> list[str]:
    return [f"{p.number} ({p.name})" for p in phases]


def parse_phase_spec(spec: str | None, phases: Sequence[Phase]) -> list[Phase]:
    """Select phases with a spec such as ``0-3,5`` (``None``, ``""`` is an error; ``all`` selects all).

    Ranges select the existing phases between their ends; each single number and each range end must
    be an existing phase.

    Raises:
        ParamsError: key ``phases``; ``allowed`` lists the phases that exist.
    """
    by_number = {p.number: p for p in phases}
    choices = _phase_choices(phases)

    def bad(reason: str) -> ParamsError:
        return ParamsError("phases", spec, choices, message=f"bad phase spec {spec!r}: {reason}")

    if spec is None or spec.strip().lower() == "all":
        return list(phases)
    if not spec.strip():
        raise bad("empty")
    chosen: set[int] = set()
    for token in spec.replace(" ", "").split(","):
        if not token:
            raise bad("empty item")
        match = re.fullmatch(r"(\d{1,2})(?:-(\d{1,2}))?", token)
        if not match:
            raise bad(f"{token!r} is not a number or a range like 1-3")
        start = int(match[1])
        end = int(match[2]) if match[2] is not None else start
        if end < start:
            raise bad(f"range {token!r} runs backwards")
        for number in (start, end):
            if number not in by_number:
                raise bad(f"there is no phase {number}")
        chosen.update(n for n in by_number if start <= n <= end)
    return [by_number[n] for n in sorted(chosen)]


# --------------------------------------------------------------------------------------------
# Code fingerprint
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CodeFingerprint:
    """What code a run used: the git commit and a sha256 per source file."""

    git_commit: str
    sources_sha256: str
    files: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "git_commit": self.git_commit,
            "sources_sha256": self.sources_sha256,
            "files": dict(self.files),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CodeFingerprint:
        return cls(
            git_commit=str(data.get("git_commit", "unknown")),
            sources_sha256=str(data.get("sources_sha256", "")),
            files=dict(data.get("files", {})),
        )

    def changes_since(self, earlier: CodeFingerprint) -> list[str]:
        """What differs from ``earlier``, one phrase each (empty when nothing did)."""
        changes = []
        if self.git_commit != earlier.git_commit:
            changes.append(f"git commit {earlier.git_commit[:12]} -> {self.git_commit[:12]}")
        for name in sorted(set(self.files) | set(earlier.files)):
            if name not in earlier.files:
                changes.append(f"{name} added")
            elif name not in self.files:
                changes.append(f"{name} removed")
            elif self.files[name] != earlier.files[name]:
                changes.append(f"{name} changed")
        if not changes and self.sources_sha256 != earlier.sources_sha256:
            changes.append("sources hash differs")
        return changes


def _notebook_source_hash(path: Path) -> str:
    """Hash of a notebook's cell types and sources only: executing it in Jupyter is not a change."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        cells = [
            [
                cell.get("cell_type"),
                "".join(cell.get("source", ""))
                if isinstance(cell.get("source"), list)
                else cell.get("source", ""),
            ]
            for cell in document.get("cells", [])
        ]
        payload = json.dumps(cells, sort_keys=True, ensure_ascii=False).encode("utf-8")
    except (ValueError, AttributeError):
        payload = path.read_bytes()
    return hashlib.sha256(payload).hexdigest()


def code_fingerprint(
    notebooks_dir: Path, lib_dir: Path | None = None, repo_dir: Path | None = None
) -> CodeFingerprint:
    """Fingerprint the notebooks (cell sources) and the library (every file but bytecode).

    Args:
        notebooks_dir: the phase notebooks.
        lib_dir: the ``runbook_lib`` package folder (default: the one imported).
        repo_dir: where ``git rev-parse HEAD`` runs (default: the project root).
    """
    lib_dir = lib_dir or Path(__file__).resolve().parent
    files: dict[str, str] = {}
    for path in sorted(notebooks_dir.glob("*.ipynb")):
        files[f"notebooks/{path.name}"] = _notebook_source_hash(path)
    for path in sorted(lib_dir.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
            continue
        files[f"{lib_dir.name}/{path.relative_to(lib_dir).as_posix()}"] = hashlib.sha256(
            path.read_bytes()
        ).hexdigest()
    combined = hashlib.sha256("".join(f"{k}:{v}\n" for k, v in sorted(files.items())).encode()).hexdigest()
    return CodeFingerprint(git_commit=git_commit(repo_dir), sources_sha256=combined, files=files)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedPhase:
    """A phase as ``--dry-run`` shows it: what would run, with which parameters."""

    number: int
    name: str
    notebook: str
    status: str
    will_run: bool
    parameters: dict[str, Any]


@dataclass(frozen=True)
class PhaseOutcome:
    """How one executed phase ended."""

    name: str
    status: str
    notebook: str | None
    seconds: float
    error: str | None = None


@dataclass
class RunResult:
    """What :func:`run` did (or, for a dry run, would do)."""

    run_id: str
    env: str
    run_dir: str
    dry_run: bool
    resumed: bool
    planned: list[PlannedPhase] = field(default_factory=list)
    executed: list[PhaseOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.status == "succeeded" for o in self.executed)


#: Called with ("start", phase name, None) and ("end", phase name, PhaseOutcome).
RunListener = Callable[[str, str, PhaseOutcome | None], None]


def new_run_id(env: str) -> str:
    """``<env>-<UTC timestamp>-<4 hex>``: sortable, readable, unique enough for one operator."""
    return f"{env}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def exit_code_for_ename(ename: str) -> int:
    """The CLI exit code of an exception raised *inside* a notebook, known only by its class name."""
    cls = getattr(errors, ename, None)
    if isinstance(cls, type) and issubclass(cls, RunbookError):
        return cls.exit_code
    return PhaseFailedError.exit_code


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------
def run_notebooks(
    env: str,
    *,
    phases: str | None = None,
    resume: str | None = None,
    dry_run: bool = False,
    notebooks_dir: Path | None = None,
    params_dir: Path | None = None,
    outputs_dir: Path | None = None,
    lib_dir: Path | None = None,
    repo_dir: Path | None = None,
    kernel_name: str = DEFAULT_KERNEL,
    execution_timeout: int | None = None,
    listener: RunListener | None = None,
) -> RunResult:
    """Run (or resume, or list) the phases of one environment.

    Args:
        env: the params file ``params/<env>.yaml``.
        phases: a phase spec such as ``0-3,5``; all phases when omitted. Not allowed with ``resume``.
        resume: the id of an earlier run to continue from its first phase that did not succeed.
        dry_run: list phases and parameters; execute nothing, write nothing.
        notebooks_dir: the phase notebooks (default ``<project>/notebooks``).
        params_dir: the params files (default ``<project>/params``).
        outputs_dir: the run folders (default ``evidence.outputs_dir`` from the params). The migration
            checkpoints of the run go beside them, in ``<outputs_dir>/.checkpoints`` (see
            ``MigrationStep.open``), unless ``RUNBOOK_CHECKPOINT_DIR`` is set.
        lib_dir, repo_dir: what the code fingerprint covers (defaults: this package, the project).
        kernel_name: the Jupyter kernel papermill starts.
        execution_timeout: seconds per cell before papermill gives up (None: no limit).
        listener: told when each phase starts and ends (the CLI prints progress with it).

    Returns:
        The run's id, folder, and per-phase outcomes.

    Raises:
        ParamsError: bad env, params, phase spec or run id; ResumeRefusedError when parameters/code changed.
        PhaseFailedError: a phase failed; its ``exit_code`` is the one of the error raised in the notebook
            (3 for ``GateRejectedError``, 2 for ``ParamsError`` …).
        ToolMissingError: the kernel is not installed.
    """
    root = repo_dir or project_root()
    params_dir = params_dir or paths.params_dir()
    notebooks_dir = notebooks_dir or root / "notebooks"
    params = load_params(env, params_dir)
    params_file = (params_dir / f"{env}.yaml").resolve()
    outputs_dir = (outputs_dir or resolve_outputs_dir(params, params_dir)).resolve()
    all_phases = discover_phases(notebooks_dir)
    fingerprint = code_fingerprint(notebooks_dir, lib_dir, repo_dir)

    if resume:
        if phases is not None:
            raise ParamsError("phases", phases, ["(none with --resume: a resumed run keeps its phases)"])
        ledger, selected, statuses = _open_for_resume(
            resume, env, params, fingerprint, outputs_dir, all_phases
        )
        run_id = resume
        first_open = next(
            (i for i, p in enumerate(selected) if statuses.get(p.name) != "succeeded"), len(selected)
        )
        to_run = selected[first_open:]
    else:
        selected = parse_phase_spec(phases, all_phases)
        run_id = new_run_id(env)
        ledger = None
        statuses = {p.name: ("pending" if p in selected else "skipped") for p in all_phases}
        to_run = list(selected)

    run_dir = outputs_dir / run_id
    planned = [
        PlannedPhase(
            number=p.number,
            name=p.name,
            notebook=str(p.path),
            status=statuses.get(p.name, "pending"),
            will_run=p in to_run,
            parameters=_phase_parameters(params, run_id, run_dir, params_file, p),
        )
        for p in all_phases
    ]
    result = RunResult(
        run_id=run_id, env=env, run_dir=str(run_dir), dry_run=dry_run, resumed=bool(resume), planned=planned
    )
    if dry_run:
        return result

    _check_kernel(kernel_name)
    if ledger is None:
        ledger = EvidenceLedger(
            run_id,
            outputs_dir,
            params=params,
            phases=[p.name for p in all_phases],
            selected=[p.name for p in selected],
            code_fingerprint=fingerprint.to_dict(),
            params_file=params_file,
            repo_dir=repo_dir,
        )
    if not to_run:
        log.info("run %s has no phase left to run", run_id)
        return result
    for phase in to_run:
        outcome = _execute_phase(
            phase,
            ledger,
            _phase_parameters(params, run_id, run_dir, params_file, phase),
            kernel_name=kernel_name,
            cwd=root,
            execution_timeout=execution_timeout,
            listener=listener,
        )
        result.executed.append(outcome)
    return result


def _phase_parameters(
    params: RunbookParams, run_id: str, run_dir: Path, params_file: Path, phase: Phase
) -> dict[str, Any]:
    return {
        "env": params.env,
        "run_id": run_id,
        "evidence_dir": str(run_dir),
        "params_file": str(params_file),
        "phase": phase.name,
    }


def _open_for_resume(
    run_id: str,
    env: str,
    params: RunbookParams,
    fingerprint: CodeFingerprint,
    outputs_dir: Path,
    all_phases: Sequence[Phase],
) -> tuple[EvidenceLedger, list[Phase], dict[str, str]]:
    run_dir = outputs_dir / run_id
    if not (run_dir / MANIFEST_NAME).is_file():
        known = (
            sorted(p.parent.name for p in outputs_dir.glob(f"*/{MANIFEST_NAME}"))
            if outputs_dir.is_dir()
            else []
        )
        raise ParamsError(
            "resume",
            run_id,
            known or ["(no runs in " + str(outputs_dir) + ")"],
            message=f"no run {run_id!r} in {outputs_dir}",
        )
    ledger = EvidenceLedger.open(run_dir)
    manifest = ledger.manifest
    if manifest.env != env:
        raise ParamsError(
            "env", env, [str(manifest.env)], message=f"run {run_id} was made for env {manifest.env!r}"
        )
    if manifest.params_hash != params_hash(params):
        changed = diff_keys(manifest.params, redacted_dict(params)) or ["(parameters hash differs)"]
        raise ResumeRefusedError(run_id, "parameters", changed)
    earlier = CodeFingerprint.from_dict(manifest.code_fingerprint)
    changes = fingerprint.changes_since(earlier)
    if changes:
        raise ResumeRefusedError(run_id, "code", changes)
    by_name = {p.name: p for p in all_phases}
    selected = [by_name[name] for name in manifest.selected_phases if name in by_name]
    statuses = {name: record.status for name, record in manifest.phases.items()}
    return ledger, selected, statuses


def _check_kernel(kernel_name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise ToolMissingError(
            f"jupyter kernel {kernel_name}",
            f"the Jupyter kernel {kernel_name!r} is not installed",
            hint="python -m ipykernel install --user",
        ) from None


@contextlib.contextmanager
def _library_on_pythonpath() -> Iterator[None]:
    """Let the kernel import runbook_lib from this checkout even when it is not pip-installed."""
    package_parent = str(Path(__file__).resolve().parent.parent)
    before = os.environ.get("PYTHONPATH")
    parts = [p for p in (before or "").split(os.pathsep) if p]
    if package_parent not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([package_parent, *parts])
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before


def _execute_phase(
    phase: Phase,
    ledger: EvidenceLedger,
    parameters: dict[str, Any],
    *,
    kernel_name: str,
    cwd: Path,
    execution_timeout: int | None,
    listener: RunListener | None,
) -> PhaseOutcome:
    """Execute one notebook; record it (even when it fails) and raise PhaseFailedError on failure."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output = ledger.run_dir / "notebooks" / phase.path.name
    output.parent.mkdir(parents=True, exist_ok=True)
    ledger.start_phase(phase.name, parameters=parameters)
    if listener:
        listener("start", phase.name, None)
    log.info("phase %s: executing %s -> %s", phase.name, phase.path, output)
    started = time.monotonic()
    failure: tuple[int | None, str, str] | None = None
    cause: BaseException | None = None
    try:
        with _library_on_pythonpath():
            papermill.execute_notebook(
                str(phase.path),
                str(output),
                parameters=parameters,
                kernel_name=kernel_name,
                language="python",
                cwd=str(cwd),
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=True,
                execution_timeout=execution_timeout,
            )
    except PapermillExecutionError as error:
        failure = (error.cell_index, error.ename, error.evalue)
        cause = error
    except (
        Exception
    ) as error:  # kernel died, timeout, bad notebook JSON …: still a failed phase with evidence
        failure = (None, type(error).__name__, str(error))
        cause = error
    seconds = round(time.monotonic() - started, 3)
    if output.is_file():
        ledger.add_notebook(phase.name, output)
    if failure is None:
        ledger.finish_phase("succeeded", phase=phase.name)
        outcome = PhaseOutcome(phase.name, "succeeded", str(output), seconds)
        if listener:
            listener("end", phase.name, outcome)
        return outcome
    cell_index, ename, evalue = failure

    evalue = redact.redact_text(evalue or "")
    ledger.finish_phase("failed", error=f"{ename}: {evalue} (cell {cell_index})", phase=phase.name)
    outcome = PhaseOutcome(
        phase.name, "failed", str(output) if output.is_file() else None, seconds, f"{ename}: {evalue}"
    )
    if listener:
        listener("end", phase.name, outcome)
    log.info(
        "phase %s failed in cell %s: %s: %s (notebook %s)", phase.name, cell_index, ename, evalue, output
    )
    failed = PhaseFailedError(phase.name, str(output), cell_index, ename, evalue)
    # The exit code follows the error raised inside the notebook (GateRejectedError -> 3 …).
    failed.exit_code = exit_code_for_ename(ename)
    raise failed from cause
