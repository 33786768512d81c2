"""The coordinator of ``runbook iac check``: every quality gate of ``terraform_infra/`` on one snapshot.

Why one command: "the infrastructure code is good" is several claims - formatted, valid, free of
checkov findings, plannable, and (in the sandbox) applied and read back with the properties that
matter. Each is cheap to forget and each alone proves little, so :class:`IacCheck` runs them all
and reports module x (fmt, validate, checkov, planned, applied, verified), the same per stack, and
the production plan's coverage (:mod:`.coverage`). Later stacks of the production plan read the
sandbox-applied state of earlier ones, because a production state does not exist here.

Every part works on its own copy of ``terraform_infra`` (under the sandbox folder), so the endpoint
override, ``.terraform`` folders and lock files of this check never touch the working tree another
run may be using. At most :data:`MAX_TERRAFORM` Terraform processes run at once (the AWS provider
takes ~700 MB per process); checkov runs beside them. A failed part is recorded in the report and
never stops the others.

With ``--destroy`` the destroy and the leftover listing run even when an earlier part failed or was
interrupted, so a check that fails part-way still removes and reports what it created. A destroy that
finds a stack's state lock held reports the holder (``state_locks``); when the lock was left by an
earlier, finished operation of this very check (same ``user@host``, created since the check started)
it is force-unlocked - sandbox only - and the destroy is tried again.
"""

from __future__ import annotations

import json
import logging
import os
import pwd
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from runbook_lib.clients import aws_client
from runbook_lib.endpoints import aws_endpoint_url, is_sandbox
from runbook_lib.errors import ParamsError, RunbookError, StateLockError
from runbook_lib.infra.iac_check.assemble import PartResults, assemble_report
from runbook_lib.infra.iac_check.checkov import CheckovReport, find_checkov, run_checkov
from runbook_lib.infra.iac_check.coverage import PROD_ENV, measure_coverage
from runbook_lib.infra.iac_check.gaps import parse_gap_docs
from runbook_lib.infra.iac_check.leftovers import find_leftovers, project_markers
from runbook_lib.infra.iac_check.report import IacCheckReport, Leftover, StackRun, error_text
from runbook_lib.infra.iac_check.units import LOGGER_NAME, Unit, discover_units, snapshot_tree
from runbook_lib.infra.iac_check.validate import ValidateResult, run_fmt, validate_unit
from runbook_lib.infra.iac_check.waves import destroy_waves, stack_dependencies
from runbook_lib.infra.terraform_setup import runner_from_params
from runbook_lib.infra.verify import verify_state, waivers_from_tfvars
from runbook_lib.params import RunbookParams
from runbook_lib.paths import project_root, sandbox_dir
from runbook_lib.terraform.approval import headless_gate
from runbook_lib.terraform.backend import resolve_binary
from runbook_lib.terraform.runner import TerraformRunner
from runbook_lib.terraform.tfvars import TfVars, read_tfvars

log = logging.getLogger(LOGGER_NAME)

#: Terraform processes at once: two cores, ~700 MB of provider per process.
MAX_TERRAFORM = 2
#: Actions that mean "this resource will exist after the plan".
_EXISTS_AFTER = frozenset({"create", "update", "no-op", "replace"})
_APPLY_ACTIONS = ("no-op", "read", "create", "update")
_DESTROY_ACTIONS = ("no-op", "read", "delete")


