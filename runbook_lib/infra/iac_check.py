"""``runbook iac check``: every quality gate of ``terraform_infra/`` in one table, and what the sandbox shows.

Why one command: "the infrastructure code is good" is several claims - formatted, valid, free of
checkov findings, plannable, and (in the sandbox) applied and read back with the properties that
matter. Each is cheap to forget and each alone proves little, so this module runs them all on
one snapshot of the tree and reports module x (fmt, validate, checkov, planned, applied,
verified), the same per stack, and two counts:

* ``resources_planned`` - the full *production* plan: every stack planned against the sandbox's
  AWS stand-in with ``envs/prod`` tfvars (every ``enable_*`` on). Later stacks read the
  sandbox-applied state of earlier ones (``state_key_prefix``/``remote_state_config`` are taken
  from the sandbox tfvars), because a production state does not exist here.
* ``resources_applied`` - resources of the sandbox state that were read back and verified
  (:mod:`runbook_lib.infra.verify`); ``coverage`` is the share of the production plan's
  addresses among them. What the production plan has and the sandbox does not is listed with
  the reason the sandbox tfvars give for switching it off.

Everything runs on a copy of ``terraform_infra`` (under the sandbox folder), so the generated
endpoint override, ``.terraform`` folders and lock files of this check never touch the working
tree another run may be using. At most two Terraform processes run at once (the AWS provider
takes ~700 MB per process); checkov runs beside them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbook_lib.errors import ParamsError, RunbookError, ToolMissingError
from runbook_lib.infra.verify import StackVerification, verify_state, waivers_from_tfvars
from runbook_lib.process import run_command

if TYPE_CHECKING:
    from runbook_lib.params import RunbookParams
    from runbook_lib.terraform.runner import TerraformRunner
    from runbook_lib.terraform.tfvars import TfVars

log = logging.getLogger("runbook_lib.infra.iac_check")

#: Terraform processes at once: two cores, ~700 MB of provider per process.
MAX_TERRAFORM = 2
PROD_ENV = "prod"
_SNAPSHOT_IGNORE = shutil.ignore_patterns(
    ".terraform",
    "*_override.tf",
    "override.tf",
    "*.tfstate",
    "*.tfstate.*",
    "*.tfplan",
    "*.review.json",
    ".terraform.lock.hcl",
)
#: Actions that mean "this resource will exist after the plan".
_EXISTS_AFTER = frozenset({"create", "update", "no-op", "replace"})
_APPLY_ACTIONS = ("no-op", "read", "create", "update")
_DESTROY_ACTIONS = ("no-op", "read", "delete")


# ----------------------------------------------------------------------------------------------
# Units: modules and stacks
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Unit:
    """A Terraform module or stack directory of ``terraform_infra``."""

    kind: str  # "module" | "stack"
    name: str

    @property
    def rel(self) -> str:
        return f"{self.kind}s/{self.name}"

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"


def discover_units(tf_root: Path) -> list[Unit]:
    """Every directory with ``.tf`` files under ``modules/`` and ``stacks/``, stacks in numeric order."""
    units: list[Unit] = []
    for kind in ("module", "stack"):
        base = tf_root / f"{kind}s"
        if base.is_dir():
            units += [
                Unit(kind, d.name) for d in sorted(base.iterdir()) if d.is_dir() and any(d.glob("*.tf"))
            ]
    return units


def snapshot_tree(source: Path, target: Path) -> Path:
    """A fresh copy of ``terraform_infra`` without generated files (overrides, .terraform, state, plans)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=_SNAPSHOT_IGNORE)
    return target


def unit_of_file(path: str) -> str:
    """``modules/kms/main.tf`` -> ``module:kms``; ``envs/prod/x.tfvars`` -> ``env:prod``; else ``other``."""
    parts = Path(path.lstrip("/")).parts
    if len(parts) >= 2 and parts[0] in ("modules", "stacks", "envs"):
        return f"{parts[0][:-1]}:{parts[1]}"
    return "other"


# ----------------------------------------------------------------------------------------------
# fmt, validate
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ValidateResult:
    """``terraform validate -json`` of one unit (after ``init -backend=false``)."""

    unit: str
    valid: bool
    error_count: int
    warning_count: int
    diagnostics: tuple[str, ...] = ()


def parse_validate_json(unit: str, text: str) -> ValidateResult:
    """Parse ``validate -json`` output; diagnostics become ``severity: summary (file:line)``."""
    data = json.loads(text)
    diagnostics = []
    for diag in data.get("diagnostics", []):
        where = diag.get("range") or {}
        at = f" ({where.get('filename')}:{(where.get('start') or {}).get('line')})" if where else ""
        diagnostics.append(f"{diag.get('severity')}: {diag.get('summary')}{at}")
    return ValidateResult(
        unit,
        bool(data.get("valid")),
        int(data.get("error_count", 0)),
        int(data.get("warning_count", 0)),
        tuple(diagnostics),
    )


def run_fmt(binary: str, tf_root: Path) -> dict[str, list[str]]:
    """``fmt -check -recursive -list=true``: unformatted files by unit (empty dict when all are formatted)."""
    result = run_command(
        [binary, "fmt", "-check", "-recursive", "-list=true", "-no-color"],
        cwd=tf_root,
        check=False,
        timeout=300,
        logger_name="runbook_lib.infra.iac_check",
    )
    if result.returncode not in (0, 3) and not result.stdout.strip():
        raise RunbookError(f"terraform fmt failed: {result.stderr.strip()[:300]}")
    out: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        if line.strip():
            out.setdefault(unit_of_file(line.strip()), []).append(line.strip())
    return out


