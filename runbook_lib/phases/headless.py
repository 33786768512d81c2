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
parameters nor the code (git commit + a hash of ``notebooks/``, ``runbook_lib/``,
``terraform_infra/`` and the environment's tfvars, see :mod:`.code_fingerprint`)
changed since the run started: evidence that mixes two versions of the code or
two sets of parameters proves nothing. ``accept_changes`` resumes despite changed
code and records the changes as a gate decision of the resumed phase; changed
parameters are never accepted.

Papermill writes the executing notebook into the run's private working area
(:mod:`.run_workspace`), never into the run folder; each kernel redacts what it
sends (:mod:`.kernel_redaction`) and the ledger copies a redacted notebook into
the run folder when the phase ends, or when a killed phase is resumed.
"""

from __future__ import annotations

import getpass
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
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
    SigningKeyNotFoundError,
    ToolMissingError,
)
from runbook_lib.evidence import MANIFEST_NAME, EvidenceLedger
from runbook_lib.params import (
    RunbookParams,
    diff_keys,
    load_params,
    params_hash,
    redacted_dict,
    resolve_outputs_dir,
)
from runbook_lib.paths import project_root
from runbook_lib.phases.account_guard import require_allowed_account
from runbook_lib.phases.code_fingerprint import CodeFingerprint, code_fingerprint, infra_fingerprint
from runbook_lib.phases.envlock import env_lock
from runbook_lib.phases.kernel_redaction import KERNEL_STARTUP_ARGUMENT
from runbook_lib.phases.run_workspace import RunWorkspace

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


def _check_signing(ledger: EvidenceLedger) -> None:
    """Reach the signing key before any phase runs, so a wrong key fails the run now, not after phase 00.

    A KMS key that does not exist yet is fine only while stack 00 (which creates it) has not been applied
    in this run: the first phase end after that apply signs everything before it.
    """
    try:
        log.info("evidence is signed by %s", ledger.check_signing())
    except SigningKeyNotFoundError as error:
        if not ledger.may_defer_seal():
            raise
        log.warning("%s; phase ends stay unsigned until stack 00_state_backend has created it", error)


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
    accept_changes: bool = False,
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
        accept_changes: with ``resume``, continue although the code (notebooks, library, Terraform code,
            tfvars) changed since the run started; the changes are recorded as a gate decision.

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
    fingerprint = code_fingerprint(notebooks_dir, lib_dir, repo_dir, infra_files=_infra_files(params, root))
    accepted: dict[str, Any] | None = None
    if accept_changes and not resume:
        raise ParamsError(
            "accept_changes", True, ["only with --resume RUN_ID (a new run records the code it starts with)"]
        )

    if resume:
        if phases is not None:
            raise ParamsError("phases", phases, ["(none with --resume: a resumed run keeps its phases)"])
        ledger, selected, statuses, accepted = _open_for_resume(
            resume, env, params, fingerprint, outputs_dir, all_phases, accept_changes=accept_changes
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

    # Whatever phases are selected (or left to resume): phase 00's preflight is not the only gate.
    require_allowed_account(params.aws, where=f"runbook run --env {env}")
    _check_kernel(kernel_name)
    command = f"runbook run --env {env}" + (f" --resume {resume}" if resume else f" --phases {phases or 'all'}")
    # One run per environment; the kernels papermill starts inherit the lock's token (see phases.envlock).
    with env_lock(params, command=command, run_id=run_id, params_dir=params_dir):
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
        _check_signing(ledger)
        workspace = RunWorkspace.of(outputs_dir, run_id).create()
        if not to_run:
            log.info("run %s has no phase left to run", run_id)
            workspace.remove()
            return result
        workspace.rescue(ledger, {p.name: p.path.name for p in to_run})
        for phase in to_run:
            outcome = _execute_phase(
                phase,
                ledger,
                workspace,
                _phase_parameters(params, run_id, run_dir, params_file, phase),
                kernel_name=kernel_name,
                cwd=root,
                execution_timeout=execution_timeout,
                listener=listener,
                accepted=accepted if phase is to_run[0] else None,
            )
            result.executed.append(outcome)
        workspace.remove()
        return result


def _infra_files(params: RunbookParams, root: Path) -> dict[str, str]:
    """The Terraform code and this environment's tfvars, as the code fingerprint records them."""

    def under_root(path: Path) -> Path:
        return path if path.is_absolute() else root / path

    env_dir = params.terraform.env_dir or Path("terraform_infra") / "envs" / params.env
    return infra_fingerprint(
        root, under_root(env_dir), [under_root(var_file) for var_file in params.terraform.var_files]
    )


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
    *,
    accept_changes: bool = False,
) -> tuple[EvidenceLedger, list[Phase], dict[str, str], dict[str, Any] | None]:
    """Reopen a run to resume it; refuse when its parameters, or (unless accepted) its code, changed.

    Returns:
        The ledger, the run's selected phases, each phase's status, and the accepted code changes as a
        gate decision to record (None when nothing changed).
    """
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
    accepted = None
    if changes and not accept_changes:
        refused = ResumeRefusedError(run_id, "code", changes)
        refused.hint = f"{refused.hint}; or resume anyway with --accept-changes (recorded in the evidence)"
        refused.args = (refused.one_line(),)
        raise refused
    if changes:
        log.warning("resuming run %s although its code changed: %s", run_id, ", ".join(changes))
        accepted = {
            "gate": "resume-with-changed-code",
            "approved": True,
            "decided_by": _operator(),
            "mode": "accept_changes",
            "reason": "the operator resumed the run with --accept-changes",
            "changes": changes,
            "sources_sha256_at_start": earlier.sources_sha256,
            "sources_sha256_now": fingerprint.sources_sha256,
            "git_commit_now": fingerprint.git_commit,
        }
    by_name = {p.name: p for p in all_phases}
    selected = [by_name[name] for name in manifest.selected_phases if name in by_name]
    statuses = {name: record.status for name, record in manifest.phases.items()}
    return ledger, selected, statuses, accepted


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"


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


