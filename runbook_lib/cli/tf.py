"""``runbook tf plan | apply | drift | destroy``: the Terraform steps of a phase, from a terminal or CI.

Why ``plan`` and ``apply`` are separate commands: the file that ``plan`` writes is
the thing reviewed; ``apply`` takes that file (``--plan-file``, default the
stack's ``runbook.tfplan``), checks it against the ``<plan>.review.json`` that
``plan`` wrote (same sha256, same environment), runs the destructive-change
guard, passes a gate, and applies exactly that file.

The gate: with ``--auto-approve-policy`` or ``gates.mode: headless`` the params'
policy decides (``gates.auto_approve_actions``); otherwise a terminal asks for
``yes``, after the plan's changes are shown; with neither a policy nor a terminal
the gate rejects. On a protected environment (params ``protected: true``) no policy
approves a delete, a replace or a change that destroys data: a person answers.

A reviewed plan is not replaced silently: ``plan`` refuses to overwrite a plan file
whose review record matches it and that was never applied, unless
``--replace-reviewed`` says so (or ``--plan-file`` names another file).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runbook_lib.cli._common import print_json, print_table
from runbook_lib.errors import ApplyFailedError, GateRejectedError, PlanError, StalePlanError
from runbook_lib.infra.terraform_setup import runner_from_params
from runbook_lib.params import load_params
from runbook_lib.phases.account_guard import require_allowed_account
from runbook_lib.phases.envlock import env_lock
from runbook_lib.terraform import (
    GateDecision,
    PlanReview,
    TerraformRunner,
    check_destructive,
    file_sha256,
    headless_gate,
    read_review_metadata,
    terminal_gate,
)
from runbook_lib.terraform.approval import no_changes_decision
from runbook_lib.terraform.review import unapplied_review


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("tf", help="plan, apply, check drift of, or destroy a Terraform stack")
    tsub = parser.add_subparsers(dest="tf_command", required=True, metavar="ACTION")

    plan = _action(
        tsub,
        "plan",
        "plan to a file and record its review (sha256, summary)",
        _plan,
        plan_file="where to write the plan (default: the stack's runbook.tfplan)",
    )
    plan.add_argument("--destroy", action="store_true", help="plan the destruction of the stack")
    plan.add_argument(
        "--replace-reviewed",
        action="store_true",
        help="overwrite a reviewed plan file that was never applied (refused without this)",
    )
    _add_no_init(plan)

    _action(
        tsub,
        "apply",
        "apply a plan file made by `runbook tf plan`, after guard and gate",
        _apply,
        plan_file="the plan to apply (default: the stack's runbook.tfplan)",
        auto_approve=True,
    )

    drift = _action(tsub, "drift", "compare real infrastructure with the state", _drift)
    drift.add_argument("--mode", choices=["refresh-only", "plan"], default="refresh-only")
    drift.add_argument("--fail-on-drift", action="store_true", help="exit 1 when drift is found")
    _add_no_init(drift)

    destroy = _action(
        tsub,
        "destroy",
        "plan -destroy, then guard, gate and apply of that plan",
        _destroy,
        plan_file="where to write the destroy plan",
        auto_approve=True,
    )
    _add_no_init(destroy)


def _action(
    tsub: argparse._SubParsersAction,
    name: str,
    help: str,
    func: Callable[[argparse.Namespace], int],
    *,
    plan_file: str | None = None,
    auto_approve: bool = False,
) -> argparse.ArgumentParser:
    """One ``runbook tf ACTION`` parser with the options every action shares (and, if asked, a plan file)."""
    parser = tsub.add_parser(name, help=help)
    parser.add_argument("--stack", required=True, help="stack directory, or a name under terraform.stacks_dir")
    parser.add_argument("--env", required=True, help="environment: params/<env>.yaml")
    parser.add_argument("--json", action="store_true", help="print JSON (summary + result) instead of tables")
    if plan_file is not None:
        parser.add_argument("--plan-file", help=plan_file)
    if auto_approve:
        parser.add_argument(
            "--auto-approve-policy", action="store_true", help="let gates.auto_approve_actions decide (no prompt)"
        )
    parser.set_defaults(func=_releasing_env_lock(func))
    return parser


def _add_no_init(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-init", action="store_true", help="skip `terraform init`")


# ----------------------------------------------------------------------------------------------
def _load(args: argparse.Namespace) -> tuple[Any, TerraformRunner]:
    params = load_params(args.env)
    require_allowed_account(params.aws, where=f"runbook tf {args.tf_command} --env {args.env}")  # before anything
    if args.tf_command in _LOCKED_ACTIONS:  # released by _releasing_env_lock when the action ends
        command = f"runbook tf {args.tf_command} --stack {args.stack} --env {args.env}"
        args.env_lock = env_lock(params, command=command).acquire()
    return params, runner_from_params(params, args.stack)


#: Actions that change or replace what a run relies on take the environment lock; drift only reads.
_LOCKED_ACTIONS = ("plan", "apply", "destroy")


def _releasing_env_lock(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run an action and give back the environment lock its ``_load`` took (one run per environment)."""

    def action(args: argparse.Namespace) -> int:
        try:
            return func(args)
        finally:
            lock = getattr(args, "env_lock", None)
            if lock is not None:
                lock.release()

    return action