def validate_unit(
    binary: str, unit_dir: Path, data_dir: Path, unit: str, env: Mapping[str, str]
) -> ValidateResult:
    """``init -backend=false`` then ``validate -json`` in ``unit_dir`` (a module validates like a root:
    each module declares its ``required_providers``)."""
    env = {**env, "TF_DATA_DIR": str(data_dir), "TF_IN_AUTOMATION": "1"}
    data_dir.mkdir(parents=True, exist_ok=True)
    init = run_command(
        [binary, "init", "-backend=false", "-input=false", "-no-color"],
        cwd=unit_dir,
        env=env,
        check=False,
        timeout=600,
        logger_name="runbook_lib.infra.iac_check",
    )
    if not init.ok:
        tail = (init.stderr or init.stdout).strip().splitlines()[-5:]
        return ValidateResult(unit, False, 1, 0, (f"error: init failed: {' '.join(tail)}",))
    result = run_command(
        [binary, "validate", "-json", "-no-color"],
        cwd=unit_dir,
        env=env,
        check=False,
        timeout=600,
        logger_name="runbook_lib.infra.iac_check",
    )
    try:
        return parse_validate_json(unit, result.stdout)
    except json.JSONDecodeError:
        return ValidateResult(
            unit, False, 1, 0, (f"error: validate gave no JSON: {result.stderr.strip()[:300]}",)
        )


# ----------------------------------------------------------------------------------------------
# checkov
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckovFinding:
    """One failed (or skipped) checkov check."""

    check_id: str
    check_name: str
    file: str
    resource: str
    lines: tuple[int, ...]
    unit: str
    suppress_comment: str = ""


@dataclass(frozen=True)
class CheckovReport:
    """checkov's JSON, reduced to what the table needs: passed/failed/skipped per unit."""

    version: str
    passed: Mapping[str, int]
    failed: tuple[CheckovFinding, ...]
    skipped: tuple[CheckovFinding, ...]
    parsing_errors: tuple[str, ...] = ()

    def failed_by_unit(self) -> dict[str, list[CheckovFinding]]:
        out: dict[str, list[CheckovFinding]] = {}
        for f in self.failed:
            out.setdefault(f.unit, []).append(f)
        return out

    def count(self, unit: str, what: str) -> int:
        if what == "passed":
            return int(self.passed.get(unit, 0))
        items = self.failed if what == "failed" else self.skipped
        return sum(1 for f in items if f.unit == unit)


def _finding(raw: Mapping[str, Any]) -> CheckovFinding:
    path = str(raw.get("repo_file_path") or raw.get("file_path") or "")
    return CheckovFinding(
        check_id=str(raw.get("check_id", "")),
        check_name=str(raw.get("check_name", "")),
        file=path,
        resource=str(raw.get("resource", "")),
        lines=tuple(raw.get("file_line_range") or ()),
        unit=unit_of_file(path),
        suppress_comment=str((raw.get("check_result") or {}).get("suppress_comment", "")),
    )


def parse_checkov_json(data: str | bytes | Mapping[str, Any] | Sequence[Any]) -> CheckovReport:
    """Parse ``checkov -o json``: one report object, or a list of them (one per framework).

    A run that found nothing to scan prints a bare summary object; that is an empty report.
    """
    if isinstance(data, (str, bytes)):
        data = json.loads(data)
    reports = list(data) if isinstance(data, list) else [data]
    passed: Counter[str] = Counter()
    failed: list[CheckovFinding] = []
    skipped: list[CheckovFinding] = []
    errors: list[str] = []
    version = ""
    for report in reports:
        if not isinstance(report, Mapping):
            continue
        version = version or str((report.get("summary") or {}).get("checkov_version", ""))
        results = report.get("results") or {}
        for raw in results.get("passed_checks", []):
            passed[_finding(raw).unit] += 1
        failed += [_finding(raw) for raw in results.get("failed_checks", [])]
        skipped += [_finding(raw) for raw in results.get("skipped_checks", [])]
        errors += [str(e) for e in results.get("parsing_errors", [])]
    return CheckovReport(version, dict(passed), tuple(failed), tuple(skipped), tuple(errors))


def find_checkov(project_root: Path | None = None) -> str:
    """``.venv-checkov/bin/checkov`` of the checkout (``make checkov``), else ``checkov`` on PATH.

    Raises:
        ToolMissingError: neither exists.
    """
    from runbook_lib.paths import project_root as root_of

    root = project_root or root_of()
    candidate = root / ".venv-checkov" / "bin" / "checkov"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which("checkov")
    if found:
        return found
    raise ToolMissingError(
        "checkov",
        "checkov is not installed",
        hint="run `make checkov` (a separate venv: checkov pins many packages)",
    )


def run_checkov(checkov: str, tf_root: Path, *, timeout: float = 1800) -> CheckovReport:
    """checkov over the whole tree (one process: it resolves local modules itself), JSON out, no network."""
    env = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "LOG_LEVEL": "ERROR"}
    result = run_command(
        [checkov, "-d", ".", "--framework", "terraform", "-o", "json", "--compact", "--skip-download"],
        cwd=tf_root,
        env=env,
        check=False,
        timeout=timeout,
        logger_name="runbook_lib.infra.iac_check",
    )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise RunbookError(
            f"checkov exited {result.returncode}: {result.stderr.strip()[-300:]}",
            hint="run it by hand: checkov -d terraform_infra --framework terraform",
        )
    return parse_checkov_json(result.stdout)


# ----------------------------------------------------------------------------------------------
# Which module a resource address belongs to
# ----------------------------------------------------------------------------------------------
def module_path(address: str) -> list[str]:
    """Module call names of an address: ``module.a[0].module.b.aws_x.y["k.z"]`` -> ``["a", "b"]``."""
    names: list[str] = []
    rest = address
    while rest.startswith("module."):
        rest = rest[len("module.") :]
        end = 0
        while end < len(rest) and rest[end] not in ".[":
            end += 1
        names.append(rest[:end])
        rest = rest[end:]
        if rest.startswith("["):
            depth, in_string, i = 0, False, 0
            while i < len(rest):
                ch = rest[i]
                if ch == '"' and (i == 0 or rest[i - 1] != "\\"):
                    in_string = not in_string
                elif not in_string and ch == "[":
                    depth += 1
                elif not in_string and ch == "]":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            rest = rest[i + 1 :]
        rest = rest[1:] if rest.startswith(".") else rest
    return names


