"""One exception family for the whole runbook.

Every error the library raises derives from :class:`RunbookError` and carries
fields, not only text, so a notebook, the CLI and the evidence ledger can show
*what* went wrong (which key, which command, which object) without parsing a
message. Each error also knows the one-line fix an operator should try, and its
``exit_code``, which the CLI returns (:func:`exit_code_for`; a headless run finds an
error raised inside a notebook here by its class name).

Families, in the order below: parameters, readiness (tools, preflight), commands and
Terraform, plans and gates, the sandbox, endpoints, data migration, evidence, phases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class RunbookError(Exception):
    """Root of every error raised by runbook_lib.

    Args:
        message: What went wrong, in one sentence.
        hint: The one thing the operator should do next, if known.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message and the fix on one line, as the CLI prints it."""
        return f"{self.message} — {self.hint}" if self.hint else self.message


def exit_code_for(error: BaseException) -> int:
    """The process exit code for an error (1 for anything not ours)."""
    if isinstance(error, RunbookError):
        return error.exit_code
    return 1


# -- Parameters ----------------------------------------------------------------------------------------------------
class ParamsError(RunbookError):
    """A parameter is missing, unknown or has a value outside what is allowed."""

    exit_code = 2

    def __init__(self, key: str, value: Any, allowed: str | Sequence[Any], *, message: str | None = None) -> None:
        self.key = key
        self.value = value
        self.allowed = allowed
        allowed_text = allowed if isinstance(allowed, str) else ", ".join(map(str, allowed))
        super().__init__(
            message or f"bad parameter {key}={value!r}",
            hint=f"allowed: {allowed_text}",
        )


class ResumeRefusedError(ParamsError):
    """``--resume`` was refused: the parameters or the code changed since the run started.

    Evidence that mixes two parameter sets or two versions of the code proves nothing, so the
    runner names what changed (dotted parameter keys, or files and the git commit) and stops.
    """

    def __init__(self, run_id: str, what: str, changed: Sequence[str]) -> None:
        self.run_id = run_id
        self.what = what
        self.changed = list(changed)
        shown = ", ".join(self.changed[:8]) + (" …" if len(self.changed) > 8 else "")
        super().__init__(
            "resume",
            run_id,
            f"a run started with the same {what}; start a new run (omit --resume) to use the new {what}",
            message=f"cannot resume run {run_id}: {what} changed since it started: {shown}",
        )


# -- Readiness: tools and preflight --------------------------------------------------------------------------------
class ToolMissingError(RunbookError):
    """A required executable or provider mirror is not installed or not found."""

    exit_code = 4

    def __init__(self, tool: str, message: str, *, hint: str | None = None) -> None:
        self.tool = tool
        super().__init__(message, hint=hint)


class FailedCheck(Protocol):
    """What :class:`PreflightError` reads of a failed check (``runbook_lib.phases.preflight.PreflightCheck``)."""

    name: str
    detail: str


class PreflightError(RunbookError):
    """A blocking preflight check failed; ``failed`` lists them."""

    exit_code = 4

    def __init__(self, failed: Sequence[FailedCheck]) -> None:
        self.failed = failed
        super().__init__(
            f"preflight failed: {'; '.join(f'{c.name}: {c.detail}' for c in failed)}",
            hint="fix the checks marked NOT READY and run preflight again",
        )


class AccountNotAllowedError(RunbookError):
    """The AWS account the credentials reach is not in ``aws.allowed_account_ids`` (or cannot be read).

    ``account`` is None when the caller identity could not be read (no credentials, no route to STS):
    an account that cannot be named cannot be allowed.
    """

    exit_code = 4

    def __init__(self, account: str | None, allowed: Sequence[str], *, where: str, reason: str | None = None) -> None:
        self.account = account
        self.allowed = list(allowed)
        self.where = where
        self.key = "aws.allowed_account_ids"
        if account is None:
            message = f"{where}: cannot read the AWS caller identity ({reason}); refusing to go on"
            hint = "check aws.profile / aws.assume_role_arn and the credentials, then try again"
        else:
            message = (
                f"{where}: AWS account {account} is not in aws.allowed_account_ids {self.allowed}; refusing to go on"
            )
            hint = "use credentials for an allowed account, or add the account to aws.allowed_account_ids"
        super().__init__(message, hint=hint)


# -- Commands and Terraform ----------------------------------------------------------------------------------------
class CommandError(RunbookError):
    """A subprocess exited non-zero, or ran past its timeout.

    After a timeout ``timed_out_after`` holds the timeout (seconds) and ``stopped_with`` the signal that
    ended the process (``SIGINT`` first, so that Terraform can save its state and release its lock;
    ``SIGTERM`` and ``SIGKILL`` only when it did not stop in time).
    """

    timed_out_after: float | None = None
    stopped_with: str | None = None

    def __init__(self, command: Sequence[str], returncode: int, stderr: str, *, hint: str | None = None) -> None:
        self.command = list(command)
        self.returncode = returncode
        self.stderr = stderr
        tail = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        super().__init__(f"`{' '.join(self.command[:3])}` exited {returncode}: {tail}", hint=hint)


class TerraformError(CommandError):
    """Terraform (or OpenTofu) failed; ``stderr`` holds its diagnostics."""


class StateLockError(TerraformError):
    """The state is locked by another run; ``lock_info`` names the holder."""

    def __init__(self, command: Sequence[str], returncode: int, stderr: str, lock_info: dict[str, Any]) -> None:
        self.lock_info = lock_info
        who = lock_info.get("Who") or lock_info.get("who") or "unknown"
        lock_id = lock_info.get("ID") or lock_info.get("id") or "?"
        super().__init__(
            command,
            returncode,
            stderr,
            hint=f"state is locked by {who} (lock {lock_id}); wait for it or `terraform force-unlock {lock_id}`",
        )


class ApplyFailedError(TerraformError):
    """``terraform apply`` of a reviewed plan failed part-way; ``result`` says which resources did what.

    ``result`` is the ``runbook_lib.terraform.results.ApplyResult`` (per-resource status,
    durations, diagnostics), kept so evidence can be written before the error
    propagates.
    """

    def __init__(
        self, command: Sequence[str], returncode: int, stderr: str, result: Any, *, hint: str | None = None
    ) -> None:
        self.result = result
        super().__init__(command, returncode, stderr, hint=hint or "fix the errors above, then plan and review again")


class EnvLockedError(RunbookError):
    """Another run holds the environment's lock (one run per environment), or a lock may not be released.

    ``holder`` describes whoever holds it (``user``, ``host``, ``pid``, ``command``, ``run_id``,
    ``started_at``); ``where`` is the lock file or object.
    """

    def __init__(
        self, env: str, holder: dict[str, Any], where: str, *, message: str | None = None, hint: str | None = None
    ) -> None:
        self.env = env
        self.holder = dict(holder)
        self.where = where
        who = f"{holder.get('user', '?')}@{holder.get('host', '?')} pid {holder.get('pid', '?')}"
        run = f", run {holder['run_id']}" if holder.get("run_id") else ""
        held = (
            f"environment {env!r} is in use by {who} running `{holder.get('command', '?')}`{run}, "
            f"since {holder.get('started_at', '?')} (lock {where})"
        )
        super().__init__(
            message or held,
            hint=hint
            or (
                f"wait for it to finish; if that process is gone, `runbook lock status --env {env}` shows the lock "
                f"and `runbook lock release --env {env}` clears it"
            ),
        )


class StackBusyError(RunbookError):
    """A Terraform stack directory stayed in use by another command (of another environment) for too long."""

    def __init__(self, stack_dir: str, holder: dict[str, Any] | None, waited_s: float) -> None:
        self.stack_dir = stack_dir
        self.holder = dict(holder or {})
        self.waited_s = waited_s
        who = ", ".join(f"{k} {v}" for k, v in sorted(self.holder.items())) or "unknown holder"
        super().__init__(
            f"stack {stack_dir} is busy ({who}); waited {waited_s:.0f}s",
            hint="let that command finish, then run again",
        )


# -- Plans and gates -----------------------------------------------------------------------------------------------
class PlanError(RunbookError):
    """A saved plan cannot be used: missing, stale, or not the reviewed one."""


class StalePlanError(PlanError):
    """The plan file changed after it was reviewed (its sha256 differs)."""

    def __init__(self, plan_path: str, reviewed_sha256: str, actual_sha256: str) -> None:
        self.plan_path = plan_path
        self.reviewed_sha256 = reviewed_sha256
        self.actual_sha256 = actual_sha256
        super().__init__(
            f"plan {plan_path} is not the reviewed plan (reviewed {reviewed_sha256[:12]}, now {actual_sha256[:12]})",
            hint="re-run plan and review it again",
        )


class DestructiveChangeError(PlanError):
    """The plan deletes, replaces or destroys the data of a resource that the parameters do not allow.

    ``actions`` maps an address to what happens to it when that is more than a delete or replace
    (``update: destroys data (versioning_configuration.status Enabled → Suspended …)``).
    """

    exit_code = 3

    def __init__(self, addresses: Sequence[str], *, actions: Mapping[str, str] | None = None) -> None:
        self.addresses = list(addresses)
        self.actions = dict(actions or {})
        shown = [f"{a} ({self.actions[a]})" if a in self.actions else a for a in self.addresses]
        super().__init__(
            f"plan would delete, replace or destroy the data of stateful resources: {', '.join(shown)}",
            hint="add these addresses to terraform.allow_destroy in the params file if this is intended",
        )


class GateRejectedError(RunbookError):
    """An approval gate was rejected, by a person or by the headless policy."""

    exit_code = 3

    def __init__(self, gate: str, reason: str, *, decided_by: str = "policy") -> None:
        self.gate = gate
        self.reason = reason
        self.decided_by = decided_by
        super().__init__(f"gate {gate!r} rejected by {decided_by}: {reason}")


class PlanRejectedError(GateRejectedError):
    """A gate rejected a Terraform plan; the plan's summary travels with the error.

    ``summary`` counts changes per action and ``disallowed`` maps each address the
    policy did not accept to its action, so a notebook or the CLI can show *why*
    without re-reading the plan.
    """

    def __init__(
        self,
        gate: str,
        reason: str,
        *,
        decided_by: str,
        plan_sha256: str,
        summary: dict[str, int],
        disallowed: dict[str, str] | None = None,
    ) -> None:
        self.plan_sha256 = plan_sha256
        self.summary = dict(summary)
        self.disallowed = dict(disallowed or {})
        super().__init__(gate, reason, decided_by=decided_by)


# -- The sandbox and endpoints -------------------------------------------------------------------------------------
class SandboxError(RunbookError):
    """The local sandbox cannot be started, is down, or a service is unhealthy."""

    exit_code = 5


class SandboxDownError(SandboxError):
    """A command needs the sandbox but it is not running."""

    def __init__(self, what: str = "this command") -> None:
        super().__init__(f"the sandbox is not running; {what} needs it", hint="run `runbook sandbox up` first")


class PortInUseError(SandboxError):
    """A port the sandbox was asked to use is already taken."""

    def __init__(self, port: int, service: str) -> None:
        self.port = port
        self.service = service
        super().__init__(
            f"port {port} for {service} is already in use",
            hint="free it, or omit the port so a free one is picked",
        )


class EndpointError(RunbookError):
    """An AWS endpoint (RDS, MSK, DocumentDB …) cannot be resolved to an address."""


# -- Data migration ------------------------------------------------------------------------------------------------
class MigrationError(RunbookError):
    """A data migration step failed; the source is untouched and the run can resume."""


class CompatibilityError(MigrationError):
    """The source uses features the target service does not offer."""

    def __init__(self, kind: str, findings: Sequence[str]) -> None:
        self.kind = kind
        self.findings = list(findings)
        super().__init__(f"{kind}: {len(self.findings)} incompatibilities: {'; '.join(self.findings[:5])}")


class MigrationVerificationError(MigrationError):
    """Target content differs from the source after a copy."""

    def __init__(self, kind: str, obj: str, expected: Any, actual: Any) -> None:
        self.kind = kind
        self.object = obj
        self.expected = expected
        self.actual = actual
        super().__init__(f"{kind} {obj}: expected {expected!r}, found {actual!r}")


class CopyFailedError(MigrationError):
    """Some items could not be copied; the others were copied and checkpointed: a resume retries only these.

    ``failed`` maps each item (an object key, a table …) to the error it hit; ``copied`` counts what moved.
    """

    def __init__(self, kind: str, unit: str, failed: dict[str, str], copied: int) -> None:
        self.kind = kind
        self.unit = unit
        self.failed = dict(failed)
        self.copied = copied
        first = ", ".join(f"{k} ({v})" for k, v in list(self.failed.items())[:3])
        super().__init__(
            f"{kind} {unit}: {len(self.failed)} items failed to copy ({copied} copied): {first}",
            hint="fix the cause and run again with --resume: verified items are not copied twice",
        )


class DataSyncError(MigrationError):
    """An AWS DataSync task execution ended in ERROR (or did not finish in time).

    ``error_code``/``error_detail`` are DataSync's own ``Result.ErrorCode``/``ErrorDetail``, so the
    operator can look them up in the DataSync console without parsing the message.
    """

    def __init__(
        self,
        execution_arn: str,
        status: str,
        error_code: str = "",
        error_detail: str = "",
        *,
        hint: str | None = None,
    ) -> None:
        self.execution_arn = execution_arn
        self.status = status
        self.error_code = error_code
        self.error_detail = error_detail
        detail = f": {error_code} {error_detail}".rstrip() if (error_code or error_detail) else ""
        super().__init__(
            f"DataSync execution {execution_arn} ended {status}{detail}",
            hint=hint or "see the execution in the DataSync console / its CloudWatch log group",
        )


class DmsTaskError(MigrationError):
    """An AWS DMS replication task failed, stopped for a reason other than finishing, or did not finish in time.

    ``status``, ``stop_reason`` and ``last_failure_message`` are DMS's own fields of the task, so the
    operator can find the task in the DMS console (and its CloudWatch log) without parsing the message.
    """

    def __init__(
        self,
        task_arn: str,
        status: str,
        stop_reason: str = "",
        last_failure_message: str = "",
        *,
        hint: str | None = None,
    ) -> None:
        self.task_arn = task_arn
        self.status = status
        self.stop_reason = stop_reason
        self.last_failure_message = last_failure_message
        detail = "; ".join(x for x in (stop_reason, last_failure_message) if x)
        super().__init__(
            f"DMS task {task_arn} is {status}" + (f": {detail}" if detail else ""),
            hint=hint or "see the task's CloudWatch log (Logging.EnableLogging) and table statistics",
        )


class AtScalePathUnavailableError(MigrationError):
    """The size calls for the at-scale path of a kind, but the runbook cannot drive that path yet.

    Raised before anything moves, so nothing is half done. ``missing`` lists what would be needed;
    ``path`` is the at-scale service (``dms``, ``datasync``) the kind would use.
    """

    def __init__(self, kind: str, path: str, missing: Sequence[str], *, hint: str | None = None) -> None:
        self.kind = kind
        self.path = path
        self.missing = list(missing)
        super().__init__(
            f"{kind}: the at-scale path is AWS {path.upper()}, which the runbook cannot drive yet: "
            f"missing {'; '.join(self.missing)}",
            hint=hint,
        )


class BrokerUnreachableError(MigrationError):
    """A Kafka cluster (source or target) did not answer a metadata request in time.

    ``side`` is ``source`` or ``target``; ``key`` the parameter that names its bootstrap address;
    ``bootstrap`` is already redacted by the caller.
    """

    def __init__(self, side: str, bootstrap: str, key: str, detail: str = "") -> None:
        self.side = side
        self.bootstrap = bootstrap
        self.key = key
        super().__init__(
            f"cannot reach the {side} Kafka cluster at {bootstrap}" + (f" ({detail})" if detail else ""),
            hint=f"start the broker (or open the network path to it), or fix {key}",
        )


class TopicConflictError(MigrationError):
    """A target topic exists in a shape the mirror cannot write into (fewer partitions, other configs).

    Raised by the check, before anything is written; ``reasons`` names each difference.
    """

    def __init__(self, topic: str, reasons: Sequence[str]) -> None:
        self.topic = topic
        self.reasons = list(reasons)
        super().__init__(
            f"target topic {topic!r} cannot take the mirror: {'; '.join(self.reasons)}",
            hint=f"delete or recreate {topic!r} on the target with the source's partitions and configs, "
            "or map the source topic to another target_topic",
        )


class ActiveConsumerGroupError(MigrationError):
    """A consumer group whose offsets must be translated still has members (its offsets are still moving)."""

    def __init__(self, group: str, side: str, state: str, key: str) -> None:
        self.group = group
        self.side = side
        self.state = state
        super().__init__(
            f"consumer group {group!r} is still active on the {side} cluster (state {state})",
            hint=f"stop its consumers and run again, or remove it from {key}",
        )


# -- Cutover and disaster recovery --------------------------------------------------------------------------------
class CutoverError(RunbookError):
    """A cutover step could not run or did not do what it must (freeze, sync, verify, switch, unfreeze)."""

    exit_code = 5


class NoGoError(CutoverError):
    """The go/no-go table has red rows: nothing may switch; ``red`` names each failing check and its source."""

    def __init__(self, red: Sequence[str]) -> None:
        self.red = list(red)
        shown = "; ".join(self.red[:6]) + (f" and {len(self.red) - 6} more" if len(self.red) > 6 else "")
        super().__init__(
            f"NO-GO: {len(self.red)} check(s) red: {shown}",
            hint="fix what the red rows' sources show (or run the phase that records them), then build the table again",
        )


class SignOffError(CutoverError):
    """The named sign-off is missing, incomplete, or was refused (one person twice, a NO-GO, a changed table)."""

    exit_code = 3


class DrillError(RunbookError):
    """The DR drill could not take a backup, restore it, verify it, or clean up after itself."""

    exit_code = 5


class RecoveryTargetMissedError(DrillError):
    """The measured RPO or RTO is over its target in the params (``dr.rpo_target_s`` / ``dr.rto_target_s``)."""

    def __init__(self, missed: Mapping[str, tuple[float, float]]) -> None:
        self.missed = dict(missed)
        text = "; ".join(f"{name} {value:.1f} s > target {target:g} s" for name, (value, target) in missed.items())
        super().__init__(
            f"DR drill missed its targets: {text}",
            hint="see the drill's timeline table: shorten the backup interval (RPO) or the restore path (RTO), "
            "or agree new targets in dr.rpo_target_s / dr.rto_target_s",
        )


# -- Workloads: Spark jobs and the platform inventory --------------------------------------------------------------
class SparkJobError(RunbookError):
    """A platform Spark job cannot be catalogued or run: a missing script, bad metadata, a failed run.

    ``job`` names the job (or the metadata file), ``key`` the metadata key at fault when there is one.
    """

    exit_code = 2

    def __init__(self, job: str, message: str, *, key: str | None = None, hint: str | None = None) -> None:
        self.job = job
        self.key = key
        super().__init__(f"spark job {job}: {message}", hint=hint)


class ParityFailedError(SparkJobError):
    """The parity harness found a job whose deployed output differs from the platform's own run.

    ``failed`` names each job and why (match rate, schema, partitions, row counts); the per-job tables,
    with the mismatching keys, are already recorded when this is raised.
    """

    exit_code = 1

    def __init__(self, failed: Mapping[str, str]) -> None:
        self.failed = dict(failed)
        text = "; ".join(f"{job}: {why}" for job, why in self.failed.items())
        super().__init__(
            ", ".join(self.failed), f"parity failed: {text}",
            hint="see the job's parity table and mismatching keys; fix the deployed script or the job, then re-run",
        )


class ComposeFileError(RunbookError):
    """A Docker Compose file the inventory was pointed at is missing or not a compose file."""

    exit_code = 2

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(
            f"compose file {path}: {problem}",
            hint="point --compose at a docker-compose.yml with a top-level 'services' mapping",
        )


class OrchestrationError(RunbookError):
    """Phase 5's workloads (DAGs -> MWAA, dashboards -> Managed Grafana, OpenMetadata configs) cannot move.

    ``subject`` names the file, DAG, datasource or config at fault, so the one-line message says what to fix.
    """

    exit_code = 2

    def __init__(self, subject: str, problem: str, *, hint: str | None = None) -> None:
        self.subject = subject
        self.problem = problem
        super().__init__(f"{subject}: {problem}", hint=hint)


class UnmappedDatasourceError(OrchestrationError):
    """A dashboard or alert rule uses a datasource the explicit map in the params does not name."""

    def __init__(self, where: str, uid: str, ds_type: str, known: Sequence[str]) -> None:
        self.uid = uid
        self.ds_type = ds_type
        super().__init__(
            where,
            f"datasource uid={uid!r} type={ds_type!r} is not in orchestration.grafana.datasource_map",
            hint=f"add it to the map (mapped uids: {', '.join(known) or 'none'})",
        )


# -- Evidence and phases -------------------------------------------------------------------------------------------
class EvidenceError(RunbookError):
    """The evidence folder is missing, incomplete, or a hash does not match."""


class SigningKeyNotFoundError(EvidenceError):
    """The KMS key ``evidence.signing.kms_key_id`` names does not exist (yet).

    Stack ``00_state_backend`` creates it, so on a first run it appears during phase 01; until the run has
    applied that stack (and before its first signature) a phase end may leave its seal to the next one.
    """


class PhaseFailedError(RunbookError):
    """A notebook phase failed during a headless run."""

    exit_code = 1

    def __init__(self, phase: str, notebook: str, cell_index: int | None, ename: str, evalue: str) -> None:
        self.phase = phase
        self.notebook = notebook
        self.cell_index = cell_index
        self.ename = ename
        self.evalue = evalue
        super().__init__(
            f"phase {phase} failed in cell {cell_index}: {ename}: {evalue}",
            hint=f"see the partly executed notebook {notebook}",
        )


class CostError(RunbookError):
    """The price table, a plan estimate, or a Cost Explorer / Budgets read went wrong (a broken price file, a
    page cap reached, an API refusal); the message names the file, row or call."""


class HealthError(RunbookError):
    """A CloudWatch metric or alarm read went wrong (a query the API refused, a catalogue entry with bad
    dimensions); metrics without data are never an error, they are charted as gaps."""


class CanaryError(HealthError):
    """The canary could not run at all (no ingest target, a read-back broker that does not answer); a canary
    event that fails is not an error but a counted ErrorCount."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(
            message, hint=hint or "check the canary's ingest URL and read-back brokers (params ingest.canary)"
        )


class TrafficShiftError(CutoverError):
    """The ingest alias' weighted routing could not be set or did not read back as asked (a missing version, a
    weight the Lambda API did not keep, an alias that is not there)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint or "apply stack 03 (it creates the alias) and publish the new version")


class PipelineCheckError(RunbookError):
    """A generated GitHub Actions workflow failed actionlint or the workflow schema, or names a GitHub environment
    the deploy role's trust policy does not admit (or the applied trust policy is wider than one repository's
    environments)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = "; ".join(self.problems[:5]) + (" …" if len(self.problems) > 5 else "")
        super().__init__(
            f"{len(self.problems)} pipeline problem(s): {shown}",
            hint="fix the params' cicd section or the env's 06_cicd.tfvars allowed_environments, then generate again",
        )