def _print_review(review: PlanReview) -> None:
    """The plan's counts, one row per change (address, type, action), and what destroys data."""
    counts = {a: n for a, n in review.plan.counts().items() if n}
    print(f"plan {review.plan_path} (sha256 {review.plan_sha256[:12]}): {counts or 'no changes'}")
    losses = {f.address: f for f in review.destructive if f.reason}
    rows = [
        {
            "address": rc.key,
            "type": rc.type,
            "action": f"{rc.action} (destroys data)" if rc.key in losses else rc.action,
        }
        for rc in review.plan.changes.values()
    ]
    if rows:
        print_table(rows, ["action", "address", "type"])
    for finding in review.destructive:
        verdict = "allowed by terraform.allow_destroy" if finding.allowed else "WILL BE REFUSED"
        print(f"destructive: {finding.what} {finding.address} ({finding.type}): {verdict}")


def _gate(review: PlanReview, params: Any, args: argparse.Namespace, name: str) -> GateDecision:
    unchanged = no_changes_decision(review, gate=name)  # nothing to apply: no one is asked, whatever the mode
    if unchanged is not None:
        return unchanged
    gates = params.gates
    if args.auto_approve_policy or gates.mode == "headless":
        return headless_gate(
            review,
            list(gates.auto_approve_actions),
            gates.approver,
            gate=name,
            protected=params.protected,
            env=params.env,
            policy_name=(
                "--auto-approve-policy (gates.auto_approve_actions)"
                if args.auto_approve_policy
                else "the headless policy (gates.auto_approve_actions)"
            ),
        )
    if sys.stdin.isatty():
        return terminal_gate(review, gate=name, approver=gates.approver)
    raise GateRejectedError(
        name,
        "no approver: gates.mode is interactive, stdin is not a terminal, and --auto-approve-policy is unset",
        decided_by="cli",
    )


def _apply_reviewed(
    review: PlanReview, params: Any, runner: TerraformRunner, args: argparse.Namespace, name: str
) -> int:
    check_destructive(review.plan, runner.allow_destroy)
    decision = _gate(review, params, args, name)
    report = {"summary": review.plan.summary_dict(), "gate": decision.to_dict()}
    try:
        result = runner.apply(review, gate=decision, progress=not args.json)
    except ApplyFailedError as error:
        if args.json:
            print_json({**report, "result": error.result.to_dict()})
        raise
    if args.json:
        print_json({**report, "result": result.to_dict()})
    else:
        print(f"applied {review.plan_path.name}: {result.change_summary}")
        rows = [
            {"address": s.address, "action": s.action, "status": s.status, "s": f"{s.elapsed_s or 0:.1f}"}
            for s in result.resources
        ]
        if rows:
            print_table(rows, ["status", "action", "address", "s"])
    return 0


def _refuse_replacing_a_reviewed_plan(args: argparse.Namespace, runner: TerraformRunner) -> None:
    """A plan file that was reviewed and never applied is not overwritten without ``--replace-reviewed``."""
    target = Path(args.plan_file).resolve() if args.plan_file else runner.default_plan_path(args.destroy)
    reviewed = unapplied_review(target)
    if reviewed is None:
        return
    if not args.replace_reviewed:
        raise PlanError(
            f"{target} is a reviewed plan (sha256 {str(reviewed.get('plan_sha256'))[:12]}, "
            f"planned {reviewed.get('created_at')}) that was never applied; planning again would replace it",
            hint=f"apply it (runbook tf apply --stack {args.stack} --env {args.env}), "
            "plan to another file (--plan-file), or pass --replace-reviewed to discard it",
        )
    print(
        f"replacing the reviewed plan {target} (sha256 {str(reviewed.get('plan_sha256'))[:12]}), as asked",
        file=sys.stderr,
    )


def _plan(args: argparse.Namespace) -> int:
    params, runner = _load(args)
    _refuse_replacing_a_reviewed_plan(args, runner)
    if not args.no_init:
        runner.init()
    review = runner.plan(args.plan_file, destroy=args.destroy)
    if args.json:
        print_json({"summary": review.plan.summary_dict(), "review": review.to_dict()})
    else:
        _print_review(review)
        print(f"review recorded in {review.review_path}")
        print(f"apply: runbook tf apply --stack {args.stack} --env {args.env} --plan-file {review.plan_path}")
    return 0


def _apply(args: argparse.Namespace) -> int:
    params, runner = _load(args)
    plan_file = args.plan_file or runner.default_plan_path()
    meta = read_review_metadata(plan_file)
    if meta.get("env") not in (None, params.env):
        raise PlanError(
            f"plan {plan_file} was made for env {meta.get('env')!r}, not {params.env!r}",
            hint="plan again for this environment",
        )
    actual = file_sha256(plan_file)
    if actual != meta["plan_sha256"]:
        raise StalePlanError(str(plan_file), meta["plan_sha256"], actual)
    review = runner.review(plan_file, destroy=bool(meta.get("destroy")), save=False)
    if not args.json:
        _print_review(review)  # what is about to be approved, before anyone is asked
    return _apply_reviewed(review, params, runner, args, "tf-apply")


def _drift(args: argparse.Namespace) -> int:
    _, runner = _load(args)
    if not args.no_init:
        runner.init()
    report = runner.drift(mode=args.mode)
    if args.json:
        print_json(report.to_dict())
    else:
        print(f"drift ({report.mode}): {'DRIFT FOUND' if report.has_drift else 'none'}")
        rows = [
            {"address": i.address, "action": i.action, "source": i.source, "changed": ", ".join(i.changed)}
            for i in report.items
        ]
        if rows:
            print_table(rows, ["source", "action", "address", "changed"])
    return 1 if (args.fail_on_drift and report.has_drift) else 0


def _destroy(args: argparse.Namespace) -> int:
    params, runner = _load(args)
    if not args.no_init:
        runner.init()
    review = runner.plan(args.plan_file, destroy=True)
    if not args.json:
        _print_review(review)
    return _apply_reviewed(review, params, runner, args, "tf-destroy")