def strip_instance_keys(address: str) -> str:
    """The address without ``[index]``/``["key"]`` parts: what two environments' instances share."""
    out, depth, in_string = [], 0, False
    for i, ch in enumerate(address):
        if ch == '"' and depth and address[i - 1] != "\\":
            in_string = not in_string
        elif not in_string and ch == "[":
            depth += 1
            continue
        elif not in_string and ch == "]":
            depth -= 1
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out)


def module_calls(directory: Path) -> dict[str, Path]:
    """``module "name" { source = "../x" }`` blocks of a directory: name -> resolved local source dir."""
    import hcl2

    calls: dict[str, Path] = {}
    for tf in sorted(directory.glob("*.tf")):
        if tf.name.endswith("override.tf"):
            continue
        try:
            with tf.open() as handle:
                parsed = hcl2.load(handle)
        except Exception as error:  # noqa: BLE001 - validate reports syntax errors; attribution just degrades
            log.debug("cannot parse %s: %s", tf, error)
            continue
        for block in parsed.get("module", []):
            for name, body in block.items():
                source = str(body.get("source", "")).strip('"')
                if source.startswith(("./", "../")):
                    calls[name.strip('"')] = (directory / source).resolve()
    return calls


class ModuleMap:
    """Attributes resource addresses of a stack to the ``modules/<name>`` directory that declares them."""

    def __init__(self, tf_root: Path) -> None:
        self.tf_root = tf_root.resolve()
        self._calls: dict[Path, dict[str, Path]] = {}

    def _calls_of(self, directory: Path) -> dict[str, Path]:
        if directory not in self._calls:
            self._calls[directory] = module_calls(directory)
        return self._calls[directory]

    def unit_for(self, stack: str, address: str) -> str:
        """``module:<name>`` of the innermost module, or ``stack:<stack>`` for a root resource."""
        directory = (self.tf_root / "stacks" / stack).resolve()
        for name in module_path(address):
            target = self._calls_of(directory).get(name)
            if target is None:
                return f"stack:{stack}"
            directory = target
        try:
            rel = directory.relative_to(self.tf_root)
        except ValueError:
            return f"stack:{stack}"
        return unit_of_file(str(rel / "x.tf"))


# ----------------------------------------------------------------------------------------------
# Why something of the production plan is not in the sandbox
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NotApplied:
    """A resource of the production plan that is not applied-and-verified in the sandbox, and why."""

    stack: str
    address: str
    type: str
    reason: str
    variable: str = ""


_STOP = frozenset(
    {
        "enable",
        "create",
        "this",
        "aws",
        "the",
        "of",
        "module",
        "use",
        # words too generic to tie a variable to a resource
        "service",
        "policy",
        "role",
        "iam",
        "group",
        "rule",
        "instance",
        "bucket",
        "s3",
        "config",
        "configuration",
        "id",
        "arn",
        "name",
        "count",
        "day",
        "size",
        "type",
    }
)


def _tokens(text: str) -> set[str]:
    words = re.split(r"[^a-z0-9]+", text.lower())
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words if w and w not in _STOP}


def _differing(prod: TfVars, sandbox: TfVars) -> list[tuple[str, bool]]:
    """Top-level variables set differently (or in one environment only): (name, switched off in the sandbox).

    A flag the sandbox sets ``false`` and prod leaves to the module default counts as switched off.
    """
    skip = {
        "tags",
        "region",
        "state_key_prefix",
        "remote_state_config",
        "remote_state_backend",
        "name_prefix",
    }
    out = []
    for name in sorted(set(prod.values) | set(sandbox.values)):
        value, other = prod.values.get(name), sandbox.values.get(name)
        if name in skip or other == value:
            continue
        out.append((name, other is False and value in (True, None)))
    return out


@dataclass(frozen=True)
class GapRow:
    """One row of a ``SANDBOX_GAPS_*.md`` table: which stacks, switches, resources, and why."""

    doc: str
    stacks: str
    switches: tuple[str, ...]
    resources: tuple[str, ...]
    reason: str

    def covers(self, stack: str, address: str) -> bool:
        number = stack.split("_", 1)[0]
        if stack not in self.stacks and not re.search(rf"\b{re.escape(number)}\b", self.stacks):
            return False
        base = strip_instance_keys(address)
        for pattern in self.resources:
            pattern = strip_instance_keys(pattern)
            if pattern.endswith(".*"):
                stem = pattern[:-2]
                if base.startswith(stem + ".") or f".{stem}." in base:
                    return True
            elif base == pattern or base.endswith("." + pattern):
                return True
        return False


def parse_gap_docs(tf_root: Path) -> list[GapRow]:
    """Table rows of every ``terraform_infra/SANDBOX_GAPS_*.md`` that name resources (in backticks)."""
    rows: list[GapRow] = []
    for doc in sorted(tf_root.glob("SANDBOX_GAPS_*.md")):
        for line in doc.read_text().splitlines():
            if not line.startswith("|") or set(line) <= set("|-: "):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 3:
                continue
            ticks = [re.findall(r"`([^`]+)`", c) for c in cells]
            resources = tuple(
                t
                for cell in ticks[1:]
                for t in cell
                if ("aws_" in t or t.startswith("module.")) and "=" not in t
            )
            switches = tuple(t for cell in ticks[1:] for t in cell if "=" in t)
            if resources:
                rows.append(GapRow(doc.name, cells[0], switches, resources, cells[-1]))
    return rows