class IacCheck:
    """Run the checks of ``runbook iac check`` for one environment's params.

    Args:
        params: the environment (``runbook_lib.params.load_params``); sandbox parts need a stand-in.
        apply: apply stacks 00->06 in the sandbox (headless gate, the params' policy) before verifying.
        destroy: afterwards destroy them in reverse order and check the emulator holds nothing of the project.
        static_only: only fmt, validate, checkov.
        static: run fmt, validate and checkov (off: only the sandbox and production-plan parts).
        tf_root: the ``terraform_infra`` to check (default: the checkout's).
        work_dir: where snapshots and Terraform data go (default: ``<sandbox>/iac-check``).
        checkov: the checkov executable (default: :func:`find_checkov`).
        stacks: restrict the sandbox and prod-plan parts to these stacks (default: all, in order).
    """

    def __init__(
        self,
        params: RunbookParams,
        *,
        apply: bool = False,
        destroy: bool = False,
        static_only: bool = False,
        static: bool = True,
        tf_root: Path | None = None,
        work_dir: Path | None = None,
        checkov: str | None = None,
        stacks: Sequence[str] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.params = params
        self.sandboxed = is_sandbox(params.aws)
        if (apply or destroy) and not self.sandboxed:
            raise ParamsError(
                "--apply/--destroy",
                params.env,
                "an environment whose aws.endpoint_url is a sandbox",
                message=f"iac check applies and destroys only in a sandbox; {params.env} is real AWS",
            )
        self.apply = apply
        self.destroy = destroy
        self.static_only = static_only
        self.static = static or static_only
        self.root = project_root()
        self.tf_root = (tf_root or self.root / "terraform_infra").resolve()
        if work_dir is None:
            if self.sandboxed:
                work_dir = sandbox_dir() / "iac-check"
            else:
                work_dir = Path(tempfile.mkdtemp(prefix="runbook-iac-check-"))
        self.work_dir = Path(work_dir).resolve()
        self.checkov = checkov
        self.only_stacks = list(stacks) if stacks else None
        self._say = progress or (lambda message: log.info("%s", message))
        self._slots = threading.BoundedSemaphore(MAX_TERRAFORM)
        self._lock = threading.Lock()
        #: When this check started and who it runs as, as Terraform writes them into a state lock's info.
        self._started = datetime.now(UTC)
        self._who = {f"{name}@{socket.gethostname()}" for name in _user_names()}

    # -- helpers --------------------------------------------------------------------------------
    def _binary(self) -> str:
        return resolve_binary(self.params.terraform.binary)

    def _scoped_params(self, tf_root: Path, env: str) -> RunbookParams:
        """The params with stacks_dir/env_dir pointing into a snapshot."""
        tf = self.params.terraform.model_copy(
            update={"stacks_dir": tf_root / "stacks", "env_dir": tf_root / "envs" / env}
        )
        return self.params.model_copy(update={"terraform": tf})

    def _tfvars(self, tf_root: Path, env: str, stack: str) -> TfVars | None:
        path = tf_root / "envs" / env / f"{stack}.tfvars"
        return read_tfvars(path) if path.is_file() else None

    # -- the run -----------------------------------------------------------------------------------
    def check_all(self) -> IacCheckReport:
        """Run everything; failures of one part are recorded in the report, never stop the other parts."""
        started = time.monotonic()
        measured = self.sandboxed and not self.static_only  # the sandbox part runs
        if measured:
            aws_endpoint_url(self.params.aws)  # SandboxDownError now, not seven times later
        report = IacCheckReport(self.params.env, self.apply, self.destroy)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        static_root = snapshot_tree(self.tf_root, self.work_dir / "static" / "terraform_infra")
        units = discover_units(static_root)
        stacks = [u.name for u in units if u.kind == "stack"]
        if self.only_stacks:
            unknown = sorted(set(self.only_stacks) - set(stacks))
            if unknown:
                raise ParamsError("stack", ", ".join(unknown), stacks)
            stacks = [s for s in stacks if s in self.only_stacks]
        binary = self._binary()
        runs = {s: StackRun(s) for s in stacks}
        report.runs = runs

        fmt: dict[str, Any] = {}
        validations: dict[str, ValidateResult] = {}
        checkov: CheckovReport | None = None
        try:
            with ThreadPoolExecutor(max_workers=MAX_TERRAFORM + 2, thread_name_prefix="iac-check") as pool:
                checkov_f = fmt_f = validate_f = None
                if self.static:
                    checkov_f = pool.submit(self._timed, report, "checkov", self._checkov, static_root)
                    fmt_f = pool.submit(self._timed, report, "fmt", run_fmt, binary, static_root)
                    validate_f = pool.submit(
                        self._timed, report, "validate", self._validate_all, binary, static_root, units
                    )
                sandbox_f: Future[Any] | None = None
                if measured:
                    sandbox_f = pool.submit(self._timed, report, "sandbox", self._sandbox_sequence, runs, report)
                fmt = (self._result(fmt_f, report, "fmt") if fmt_f else None) or {}
                validations = (self._result(validate_f, report, "validate") if validate_f else None) or {}
                checkov = self._result(checkov_f, report, "checkov") if checkov_f else None
                if sandbox_f is not None:
                    self._result(sandbox_f, report, "sandbox")
            if measured:
                self._timed(report, "prod_plan", self._prod_plans, runs, report)
        except Exception as error:  # noqa: BLE001 - reported; what the check created is still destroyed below
            log.exception("iac check failed part-way")
            report.errors.append(f"check: {error_text(error)}")
        finally:
            if measured and self.destroy:  # also after a failure or an interrupt: clean up what was created
                self._clean_up(runs, report)
        parts = PartResults(units, fmt, validations, checkov, runs)
        assemble_report(report, parts, static_root, static=self.static, measured=measured)
        if measured:
            self._coverage(report, runs, static_root)
        report.durations_s["total"] = round(time.monotonic() - started, 1)
        return report

    def _clean_up(self, runs: dict[str, StackRun], report: IacCheckReport) -> None:
        """Destroy every stack and list what is left; a failure here is reported, never raised."""
        for name, func, args in (
            ("destroy", self._destroy_sequence, (runs, report)),
            ("leftovers", self.leftovers, ()),
        ):
            try:
                result = self._timed(report, name, func, *args)
            except Exception as error:  # noqa: BLE001
                log.exception("%s failed", name)
                report.errors.append(f"{name}: {error_text(error)}")
                continue
            if name == "leftovers":
                report.leftovers = result

    def _timed(self, report: IacCheckReport, name: str, func: Callable[..., Any], *args: Any) -> Any:
        started = time.monotonic()
        try:
            return func(*args)
        finally:
            with self._lock:
                report.durations_s[name] = round(time.monotonic() - started, 1)

    def _result(self, future: Future[Any], report: IacCheckReport, what: str) -> Any:
        try:
            return future.result()
        except RunbookError as error:
            report.errors.append(f"{what}: {error.one_line()}")
        except Exception as error:  # noqa: BLE001 - a failed part is reported, the others still count
            log.exception("%s failed", what)
            report.errors.append(f"{what}: {type(error).__name__}: {error}")
        return None

    # -- static -------------------------------------------------------------------------------
    def _checkov(self, tf_root: Path) -> CheckovReport:
        self._say("checkov: scanning")
        return run_checkov(self.checkov or find_checkov(self.root), tf_root)

    def _validate_all(self, binary: str, tf_root: Path, units: Sequence[Unit]) -> dict[str, ValidateResult]:
        out: dict[str, ValidateResult] = {}
        data = self.work_dir / "static" / "tf-data"

        def one(unit: Unit) -> ValidateResult:
            with self._slots:
                return validate_unit(binary, tf_root / unit.rel, data / f"{unit.kind}-{unit.name}", unit.key, {})

        # One validation at a time when the sandbox sequence holds the other slot; two otherwise.
        with ThreadPoolExecutor(max_workers=MAX_TERRAFORM, thread_name_prefix="validate") as pool:
            for unit, result in zip(units, pool.map(one, units), strict=True):
                out[unit.key] = result
        self._say(f"validate: {sum(r.valid for r in out.values())}/{len(out)} valid")
        return out

    # -- sandbox ------------------------------------------------------------------------------
    def _sandbox_runner(self, stack: str, **overrides: Any) -> TerraformRunner:
        tf_root = self.work_dir / "sandbox" / "terraform_infra"
        return runner_from_params(self._scoped_params(tf_root, self.params.env), stack, **overrides)

    def _sandbox_sequence(self, runs: dict[str, StackRun], report: IacCheckReport) -> None:
        """Stacks in order: init, plan, (gate + apply), state, verify. One slot for the whole sequence."""
        tf_root = snapshot_tree(self.tf_root, self.work_dir / "sandbox" / "terraform_infra")
        gates = self.params.gates
        with self._slots:
            for stack, run in runs.items():
                t0 = time.monotonic()
                try:
                    runner = self._sandbox_runner(stack)
                    runner.init()
                    review = runner.plan()
                    run.plan_counts = {a: n for a, n in review.plan.counts().items() if n}
                    run.planned_sandbox = sum(
                        1
                        for rc in review.plan.resource_changes.values()
                        if rc.mode == "managed" and rc.action in _EXISTS_AFTER
                    )
                    run.durations_s["plan"] = round(time.monotonic() - t0, 1)
                    if self.apply and review.plan.changes:
                        gate = headless_gate(
                            review,
                            list(gates.auto_approve_actions or _APPLY_ACTIONS),
                            gates.approver or "iac-check",
                            gate="iac-check-apply",
                        )
                        result = runner.apply(review, gate=gate, progress=False)
                        run.apply_summary = dict(result.change_summary)
                        run.durations_s["apply"] = round(time.monotonic() - t0 - run.durations_s["plan"], 1)
                except Exception as error:  # noqa: BLE001 - record and go on: later stacks may still plan
                    run.errors.append(error_text(error))
                    log.warning("sandbox %s: %s", stack, run.errors[-1])
                try:
                    t1 = time.monotonic()
                    runner = self._sandbox_runner(stack)
                    state = runner.state()
                    run.state_addresses = tuple(r.address for r in state.managed)
                    run.applied = bool(state.managed)
                    waivers = waivers_from_tfvars(self._tfvars(tf_root, self.params.env, stack))
                    run.verification = verify_state(state, stack=stack, aws=self.params.aws, waivers=waivers)
                    run.durations_s["verify"] = round(time.monotonic() - t1, 1)
                except Exception as error:  # noqa: BLE001
                    run.errors.append(f"state/verify: {error_text(error)}")
                self._say(
                    f"sandbox {stack}: plan {run.plan_counts} "
                    f"state {len(run.state_addresses)} verified "
                    f"{run.verification.counts() if run.verification else '-'}"
                    + (f" ERRORS {run.errors}" if run.errors else "")
                )

    def _prod_runner(self, stack: str, tf_root: Path) -> TerraformRunner:
        """A runner for the production tfvars against the stand-in: local backend, sandbox remote state."""
        stack_dir = tf_root / "stacks" / stack
        (stack_dir / "_iac_check_backend_override.tf").write_text(
            "# Written by runbook iac check: plan the production tfvars without a production backend.\n"
            'terraform {\n  backend "local" {}\n}\n'
        )
        template = self._sandbox_runner(stack)  # the stand-in's endpoints and credentials
        var_files = [tf_root / "envs" / PROD_ENV / f"{stack}.tfvars"]
        sandbox_vars = self._tfvars(tf_root, self.params.env, stack)
        redirect = {
            k: sandbox_vars.values[k]
            for k in ("state_key_prefix", "remote_state_backend", "remote_state_config")
            if sandbox_vars is not None and k in sandbox_vars.values
        }
        if redirect:
            extra = stack_dir / "_iac_check_remote_state.tfvars.json"
            extra.write_text(json.dumps(redirect, indent=2))
            var_files.append(extra)
        data_dir = stack_dir / ".terraform" / "envs" / "iac-check-prod"
        return TerraformRunner(
            stack_dir,
            binary=self.params.terraform.binary,
            env=template.env,
            var_files=[v for v in var_files if v.is_file()],
            backend_config={"path": str(data_dir / "terraform.tfstate")},
            endpoint_url=template.endpoint_url,
            region=template.region,
            data_dir=data_dir,
            env_name=f"{PROD_ENV}-plan",
            plan_timeout_s=self.params.terraform.plan_timeout_s,
        )

    def _prod_plans(self, runs: dict[str, StackRun], report: IacCheckReport) -> None:
        """Plan every stack with the production tfvars (two at a time); record addresses or the error."""
        tf_root = snapshot_tree(self.tf_root, self.work_dir / "prod-plan" / "terraform_infra")

        def one(stack: str) -> None:
            run = runs[stack]
            t0 = time.monotonic()
            with self._slots:
                try:
                    runner = self._prod_runner(stack, tf_root)
                    runner.init()
                    review = runner.plan()
                    run.prod_planned = tuple(
                        (rc.address, rc.type)
                        for rc in review.plan.resource_changes.values()
                        if rc.mode == "managed" and rc.action in _EXISTS_AFTER
                    )
                except Exception as error:  # noqa: BLE001
                    run.prod_plan_error = error_text(error)
            run.durations_s["prod_plan"] = round(time.monotonic() - t0, 1)
            self._say(
                f"prod plan {stack}: "
                + (f"{len(run.prod_planned)} resources" if run.prod_planned is not None else run.prod_plan_error[:200])
            )

        with ThreadPoolExecutor(max_workers=MAX_TERRAFORM, thread_name_prefix="prod-plan") as pool:
            list(pool.map(one, list(runs)))

    def _destroy_sequence(self, runs: dict[str, StackRun], report: IacCheckReport) -> None:
        """Destroy stacks in reverse dependency order through the same guard and a headless gate for deletes.

        Stacks no remaining stack reads (through ``terraform_remote_state``) go together, two at a time
        (05 with 06, then 03 with 04): each destroy mostly waits on the API, so a wave takes as long as
        its slowest stack.
        """
        tf_root = self.work_dir / "sandbox" / "terraform_infra"
        waves = destroy_waves(list(runs), stack_dependencies(tf_root / "stacks", list(runs)))
        with self._slots, ThreadPoolExecutor(max_workers=MAX_TERRAFORM, thread_name_prefix="destroy") as pool:
            for wave in waves:
                list(pool.map(lambda stack: self._destroy_one(runs[stack], report), wave))

    def _destroy_one(self, run: StackRun, report: IacCheckReport | None = None) -> None:
        t0 = time.monotonic()
        try:
            runner = self._sandbox_runner(run.stack, allow_destroy=["*"])
            runner.init()
            try:
                self._destroy_with(runner)
            except StateLockError as error:
                if not self._unlock_left_behind(runner, run, error.lock_info, report):
                    raise
                self._destroy_with(runner)
            run.destroyed = True
        except Exception as error:  # noqa: BLE001
            run.destroyed = False
            run.errors.append(f"destroy: {error_text(error)}")
        run.durations_s["destroy"] = round(time.monotonic() - t0, 1)
        self._say(f"destroy {run.stack}: {'ok' if run.destroyed else run.errors[-1][:200]}")

    def _destroy_with(self, runner: TerraformRunner) -> None:
        review = runner.plan(destroy=True)
        if review.plan.changes:
            gate = headless_gate(
                review,
                list(_DESTROY_ACTIONS),
                self.params.gates.approver or "iac-check",
                gate="iac-check-destroy",
            )
            runner.apply(review, gate=gate, progress=False)

    def _unlock_left_behind(
        self, runner: TerraformRunner, run: StackRun, info: Mapping[str, str], report: IacCheckReport | None
    ) -> bool:
        """Report a held state lock; force-unlock it when this check's own finished operation left it.

        The destroy runs after every other operation of this check on the stack has returned, so a lock
        taken by this user@host since the check started belongs to an operation that is over (killed
        before it could release it). Anything else - another user or host, an older lock - stays.
        """
        finding = {
            "stack": run.stack,
            "lock_id": info.get("ID", ""),
            "who": info.get("Who", ""),
            "operation": info.get("Operation", ""),
            "created": info.get("Created", ""),
            "path": info.get("Path", ""),
        }
        unlocked = False
        if not (self.sandboxed and self.left_by_this_check(info)):
            finding["action"] = "left in place: not an operation of this check"
        else:
            try:
                runner.force_unlock(finding["lock_id"])
                finding["action"] = "force-unlocked: this check's own operation had ended without releasing it"
                unlocked = True
            except RunbookError as error:
                finding["action"] = f"force-unlock failed: {error.one_line()}"
        log.warning("destroy %s: state lock %s held (%s)", run.stack, finding["lock_id"], finding["action"])
        if report is not None:
            with self._lock:
                report.state_locks.append(finding)
        return unlocked

    def left_by_this_check(self, info: Mapping[str, str]) -> bool:
        """Whether a state lock's info names this check's user@host and a time since the check started."""
        created = _lock_created(info.get("Created", ""))
        return (
            bool(info.get("ID"))
            and info.get("Who", "") in self._who
            and created is not None
            and created >= self._started - timedelta(seconds=2)
        )

    # -- leftovers ----------------------------------------------------------------------------
    def project_markers(self) -> tuple[list[str], dict[str, str]]:
        """Name prefixes (name_prefix, state bucket, lock table) and the Project tag of the sandbox tfvars."""
        return project_markers(self.tf_root / "envs" / self.params.env)

    def leftovers(self) -> list[Leftover]:
        """Project resources still in the emulator (KMS keys pending deletion do not count)."""
        prefixes, tags = self.project_markers()
        return find_leftovers(lambda service: aws_client(service, self.params.aws), prefixes, tags)

    # -- coverage -----------------------------------------------------------------------------
    def _coverage(self, report: IacCheckReport, runs: Mapping[str, StackRun], tf_root: Path) -> None:
        counts, not_applied = measure_coverage(
            runs,
            lambda env, stack: self._tfvars(tf_root, env, stack),
            parse_gap_docs(tf_root),
            sandbox_env=self.params.env,
        )
        report.counts.update(counts, checks_waived=len(report.waived))
        report.not_applied = not_applied


def _user_names() -> set[str]:
    """This process's user as Terraform may have written it (passwd entry, and $USER / $LOGNAME)."""
    names = {os.environ.get("USER", ""), os.environ.get("LOGNAME", "")}
    try:
        names.add(pwd.getpwuid(os.getuid()).pw_name)
    except KeyError:
        pass
    return {n for n in names if n}


def _lock_created(text: str) -> datetime | None:
    """``2026-11-26 15:48:16.51188222 +0000 UTC`` (Terraform's lock info) as a UTC datetime."""
    try:
        return datetime.strptime(text.strip()[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None