def _execute_phase(
    phase: Phase,
    ledger: EvidenceLedger,
    workspace: RunWorkspace,
    parameters: dict[str, Any],
    *,
    kernel_name: str,
    cwd: Path,
    execution_timeout: int | None,
    listener: RunListener | None,
    accepted: Mapping[str, Any] | None = None,
) -> PhaseOutcome:
    """Execute one notebook; record it (even when it fails) and raise PhaseFailedError on failure.

    Papermill writes into the run's private working area; the run folder only receives the redacted
    copy :meth:`RunWorkspace.capture` makes when the notebook ends.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    in_progress = workspace.notebook(phase.path.name)
    output = ledger.run_dir / "notebooks" / phase.path.name
    ledger.start_phase(phase.name, parameters=parameters)
    if accepted is not None:
        ledger.record_gate(dict(accepted), phase=phase.name)
    if listener:
        listener("start", phase.name, None)
    log.info("phase %s: executing %s -> %s", phase.name, phase.path, output)
    started = time.monotonic()
    failure: tuple[int | None, str, str] | None = None
    cause: BaseException | None = None
    try:
        with workspace.kernel_environment():
            papermill.execute_notebook(
                str(phase.path),
                str(in_progress),
                parameters=parameters,
                kernel_name=kernel_name,
                language="python",
                cwd=str(cwd),
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=True,
                execution_timeout=execution_timeout,
                extra_arguments=[KERNEL_STARTUP_ARGUMENT],
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
    workspace.learn_secrets()  # what the kernel resolved, so the error text and the copy are redacted
    if in_progress.is_file():
        output = ledger.run_dir / workspace.capture(ledger, phase.name, in_progress)
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