def explain_missing(
    stack: str, address: str, prod: TfVars | None, sandbox: TfVars | None, gap_rows: Sequence[GapRow] = ()
) -> tuple[str, str]:
    """(reason, variable) for a production-plan address the sandbox does not have.

    First a ``SANDBOX_GAPS_*.md`` row that names the resource (its switch and its "why"). Else the
    variable prod and sandbox tfvars set differently that shares most words with the address
    (words of the resource type count double), its sandbox comment quoted. The fallback is a
    heuristic: it names a *likely* cause, and says so.
    """
    for row in gap_rows:
        if row.covers(stack, address):
            switch = ", ".join(row.switches) or "see the row"
            return f"{switch} ({row.doc}): {row.reason}", row.switches[0].split("=")[
                0
            ].strip() if row.switches else ""
    if prod is None or sandbox is None:
        return "no tfvars to compare", ""
    base = strip_instance_keys(address)
    resource_part = base.rsplit(".", 2)[-2] if base.count(".") >= 1 else base
    type_words, path_words = _tokens(resource_part), _tokens(base)
    best: tuple[int, int, str] | None = None
    for name, switched_off in _differing(prod, sandbox):
        words = _tokens(name)
        score = 2 * len(words & type_words) + len(words & path_words)
        if score == 0:
            continue
        rank = (score, 1 if switched_off else 0, name)
        if best is None or rank[:2] > best[:2]:
            best = rank
    if best is None:
        return "not created with the sandbox tfvars (no differing variable matches this address)", ""
    name = best[2]
    comment = sandbox.comment(name)
    value = sandbox.values.get(name, "(not set: module default)")
    reason = f"likely {name} = {value if isinstance(value, str) else json.dumps(value)} in the sandbox"
    return (reason + (f": {comment}" if comment else "")), name


# ----------------------------------------------------------------------------------------------
# Results of the sandbox part
# ----------------------------------------------------------------------------------------------
@dataclass
class StackRun:
    """What happened to one stack in the sandbox (plan, apply, state, verification) and in the prod plan."""

    stack: str
    planned_sandbox: int | None = None
    plan_counts: dict[str, int] = field(default_factory=dict)
    applied: bool = False
    apply_summary: dict[str, Any] = field(default_factory=dict)
    state_addresses: tuple[str, ...] = ()
    verification: StackVerification | None = None
    prod_planned: tuple[tuple[str, str], ...] | None = None  # (address, type)
    prod_plan_error: str = ""
    destroyed: bool | None = None
    errors: list[str] = field(default_factory=list)
    durations_s: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Leftover:
    """A project resource still in the emulator after the destroy."""

    service: str
    kind: str
    name: str


@dataclass
class IacCheckReport:
    """The whole check: rows per module and stack, counts, what is not applied and why."""

    env: str
    apply: bool
    destroy: bool
    units: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    not_applied: list[NotApplied] = field(default_factory=list)
    prod_plan_problems: list[dict[str, str]] = field(default_factory=list)
    verification_failures: list[dict[str, Any]] = field(default_factory=list)
    waived: list[dict[str, Any]] = field(default_factory=list)
    not_verified: list[dict[str, Any]] = field(default_factory=list)
    checkov_failed: list[dict[str, Any]] = field(default_factory=list)
    validate_errors: list[dict[str, Any]] = field(default_factory=list)
    fmt_unformatted: list[str] = field(default_factory=list)
    leftovers: list[Leftover] | None = None
    errors: list[str] = field(default_factory=list)
    durations_s: dict[str, float] = field(default_factory=dict)
    runs: dict[str, StackRun] = field(default_factory=dict)

    def rows(self, kind: str) -> list[dict[str, Any]]:
        return [u for u in self.units if u["kind"] == kind]

    @property
    def static_ok(self) -> bool:
        return not self.fmt_unformatted and not self.validate_errors and not self.checkov_failed

    def ok(self, min_coverage: float | None = None) -> bool:
        """No static finding, no failed verification, no error, nothing left behind, coverage reached."""
        good = self.static_ok and not self.verification_failures and not self.errors and not self.leftovers
        coverage = self.counts.get("coverage")
        if min_coverage is not None and coverage is not None:
            good = good and coverage >= min_coverage
        return good

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "runs"}
        data["ok"] = self.ok()
        return data


