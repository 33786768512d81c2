"""Drive Terraform (or OpenTofu) for one stack: init, plan to a file, review, apply exactly that file.

Why plain subprocess (through :func:`runbook_lib.process.run_command`) and not
python-terraform: that package has not been released since 2020, buffers
output until the process ends (no progress), parses nothing as JSON, still
passes ``destroy -force`` (removed in Terraform 0.15), and re-reads a local
``terraform.tfstate`` after every command. See ``docs/decisions.md``.

The flow every phase uses (the runner built from the params by
:func:`runbook_lib.infra.terraform_setup.runner_from_params`, which also decides what the
runner points at: this module never looks the sandbox up)::

    runner = runner_from_params(params, "phase2_data")
    runner.init()
    review = runner.plan()                  # plan -out=FILE, show -json FILE, sha256 of FILE
    gate = headless_gate(review, ...)       # or interactive_gate(review) in JupyterLab
    result = runner.apply(review, gate=gate)

``apply`` re-checks, in this order, that the gate approved this very file, that
the file's sha256 is still the reviewed one (:class:`StalePlanError`), and that
no stateful resource is deleted or replaced without ``allow_destroy``
(:class:`DestructiveChangeError`); then it applies the saved file - never a
fresh plan - streaming ``-json`` progress into a tqdm bar.

Every command gets ``-input=false -no-color``; ``TF_IN_AUTOMATION=1`` is set.
Commands whose stdout holds values in clear (``show -json``, ``output -json``)
log to ``runbook_lib.terraform.runner.values``, which is capped at INFO so that even a
``-v`` run never writes those values to a log.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runbook_lib import filelock, redact
from runbook_lib.errors import (
    ApplyFailedError,
    ParamsError,
    PlanError,
    StackBusyError,
    StalePlanError,
    StateLockError,
    TerraformError,
)
from runbook_lib.process import CommandResult, run_command
from runbook_lib.terraform import override as tf_override
from runbook_lib.terraform.approval import GateDecision, PendingGate, require_approval
from runbook_lib.terraform.backend import render_backend_config, resolve_binary
from runbook_lib.terraform.destroy_guard import check_destructive, destructive_findings
from runbook_lib.terraform.messages import (
    ApplyStream,
    Diagnostic,
    ResourceApplyStatus,
    diagnostics_of,
    find_lock_conflict,
    parse_json_line,
)
from runbook_lib.terraform.plan import SENSITIVE, Plan, collect_strings, parse_plan
from runbook_lib.terraform.results import ApplyResult, DriftReport, OutputValue
from runbook_lib.terraform.review import PlanReview, file_sha256, mark_applied
from runbook_lib.terraform.state import TfState, parse_state
from runbook_lib.util import format_utc, utc_now

log = logging.getLogger("runbook_lib.terraform.runner")
VALUES_LOGGER = "runbook_lib.terraform.runner.values"
# stdout of `show -json` / `output -json` holds sensitive values in clear: never log it line by line.
logging.getLogger(VALUES_LOGGER).setLevel(logging.INFO)

#: The lock every command of a runner holds on its stack directory (beside the default data dir).
STACK_LOCK_FILE = ".terraform/runbook-stack.lock"

#: Apply hooks per derived action: a replace deletes and creates.
_HOOKS_PER_ACTION = {"create": 1, "update": 1, "delete": 1, "replace": 2, "read": 1, "no-op": 0, "forget": 0}


# ----------------------------------------------------------------------------------------------
# The runner
# ----------------------------------------------------------------------------------------------
class TerraformRunner:
    """Run Terraform/OpenTofu commands for one stack directory.

    Args:
        stack_dir: the Terraform root module.
        binary: ``auto`` (terraform, else tofu), ``terraform``, ``tofu``, or a path.
        env: extra environment variables for every command (``AWS_PROFILE``, ``TF_CLI_CONFIG_FILE`` …).
        var_files: ``-var-file`` arguments for plans (made absolute: commands run in ``stack_dir``).
        backend_config: ``-backend-config`` values for ``init`` (written to a temporary ``.tfbackend``
            file, so map values such as ``endpoints`` work); they win over ``backend_config_files``.
        backend_config_files: ``-backend-config`` files (e.g. ``envs/<env>/backend.hcl``), passed first.
        allow_destroy: addresses the destructive-change guard lets through (``terraform.allow_destroy``).
        endpoint_url: an AWS stand-in URL; when set, ``_sandbox_override.tf`` is written before each
            command and removed after it, under the stack directory's lock, so that no command of another
            environment ever sees it; when not set, an override a killed command left is removed.
        region: region for the override's default provider.
        data_dir: ``TF_DATA_DIR`` (one per environment, so one checkout can serve several).
        env_name: recorded in reviews.
        plan_timeout_s / apply_timeout_s / init_timeout_s: stop the command after this long (SIGINT, so
            Terraform saves its state and releases its lock; SIGTERM, SIGKILL only if it does not stop).
        interrupt_grace_s: how long Terraform may take to stop after that SIGINT.
        lock_timeout: ``-lock-timeout`` for commands that lock state.
        stack_wait_s: how long a command waits for the stack directory while another runner's command
            (another environment's) runs in it, before :class:`StackBusyError`.
    """

    def __init__(
        self,
        stack_dir: str | Path,
        *,
        binary: str = "auto",
        env: Mapping[str, str] | None = None,
        var_files: Iterable[str | Path] = (),
        backend_config: Mapping[str, Any] | None = None,
        backend_config_files: Iterable[str | Path] = (),
        allow_destroy: Sequence[str] = (),
        endpoint_url: str | None = None,
        region: str | None = None,
        data_dir: str | Path | None = None,
        env_name: str | None = None,
        plan_timeout_s: float = 900,
        apply_timeout_s: float = 3600,
        init_timeout_s: float = 600,
        interrupt_grace_s: float = 60,
        lock_timeout: str = "0s",
        stack_wait_s: float = 900,
    ) -> None:
        self.stack_dir = Path(stack_dir).resolve()
        if not self.stack_dir.is_dir():
            raise ParamsError("stack", str(self.stack_dir), "an existing Terraform root directory")
        self.binary = resolve_binary(binary)
        self.env = dict(env or {})
        self.var_files = [Path(v).resolve() for v in var_files]
        self.backend_config = dict(backend_config or {})
        self.backend_config_files = [Path(f).resolve() for f in backend_config_files]
        self.allow_destroy = list(allow_destroy)
        self.endpoint_url = endpoint_url
        self.region = region or self.env.get("AWS_REGION") or "us-east-1"
        self.data_dir = Path(data_dir).resolve() if data_dir else None
        self.env_name = env_name
        self.plan_timeout_s = plan_timeout_s
        self.apply_timeout_s = apply_timeout_s
        self.init_timeout_s = init_timeout_s
        self.interrupt_grace_s = interrupt_grace_s
        self.lock_timeout = lock_timeout
        self.stack_wait_s = stack_wait_s
        self._override: str | None = None
        #: The last apply's result, also when it failed or was interrupted (what evidence records).
        self.last_apply: ApplyResult | None = None

    # -- plumbing -----------------------------------------------------------------------------
    @property
    def work_dir(self) -> Path:
        """Where default plan files go: the data dir (git-ignored ``.terraform``)."""
        return self.data_dir or (self.stack_dir / ".terraform")

    def default_plan_path(self, destroy: bool = False) -> Path:
        return self.work_dir / ("runbook-destroy.tfplan" if destroy else "runbook.tfplan")

    def command_env(self) -> dict[str, str]:
        env = {"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", **self.env}
        if self.data_dir is not None:
            env["TF_DATA_DIR"] = str(self.data_dir)
        return env

    def _run(
        self,
        args: Sequence[str],
        *,
        timeout: float,
        on_line: Callable[[str], None] | None = None,
        values_in_stdout: bool = False,
    ) -> CommandResult:
        with self._stack_held(args[0] if args else ""):
            return run_command(
                [self.binary, *args],
                cwd=self.stack_dir,
                env=self.command_env(),
                timeout=timeout,
                check=False,
                logger_name=VALUES_LOGGER if values_in_stdout else "runbook_lib.terraform.runner",
                on_stdout_line=on_line,
                error_cls=TerraformError,
                interrupt_grace_s=self.interrupt_grace_s,
            )

    def _failure(self, result: CommandResult, messages: Sequence[Mapping[str, Any]] = ()) -> TerraformError:
        """The error for a failed command: a lock conflict, or Terraform's diagnostics."""
        lock = find_lock_conflict(messages, result.stderr)
        errors = [d.one_line() for d in diagnostics_of(messages) if d.severity == "error"]
        text = "\n".join([*errors, result.stderr.strip()]).strip()
        if lock is not None:
            return StateLockError(result.command, result.returncode, text, lock)
        return TerraformError(result.command, result.returncode, text)

    @contextlib.contextmanager
    def _stack_held(self, command: str) -> Iterator[None]:
        """Hold the stack directory for one command; the endpoint override exists only inside.

        Terraform reads every ``*.tf`` of the directory, so an override written for the sandbox would
        redirect a dev or prod command run in the same directory (and write emulator IDs into its state).
        Every command of every runner takes the directory's lock; a sandbox runner writes the override
        under it and removes it after; any other runner removes one that a killed command left.
        """
        path = self.stack_dir / STACK_LOCK_FILE
        body = {
            "env": self.env_name,
            "command": command,
            "pid": os.getpid(),
            "who": f"{filelock.current_user()}@{socket.gethostname()}",
            "since": utc_now(),
        }

        def waiting(holder: dict[str, Any] | None) -> None:
            log.info("waiting for %s: another command runs in it (%s)", self.stack_dir.name, holder or "?")

        held = filelock.wait_lock(path, body, timeout_s=self.stack_wait_s, on_wait=waiting)
        if held is None:
            raise StackBusyError(str(self.stack_dir), filelock.read_body(path), self.stack_wait_s)
        try:
            if self.endpoint_url:
                if self._override is None:
                    self._override = tf_override.override_text(self.stack_dir, self.endpoint_url, self.region)
                tf_override.write_override_text(self.stack_dir, self._override)
            elif tf_override.remove_override(self.stack_dir):
                log.warning("removed a sandbox endpoint override a killed command left in %s", self.stack_dir)
            yield
        finally:
            try:
                if self.endpoint_url:
                    tf_override.remove_override(self.stack_dir)
            finally:
                held.release()

    # -- commands -----------------------------------------------------------------------------
    def version(self) -> dict[str, Any]:
        """``version -json``: ``terraform_version``, provider selections, ``platform``."""
        result = self._run(["version", "-json"], timeout=60)
        if not result.ok:
            raise self._failure(result)
        return json.loads(result.stdout)

    def init(
        self,
        backend_config: Mapping[str, Any] | None = None,
        *,
        upgrade: bool = False,
        reconfigure: bool | None = None,
    ) -> CommandResult:
        """``init``, with the runner's backend config merged with ``backend_config``.

        ``reconfigure`` defaults to True against a stand-in only: the sandbox's endpoint port
        changes between sandbox runs, which Terraform would otherwise report as a changed
        backend; against real AWS a changed backend must stop the run.
        """
        config = {**self.backend_config, **(backend_config or {})}
        args = ["init", "-input=false", "-no-color"]
        if upgrade:
            args.append("-upgrade")
        if reconfigure is None:
            reconfigure = bool(self.endpoint_url)
        if reconfigure:
            args.append("-reconfigure")
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        args += [f"-backend-config={f}" for f in self.backend_config_files]
        backend_file: Path | None = None
        try:
            if config:
                handle, name = tempfile.mkstemp(suffix=".tfbackend", prefix="runbook-")
                with os.fdopen(handle, "w") as fh:
                    fh.write(render_backend_config(config))
                backend_file = Path(name)
                args.append(f"-backend-config={backend_file}")
            result = self._run(args, timeout=self.init_timeout_s)
        finally:
            if backend_file is not None:
                backend_file.unlink(missing_ok=True)
        if not result.ok:
            raise self._failure(result)
        return result

    def _plan_args(self, out: Path, *, destroy: bool, refresh_only: bool, detailed: bool) -> list[str]:
        args = [
            "plan",
            "-input=false",
            "-no-color",
            "-json",
            f"-out={out}",
            f"-lock-timeout={self.lock_timeout}",
        ]
        if destroy:
            args.append("-destroy")
        if refresh_only:
            args.append("-refresh-only")
        if detailed:
            args.append("-detailed-exitcode")
        args += [f"-var-file={v}" for v in self.var_files]
        return args

    def plan(
        self,
        out: str | Path | None = None,
        *,
        destroy: bool = False,
        targets: Sequence[str] = (),
    ) -> PlanReview:
        """``plan -out=FILE`` then ``show -json FILE``; returns the review and writes ``<FILE>.review.json``.

        A plan that deletes stateful resources is *not* refused here - the reviewer
        should see it - but ``review.refused`` lists what ``apply`` will refuse.

        Raises:
            StateLockError: another run holds the state lock.
            TerraformError: the plan failed.
        """
        out_path = Path(out).resolve() if out else self.default_plan_path(destroy)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        created = _private_file(out_path)
        args = self._plan_args(out_path, destroy=destroy, refresh_only=False, detailed=False)
        args += [f"-target={t}" for t in targets]
        messages: list[dict[str, Any]] = []
        result = self._run(args, timeout=self.plan_timeout_s, on_line=_collect_into(messages))
        if not result.ok:
            if created and out_path.exists() and out_path.stat().st_size == 0:
                out_path.unlink()
            raise self._failure(result, messages)
        os.chmod(out_path, 0o600)
        warnings = tuple(d for d in diagnostics_of(messages) if d.severity == "warning")
        return self.review(out_path, destroy=destroy, warnings=warnings)

    def review(
        self,
        plan_path: str | Path,
        *,
        destroy: bool = False,
        warnings: Sequence[Diagnostic] = (),
        save: bool = True,
    ) -> PlanReview:
        """Review an existing plan file: sha256, ``show -json``, guard preview; ``save`` writes the record.

        ``runbook tf apply`` calls this with ``save=False`` on a file planned earlier, so
        the record written at plan time (and its timestamp) stays as it was.
        """
        plan_path = Path(plan_path).resolve()
        sha_before = file_sha256(plan_path)
        plan = self.show(plan_path, plan_sha256=sha_before)
        sha_after = file_sha256(plan_path)
        if sha_after != sha_before:
            raise PlanError(f"plan file {plan_path} changed while it was being read", hint="plan again")
        review = PlanReview(
            plan=plan,
            plan_path=plan_path,
            plan_sha256=sha_before,
            stack_dir=self.stack_dir,
            destroy=destroy,
            env=self.env_name,
            destructive=tuple(destructive_findings(plan, self.allow_destroy)),
            warnings=tuple(warnings),
        )
        if save:
            review.save()
        log.info(
            "plan %s (%s): %s", plan_path.name, sha_before[:12], {a: n for a, n in plan.counts().items() if n}
        )
        return review

    def show(self, plan_path: str | Path, *, plan_sha256: str | None = None) -> Plan:
        """``show -json PLANFILE`` as a :class:`Plan`; sensitive values go to the redactor, not the model."""
        result = self._run(
            ["show", "-json", "-no-color", str(plan_path)], timeout=self.plan_timeout_s, values_in_stdout=True
        )
        if not result.ok:
            raise self._failure(result)
        found: set[str] = set()
        plan = parse_plan(result.stdout, plan_sha256=plan_sha256, secret_sink=found.add)
        _register_secrets(found)
        return plan

    def apply(
        self,
        review: PlanReview,
        *,
        gate: GateDecision | PendingGate | None = None,
        progress: bool = True,
    ) -> ApplyResult:
        """Apply the reviewed plan file exactly, after the gate, sha256 and destructive-change checks.

        Args:
            review: from :meth:`plan`.
            gate: an approving :class:`GateDecision` or an approved :class:`PendingGate` for this file.
            progress: show a tqdm bar (notebook widget or terminal) fed by ``apply -json``.

        Raises:
            PlanError: the gate is pending / missing / about another plan file.
            PlanRejectedError: the gate rejected the plan.
            StalePlanError: the plan file is not the reviewed one.
            DestructiveChangeError: stateful resources would be deleted without ``allow_destroy``.
            StateLockError: another run holds the state lock.
            ApplyFailedError: Terraform failed part-way or ran past ``apply_timeout_s`` (``error.result`` has
                per-resource status; :attr:`last_apply` keeps it too, also when the apply was interrupted).
        """
        self.last_apply = None
        decision = require_approval(gate, review)
        actual = file_sha256(review.plan_path)
        if actual != review.plan_sha256:
            raise StalePlanError(str(review.plan_path), review.plan_sha256, actual)
        check_destructive(review.plan, self.allow_destroy)

        expected = sum(_HOOKS_PER_ACTION.get(rc.action, 1) for rc in review.plan.resource_changes.values())
        bar = _progress_bar(expected, f"apply {self.stack_dir.name}", enabled=progress)

        def on_progress(done: int, status: ResourceApplyStatus) -> None:
            if bar is None:
                return
            if done > bar.total:
                bar.total = done
            bar.set_postfix_str(f"{status.status} {status.address}"[:60], refresh=False)
            bar.update(1)

        stream = ApplyStream(on_progress=on_progress)
        args = [
            "apply",
            "-input=false",
            "-no-color",
            "-json",
            f"-lock-timeout={self.lock_timeout}",
            str(review.plan_path),
        ]
        started = datetime.now(UTC)
        timed_out: TerraformError | None = None
        try:
            result = self._run(args, timeout=self.apply_timeout_s, on_line=stream.feed_line)
        except TerraformError as error:
            if error.timed_out_after is None:
                raise
            timed_out = error  # stopped with SIGINT first: Terraform saved what it completed
            result = CommandResult(tuple(error.command), error.returncode, "", error.stderr)
        except KeyboardInterrupt:
            self.last_apply = _apply_result(review, decision, stream, started, returncode=-2)
            raise
        finally:
            if bar is not None:
                bar.close()
        apply_result = _apply_result(review, decision, stream, started, returncode=result.returncode)
        self.last_apply = apply_result
        if timed_out is not None:
            failed = ApplyFailedError(
                result.command,
                result.returncode,
                timed_out.stderr,
                apply_result,
                hint=f"the apply ran past {self.apply_timeout_s:.0f}s and was stopped with {timed_out.stopped_with}; "
                "see which resources completed, then plan and review again",
            )
            failed.timed_out_after = timed_out.timed_out_after
            failed.stopped_with = timed_out.stopped_with
            raise failed
        if not result.ok:
            error = self._failure(result, stream.messages)
            if isinstance(error, StateLockError):
                raise error
            if any("saved plan is stale" in d.summary.lower() for d in stream.diagnostics):
                raise PlanError(
                    f"Terraform refused {review.plan_path.name}: the state changed since it was planned",
                    hint="plan and review again",
                )
            raise ApplyFailedError(result.command, result.returncode, error.stderr, apply_result)
        mark_applied(review.plan_path, apply_result.finished_at)
        log.info("applied %s: %s", review.plan_path.name, stream.change_summary)
        return apply_result

    def destroy(
        self,
        approve: Callable[[PlanReview], GateDecision | PendingGate],
        *,
        out: str | Path | None = None,
        progress: bool = True,
    ) -> tuple[PlanReview, ApplyResult]:
        """``plan -destroy``, then the same guard, gate and apply of the saved file as any change.

        Args:
            approve: turns the destroy review into a gate decision, e.g.
                ``lambda r: headless_gate(r, ["delete"], "ops")``. Interactive use: call
                ``plan(destroy=True)``, ``interactive_gate`` and ``apply`` yourself.
        """
        review = self.plan(out, destroy=True)
        check_destructive(review.plan, self.allow_destroy)
        decision = approve(review)
        return review, self.apply(review, gate=decision, progress=progress)

    def force_unlock(self, lock_id: str) -> CommandResult:
        """``force-unlock -force LOCK_ID``: free a state lock whose operation is known to be over.

        Only for a lock that an operation of ours left (killed before it could release it); a lock
        another run holds must be waited for, never forced.
        """
        result = self._run(["force-unlock", "-force", lock_id], timeout=self.init_timeout_s)
        if not result.ok:
            raise self._failure(result)
        log.warning("force-unlocked the state of %s (lock %s)", self.stack_dir.name, lock_id)
        return result

    def outputs(self, *, reveal: bool = False) -> dict[str, OutputValue]:
        """``output -json``, typed. Sensitive values are masked unless ``reveal`` (they are registered
        with the redactor either way, so they cannot leak into evidence)."""
        result = self._run(
            ["output", "-json", "-no-color"], timeout=self.plan_timeout_s, values_in_stdout=True
        )
        if not result.ok:
            raise self._failure(result)
        return _outputs_from(json.loads(result.stdout or "{}"), reveal=reveal)

    def state(self) -> TfState:
        """``show -json`` of the stack's current state, as a :class:`~runbook_lib.terraform.state.TfState`.

        Post-apply verification reads each resource of this back from AWS. Sensitive
        attributes are masked in the result and registered with the redactor. A stack never
        applied gives an empty state, not an error. Needs ``init`` first (the backend).
        """
        result = self._run(["show", "-json", "-no-color"], timeout=self.plan_timeout_s, values_in_stdout=True)
        if not result.ok:
            raise self._failure(result)
        found: set[str] = set()
        state = parse_state(result.stdout or "{}", secret_sink=found.add)
        _register_secrets(found)
        return state

    def drift(self, *, mode: str = "refresh-only", created: frozenset[str] = frozenset()) -> DriftReport:
        """Compare the real infrastructure with Terraform's state.

        ``refresh-only`` (default) runs ``plan -refresh-only -detailed-exitcode``: exit 2 and
        ``resource_drift`` mean something changed outside Terraform. ``plan`` runs an ordinary
        ``plan -detailed-exitcode``: exit 2 means Terraform would change something (drift *or*
        configuration not yet applied), and the planned changes are listed too. The plan file is
        temporary and never applied. ``created`` (addresses the last apply created) lets attributes
        their configuration does not set settle instead of counting as drift (:mod:`.configured`).
        """
        if mode not in ("refresh-only", "plan"):
            raise ParamsError("mode", mode, ["refresh-only", "plan"])
        with tempfile.TemporaryDirectory(prefix="runbook-drift-") as tmp:
            out = Path(tmp) / "drift.tfplan"
            args = self._plan_args(out, destroy=False, refresh_only=mode == "refresh-only", detailed=True)
            messages: list[dict[str, Any]] = []
            result = self._run(args, timeout=self.plan_timeout_s, on_line=_collect_into(messages))
            if result.returncode not in (0, 2):
                raise self._failure(result, messages)
            plan = self.show(out, plan_sha256=file_sha256(out))
        report = DriftReport.from_plan(plan, result.returncode, mode, created=created)
        log.info("drift check (%s): %d items, exit %d", mode, len(report.items), result.returncode)
        return report


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------
def _private_file(path: Path) -> bool:
    """Make ``path`` exist with mode 0600 before Terraform writes a plan into it; True if it was created here.

    Why before, not after: a saved plan holds sensitive values in clear, and Terraform truncates an
    existing file (keeping its mode) but creates a new one with the umask's mode (0644): chmod afterwards
    would leave it readable by everyone while the plan runs.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
        return False
    os.close(fd)
    return True


def _apply_result(
    review: PlanReview, decision: GateDecision, stream: ApplyStream, started: datetime, *, returncode: int
) -> ApplyResult:
    """What the ``apply -json`` stream said so far: complete after a finished apply, partial after a stop."""
    finished = datetime.now(UTC)
    return ApplyResult(
        plan_sha256=review.plan_sha256,
        returncode=returncode,
        started_at=format_utc(started),
        finished_at=format_utc(finished),
        duration_s=(finished - started).total_seconds(),
        resources=stream.statuses(),
        diagnostics=tuple(stream.diagnostics),
        change_summary=stream.change_summary,
        outputs=_outputs_from(stream.outputs, reveal=False),
        gate=decision,
    )


def _collect_into(messages: list[dict[str, Any]]) -> Callable[[str], None]:
    def collect(line: str) -> None:
        message = parse_json_line(line)
        if message is not None and message.get("type") in ("diagnostic", "change_summary"):
            messages.append(message)

    return collect


def _outputs_from(raw: Mapping[str, Any], *, reveal: bool) -> dict[str, OutputValue]:
    out: dict[str, OutputValue] = {}
    for name, item in raw.items():
        sensitive = bool(item.get("sensitive"))
        value = item.get("value")
        if sensitive and "value" in item:
            _register_strings(value)
        out[name] = OutputValue(
            name=name,
            value=value if (reveal or not sensitive) else SENSITIVE,
            type=item.get("type"),
            sensitive=sensitive,
        )
    return out


def _register_strings(value: Any) -> None:
    found: set[str] = set()
    collect_strings(value, found.add)
    _register_secrets(found)


def _register_secrets(values: Iterable[str]) -> None:
    """Hand sensitive values to the process-wide redactor, once each, skipping ones too short to mask."""
    for value in values:
        if len(value) >= redact.MIN_SECRET_LENGTH:
            redact.register_secret(value)


def _progress_bar(total: int, desc: str, *, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm  # picks the notebook widget or the terminal bar at call time

    return tqdm(total=max(total, 1), desc=desc, unit="res", leave=True)