# ----------------------------------------------------------------------------------------------
# The check
# ----------------------------------------------------------------------------------------------
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
        from runbook_lib.endpoints import is_sandbox
        from runbook_lib.paths import project_root

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
                from runbook_lib.paths import sandbox_dir

                work_dir = sandbox_dir() / "iac-check"
            else:
                work_dir = Path(tempfile.mkdtemp(prefix="runbook-iac-check-"))
        self.work_dir = Path(work_dir).resolve()
        self.checkov = checkov
        self.only_stacks = list(stacks) if stacks else None
        self._say = progress or (lambda message: log.info("%s", message))
        self._slots = threading.BoundedSemaphore(MAX_TERRAFORM)
        self._lock = threading.Lock()

    # -- helpers --------------------------------------------------------------------------------
    def _binary(self) -> str:
        from runbook_lib.terraform.runner import resolve_binary

        return resolve_binary(self.params.terraform.binary)

    def _scoped_params(self, tf_root: Path, env: str) -> RunbookParams:
        """The params with stacks_dir/env_dir pointing into a snapshot."""
        tf = self.params.terraform.model_copy(
            update={"stacks_dir": tf_root / "stacks", "env_dir": tf_root / "envs" / env}
        )
        return self.params.model_copy(update={"terraform": tf})

    def _tfvars(self, tf_root: Path, env: str, stack: str) -> TfVars | None:
        from runbook_lib.terraform.tfvars import read_tfvars

        path = tf_root / "envs" / env / f"{stack}.tfvars"
        return read_tfvars(path) if path.is_file() else None

    # -- the run -----------------------------------------------------------------------------------
    def run(self) -> IacCheckReport:
        """Run everything; failures of one part are recorded in the report, never stop the other parts."""
        started = time.monotonic()
        if self.sandboxed and not self.static_only:
            from runbook_lib.endpoints import aws_endpoint_url

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

        with ThreadPoolExecutor(max_workers=MAX_TERRAFORM + 2, thread_name_prefix="iac-check") as pool:
            checkov_f = fmt_f = validate_f = None
            if self.static:
                checkov_f = pool.submit(self._timed, report, "checkov", self._checkov, static_root)
                fmt_f = pool.submit(self._timed, report, "fmt", run_fmt, binary, static_root)
                validate_f = pool.submit(
                    self._timed, report, "validate", self._validate_all, binary, static_root, units
                )
            sandbox_f: Future[Any] | None = None
            if self.sandboxed and not self.static_only:
                sandbox_f = pool.submit(self._timed, report, "sandbox", self._sandbox_sequence, runs, report)
            fmt = (self._result(fmt_f, report, "fmt") if fmt_f else None) or {}
            validations = (self._result(validate_f, report, "validate") if validate_f else None) or {}
            checkov = self._result(checkov_f, report, "checkov") if checkov_f else None
            if sandbox_f is not None:
                self._result(sandbox_f, report, "sandbox")
        if self.sandboxed and not self.static_only:
            self._timed(report, "prod_plan", self._prod_plans, runs, report)
            if self.destroy:
                self._timed(report, "destroy", self._destroy_sequence, runs, report)
                report.leftovers = self._timed(report, "leftovers", self.leftovers)
        self._assemble(report, units, fmt, validations, checkov, runs, static_root)
        report.durations_s["total"] = round(time.monotonic() - started, 1)
        return report

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
                return validate_unit(
                    binary, tf_root / unit.rel, data / f"{unit.kind}-{unit.name}", unit.key, {}
                )

        # One validation at a time when the sandbox sequence holds the other slot; two otherwise.
        with ThreadPoolExecutor(max_workers=MAX_TERRAFORM, thread_name_prefix="validate") as pool:
            for unit, result in zip(units, pool.map(one, units), strict=True):
                out[unit.key] = result
        self._say(f"validate: {sum(r.valid for r in out.values())}/{len(out)} valid")
        return out

    # -- sandbox ------------------------------------------------------------------------------
    def _sandbox_runner(self, stack: str, **overrides: Any) -> TerraformRunner:
        from runbook_lib.terraform.runner import TerraformRunner

        tf_root = self.work_dir / "sandbox" / "terraform_infra"
        return TerraformRunner.from_params(self._scoped_params(tf_root, self.params.env), stack, **overrides)

    def _sandbox_sequence(self, runs: dict[str, StackRun], report: IacCheckReport) -> None:
        """Stacks in order: init, plan, (gate + apply), state, verify. One slot for the whole sequence."""
        from runbook_lib.terraform.approval import headless_gate

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
                    run.errors.append(_error_text(error))
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
                    run.errors.append(f"state/verify: {_error_text(error)}")
                self._say(
                    f"sandbox {stack}: plan {run.plan_counts} "
                    f"state {len(run.state_addresses)} verified "
                    f"{run.verification.counts() if run.verification else '-'}"
                    + (f" ERRORS {run.errors}" if run.errors else "")
                )

    def _prod_runner(self, stack: str, tf_root: Path) -> TerraformRunner:
        """A runner for the production tfvars against the stand-in: local backend, sandbox remote state."""
        from runbook_lib.terraform.runner import TerraformRunner

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
                    run.prod_plan_error = _error_text(error)
            run.durations_s["prod_plan"] = round(time.monotonic() - t0, 1)
            self._say(
                f"prod plan {stack}: "
                + (
                    f"{len(run.prod_planned)} resources"
                    if run.prod_planned is not None
                    else run.prod_plan_error[:200]
                )
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
                list(pool.map(lambda stack: self._destroy_one(runs[stack]), wave))

    def _destroy_one(self, run: StackRun) -> None:
        from runbook_lib.terraform.approval import headless_gate

        t0 = time.monotonic()
        try:
            runner = self._sandbox_runner(run.stack, allow_destroy=["*"])
            runner.init()
            review = runner.plan(destroy=True)
            if review.plan.changes:
                gate = headless_gate(
                    review,
                    list(_DESTROY_ACTIONS),
                    self.params.gates.approver or "iac-check",
                    gate="iac-check-destroy",
                )
                runner.apply(review, gate=gate, progress=False)
            run.destroyed = True
        except Exception as error:  # noqa: BLE001
            run.destroyed = False
            run.errors.append(f"destroy: {_error_text(error)}")
        run.durations_s["destroy"] = round(time.monotonic() - t0, 1)
        self._say(f"destroy {run.stack}: {'ok' if run.destroyed else run.errors[-1][:200]}")

    # -- leftovers ----------------------------------------------------------------------------
    def project_markers(self) -> tuple[list[str], dict[str, str]]:
        """Name prefixes (name_prefix, state bucket, lock table) and the Project tag of the sandbox tfvars."""
        prefixes: set[str] = set()
        tags: dict[str, str] = {}
        env_dir = self.tf_root / "envs" / self.params.env
        from runbook_lib.terraform.tfvars import read_tfvars

        for path in sorted(env_dir.glob("*.tfvars")):
            tfvars = read_tfvars(path)
            for key in ("name_prefix", "state_bucket_name", "lock_table_name"):
                if isinstance(tfvars.values.get(key), str):
                    prefixes.add(tfvars.values[key])
            if isinstance(tfvars.values.get("tags"), Mapping) and "Project" in tfvars.values["tags"]:
                tags["Project"] = str(tfvars.values["tags"]["Project"])
        return sorted(prefixes), tags

    def leftovers(self) -> list[Leftover]:
        """Project resources still in the emulator (KMS keys pending deletion do not count)."""
        from runbook_lib.clients import aws_client

        prefixes, tags = self.project_markers()
        return find_leftovers(lambda service: aws_client(service, self.params.aws), prefixes, tags)

    # -- assembly -----------------------------------------------------------------------------
    def _assemble(
        self,
        report: IacCheckReport,
        units: Sequence[Unit],
        fmt: Mapping[str, list[str]],
        validations: Mapping[str, ValidateResult],
        checkov: CheckovReport | None,
        runs: Mapping[str, StackRun],
        static_root: Path,
    ) -> None:
        module_map = ModuleMap(static_root)
        per_unit: dict[str, Counter[str]] = {u.key: Counter() for u in units}
        for run in runs.values():
            per_unit.setdefault(f"stack:{run.stack}", Counter())
            bucket = per_unit[f"stack:{run.stack}"]
            bucket["planned_sandbox"] += run.planned_sandbox or 0
            bucket["applied"] += len(run.state_addresses)
            if run.prod_planned is not None:
                bucket["prod_planned"] += len(run.prod_planned)
                for address, _ in run.prod_planned:
                    per_unit.setdefault(module_map.unit_for(run.stack, address), Counter())[
                        "prod_planned"
                    ] += 1
            for address in run.state_addresses:
                per_unit.setdefault(module_map.unit_for(run.stack, address), Counter())["applied"] += 1
            if run.verification is not None:
                for verdict in run.verification.verdicts:
                    key = {"ok": "verified_ok", "failed": "verify_failed"}.get(verdict.status, "not_verified")
                    bucket[key] += 1
                    per_unit.setdefault(module_map.unit_for(run.stack, verdict.address), Counter())[key] += 1

        measured = self.sandboxed and not self.static_only
        for unit in units:
            counts = per_unit.get(unit.key, Counter())
            validation = validations.get(unit.key)
            row: dict[str, Any] = {
                "kind": unit.kind,
                "name": unit.name,
                "fmt": "-"
                if not self.static
                else ("ok" if not fmt.get(unit.key) else f"{len(fmt[unit.key])} unformatted"),
                "validate": "-"
                if validation is None
                else ("ok" if validation.valid else f"{validation.error_count} errors"),
                "checkov": "-"
                if checkov is None
                else (
                    f"{checkov.count(unit.key, 'failed')} failed"
                    if checkov.count(unit.key, "failed")
                    else f"ok ({checkov.count(unit.key, 'skipped')} skipped)"
                ),
            }
            for column in (
                "prod_planned",
                "planned_sandbox",
                "applied",
                "verified_ok",
                "verify_failed",
                "not_verified",
            ):
                row[column] = counts[column] if measured else None
            if unit.kind == "module":
                row.pop("planned_sandbox")
            if unit.kind == "stack" and unit.name in runs:
                run = runs[unit.name]
                row["prod_plan"] = (
                    "ok" if run.prod_planned is not None else (run.prod_plan_error[:160] or "-")
                )
                row["destroyed"] = run.destroyed
                row["errors"] = run.errors
            report.units.append(row)

        report.fmt_unformatted = sorted(f for files in fmt.values() for f in files)
        for result in validations.values():
            if not result.valid or result.error_count:
                report.validate_errors.append({"unit": result.unit, "diagnostics": list(result.diagnostics)})
        if checkov is not None:
            report.checkov_failed = [asdict(f) for f in checkov.failed]
            report.counts["checkov"] = {
                "version": checkov.version,
                "passed": sum(checkov.passed.values()),
                "failed": len(checkov.failed),
                "skipped": len(checkov.skipped),
            }

        for run in runs.values():
            if run.errors:
                report.errors += [f"{run.stack}: {e}" for e in run.errors]
            if run.prod_plan_error:
                report.prod_plan_problems.append({"stack": run.stack, "error": run.prod_plan_error})
            if run.verification is not None:
                for r in run.verification.results:
                    item = {
                        "stack": r.stack,
                        "address": r.address,
                        "check": r.check,
                        "expected": r.expected,
                        "actual": r.actual,
                        "detail": r.detail,
                    }
                    if r.status == "failed":
                        report.verification_failures.append(item)
                    elif r.status == "waived":
                        report.waived.append(item)
                    elif r.status == "not verified":
                        report.not_verified.append(item)
        if self.sandboxed and not self.static_only:
            self._coverage(report, runs, static_root)

    def _coverage(self, report: IacCheckReport, runs: Mapping[str, StackRun], tf_root: Path) -> None:
        counts, not_applied = measure_coverage(
            runs,
            lambda env, stack: self._tfvars(tf_root, env, stack),
            parse_gap_docs(tf_root),
            sandbox_env=self.params.env,
        )
        report.counts.update(counts, checks_waived=len(report.waived))
        report.not_applied = not_applied


def measure_coverage(
    runs: Mapping[str, StackRun],
    tfvars: Callable[[str, str], TfVars | None],
    gap_rows: Sequence[GapRow] = (),
    *,
    sandbox_env: str = "sandbox",
) -> tuple[dict[str, Any], list[NotApplied]]:
    """``resources_planned`` (production plan), ``resources_applied`` (verified in the sandbox), coverage.

    A production address counts as covered when the same address is applied and verified ok in the
    sandbox; instances keyed differently per environment (an alert e-mail, a budget per service)
    match by their address without keys, as many as the sandbox verified. Everything else is listed
    with a reason. ``tfvars(env, stack)`` reads an environment's tfvars of a stack.
    """
    planned = applied = covered = 0
    complete = True
    not_applied: list[NotApplied] = []
    for stack, run in runs.items():
        verified = run.verification.ok_addresses if run.verification else set()
        status = {v.address: v.status for v in run.verification.verdicts} if run.verification else {}
        applied += len(verified)
        if run.prod_planned is None:
            complete = False
            continue
        planned += len(run.prod_planned)
        spare = Counter(strip_instance_keys(a) for a in verified)
        exact = {a for a, _ in run.prod_planned if a in verified}
        for a in exact:
            spare[strip_instance_keys(a)] -= 1
        for address, rtype in run.prod_planned:
            if address in exact:
                covered += 1
                continue
            base = strip_instance_keys(address)
            if spare[base] > 0:
                spare[base] -= 1
                covered += 1
                continue
            if address in status:
                reason, variable = f"applied in the sandbox, verification {status[address]}", ""
            elif any(strip_instance_keys(a) == base for a in run.state_addresses):
                reason, variable = "the sandbox tfvars create fewer instances of this resource", ""
            else:
                reason, variable = explain_missing(
                    stack, address, tfvars(PROD_ENV, stack), tfvars(sandbox_env, stack), gap_rows
                )
            not_applied.append(NotApplied(stack, address, rtype, reason, variable))
    counts = {
        "resources_planned": planned,
        "resources_planned_complete": complete,
        "resources_applied": applied,
        "resources_applied_of_planned": covered,
        "coverage": round(covered / planned, 4) if planned else None,
        "resources_in_sandbox_state": sum(len(r.state_addresses) for r in runs.values()),
        "verified_failed": sum(r.verification.failed for r in runs.values() if r.verification),
        "not_verified": sum(r.verification.not_verified for r in runs.values() if r.verification),
    }
    return counts, not_applied


def _error_text(error: BaseException) -> str:
    if isinstance(error, RunbookError):
        text = error.one_line()
        stderr = getattr(error, "stderr", "")
        if stderr and stderr.strip() and stderr.strip().splitlines()[-1] not in text:
            text += " | " + " | ".join(stderr.strip().splitlines()[:6])
        return text[:2000]
    return f"{type(error).__name__}: {error}"[:2000]


# ----------------------------------------------------------------------------------------------
# What the emulator still holds of the project
# ----------------------------------------------------------------------------------------------
def find_leftovers(
    client: Callable[[str], Any], prefixes: Iterable[str], tags: Mapping[str, str]
) -> list[Leftover]:
    """List buckets, VPCs, roles, keys, tables … whose name starts with a project prefix or that carry
    the project's tags. A lister that fails is reported as a leftover of kind ``unlisted`` (never a pass)."""
    prefixes = tuple(p for p in prefixes if p)
    glue_prefixes = tuple(p.replace("-", "_") for p in prefixes)
    found: list[Leftover] = []

    def named(name: str) -> bool:
        return bool(name) and (
            name.startswith(prefixes)
            or name.startswith(glue_prefixes)
            or any(f"/{p}" in name for p in prefixes)
        )

    def tagged(items: Iterable[Mapping[str, Any]] | Mapping[str, Any] | None) -> bool:
        if isinstance(items, Mapping):
            have = {str(k): str(v) for k, v in items.items()}
        else:
            have = {str(t.get("Key", t.get("key"))): str(t.get("Value", t.get("value"))) for t in items or ()}
        return bool(tags) and all(have.get(k) == v for k, v in tags.items())

    def lister(service: str, kind: str, func: Callable[[Any], Iterable[str]]) -> None:
        try:
            for name in func(client(service)):
                found.append(Leftover(service, kind, name))
        except Exception as error:  # noqa: BLE001 - an unlistable kind is reported, not assumed empty
            found.append(Leftover(service, "unlisted", f"{kind}: {type(error).__name__}: {str(error)[:120]}"))

    def kms_keys(kms: Any) -> Iterable[str]:
        for page in kms.get_paginator("list_keys").paginate():
            for key in page["Keys"]:
                meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
                if meta.get("KeyManager") == "AWS" or meta.get("KeyState") in (
                    "PendingDeletion",
                    "PendingReplicaDeletion",
                ):
                    continue
                key_tags = kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
                if tagged([{"Key": t["TagKey"], "Value": t["TagValue"]} for t in key_tags]) or named(
                    meta.get("Description", "")
                ):
                    yield key["KeyId"]

    def ec2_tagged(ec2: Any) -> Iterable[str]:
        filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
        if not filters:
            return
        for vpc in ec2.describe_vpcs(Filters=filters)["Vpcs"]:
            yield f"vpc {vpc['VpcId']}"
        for sg in ec2.describe_security_groups(Filters=filters)["SecurityGroups"]:
            yield f"security group {sg['GroupId']} {sg.get('GroupName')}"
        for subnet in ec2.describe_subnets(Filters=filters)["Subnets"]:
            yield f"subnet {subnet['SubnetId']}"
        for nat in ec2.describe_nat_gateways(Filters=filters)["NatGateways"]:
            if nat.get("State") not in ("deleted", "deleting"):
                yield f"nat gateway {nat['NatGatewayId']}"
        for address in ec2.describe_addresses(Filters=filters)["Addresses"]:
            yield f"eip {address.get('AllocationId')}"

    lister(
        "s3",
        "bucket",
        lambda s3: [b["Name"] for b in s3.list_buckets().get("Buckets", []) if named(b["Name"])],
    )
    lister("ec2", "tagged", ec2_tagged)
    lister(
        "iam",
        "role",
        lambda iam: [
            r["RoleName"]
            for p in iam.get_paginator("list_roles").paginate()
            for r in p["Roles"]
            if named(r["RoleName"])
        ],
    )
    lister(
        "iam",
        "policy",
        lambda iam: [
            x["PolicyName"]
            for p in iam.get_paginator("list_policies").paginate(Scope="Local")
            for x in p["Policies"]
            if named(x["PolicyName"])
        ],
    )
    lister(
        "iam",
        "instance profile",
        lambda iam: [
            x["InstanceProfileName"]
            for p in iam.get_paginator("list_instance_profiles").paginate()
            for x in p["InstanceProfiles"]
            if named(x["InstanceProfileName"])
        ],
    )
    lister(
        "iam",
        "oidc provider",
        lambda iam: [
            x["Arn"]
            for x in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", [])
            if tagged(
                iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=x["Arn"]).get("Tags", [])
            )
        ],
    )
    lister("kms", "key", kms_keys)
    lister(
        "kms",
        "alias",
        lambda kms: [
            a["AliasName"]
            for a in kms.list_aliases().get("Aliases", [])
            if named(a["AliasName"].removeprefix("alias/"))
        ],
    )
    lister("dynamodb", "table", lambda ddb: [t for t in ddb.list_tables().get("TableNames", []) if named(t)])
    lister(
        "rds",
        "db instance",
        lambda rds: [
            d["DBInstanceIdentifier"]
            for d in rds.describe_db_instances()["DBInstances"]
            if named(d["DBInstanceIdentifier"])
        ],
    )
    lister(
        "rds",
        "db subnet group",
        lambda rds: [
            g["DBSubnetGroupName"]
            for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]
            if named(g["DBSubnetGroupName"])
        ],
    )
    lister(
        "rds",
        "db parameter group",
        lambda rds: [
            g["DBParameterGroupName"]
            for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
            if named(g["DBParameterGroupName"])
        ],
    )
    lister(
        "logs",
        "log group",
        lambda logs: [
            g["logGroupName"]
            for p in logs.get_paginator("describe_log_groups").paginate()
            for g in p["logGroups"]
            if named(g["logGroupName"])
        ],
    )
    lister(
        "sns",
        "topic",
        lambda sns: [
            t["TopicArn"]
            for t in sns.list_topics().get("Topics", [])
            if named(t["TopicArn"].rsplit(":", 1)[-1])
        ],
    )
    lister(
        "sqs",
        "queue",
        lambda sqs: [u for u in sqs.list_queues().get("QueueUrls", []) if named(u.rsplit("/", 1)[-1])],
    )
    lister(
        "lambda",
        "function",
        lambda lam: [
            f["FunctionName"] for f in lam.list_functions().get("Functions", []) if named(f["FunctionName"])
        ],
    )
    lister(
        "ecr",
        "repository",
        lambda ecr: [
            r["repositoryName"]
            for r in ecr.describe_repositories().get("repositories", [])
            if named(r["repositoryName"])
        ],
    )
    lister(
        "secretsmanager",
        "secret",
        lambda sm: [
            s["Name"]
            for s in sm.list_secrets().get("SecretList", [])
            if named(s["Name"]) and not s.get("DeletedDate")
        ],
    )
    lister(
        "ssm",
        "parameter",
        lambda ssm: [
            x["Name"] for x in ssm.describe_parameters().get("Parameters", []) if named(x["Name"].lstrip("/"))
        ],
    )
    lister(
        "glue",
        "database",
        lambda glue: [d["Name"] for d in glue.get_databases().get("DatabaseList", []) if named(d["Name"])],
    )
    lister("glue", "job", lambda glue: [j for j in glue.list_jobs().get("JobNames", []) if named(j)])
    lister(
        "apigatewayv2",
        "api",
        lambda api: [a["Name"] for a in api.get_apis().get("Items", []) if named(a["Name"])],
    )
    lister(
        "cloudwatch",
        "alarm",
        lambda cw: [
            a["AlarmName"] for a in cw.describe_alarms().get("MetricAlarms", []) if named(a["AlarmName"])
        ],
    )
    lister(
        "ecs",
        "cluster",
        lambda ecs: _active_ecs_clusters(ecs, named),
    )
    lister(
        "opensearch",
        "domain",
        lambda os_: [
            d["DomainName"] for d in os_.list_domain_names().get("DomainNames", []) if named(d["DomainName"])
        ],
    )
    return found


def _active_ecs_clusters(ecs: Any, named: Callable[[str], bool]) -> list[str]:
    """Project ECS clusters still ACTIVE.

    DeleteCluster only marks a cluster INACTIVE (AWS keeps describing it for a while, and moto
    keeps listing it); an INACTIVE cluster holds nothing and is gone for every purpose.
    """
    arns = [c for c in ecs.list_clusters().get("clusterArns", []) if named(c.rsplit("/", 1)[-1])]
    if not arns:
        return []
    described = ecs.describe_clusters(clusters=arns).get("clusters", [])
    return [c["clusterArn"] for c in described if c.get("status") != "INACTIVE"]


_REMOTE_STATE_RE = re.compile(r'data\s+"terraform_remote_state"\s+"([A-Za-z0-9_-]+)"')


def stack_dependencies(stacks_dir: Path, stacks: Sequence[str]) -> dict[str, set[str]]:
    """Which earlier stacks each stack reads: ``terraform_remote_state "network_iam"`` -> ``01_network_iam``.

    The first stack (the state backend, which holds every other stack's state) is a dependency of all.
    """
    by_suffix = {stack.split("_", 1)[-1]: stack for stack in stacks}
    first = stacks[0] if stacks else None
    deps: dict[str, set[str]] = {}
    for stack in stacks:
        found: set[str] = set()
        for tf in sorted((stacks_dir / stack).glob("*.tf")):
            for name in _REMOTE_STATE_RE.findall(tf.read_text()):
                if name in by_suffix and by_suffix[name] != stack:
                    found.add(by_suffix[name])
        if first is not None and stack != first:
            found.add(first)
        deps[stack] = found
    return deps


def destroy_waves(stacks: Sequence[str], deps: Mapping[str, set[str]]) -> list[list[str]]:
    """Reverse dependency order in waves: a stack goes once no stack still standing reads it.

    Within a wave the later stacks come first; a cycle (never in our stacks) falls back to one at a time.
    """
    standing = list(stacks)
    waves: list[list[str]] = []
    while standing:
        wave = [s for s in reversed(standing) if not any(s in deps.get(o, set()) for o in standing if o != s)]
        if not wave:
            wave = [standing[-1]]
        waves.append(wave)
        standing = [s for s in standing if s not in wave]
    return waves
