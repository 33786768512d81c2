"""``runbook iac check``: fmt, validate, checkov, and plan/apply/verify in the sandbox, as one table.

Why a command and not a Makefile line: the sandbox part needs the runner, the gate and the
verifiers of the library, and the report (module x check, the production plan's resource count,
what the sandbox applied and verified, what it did not and why) must be one JSON document for CI.

Exit code 0 only when every static check passes, no verification failed, nothing errored, no
project resource is left after ``--destroy``, and (when both were measured) the share of the
production plan applied and verified in the sandbox reaches ``--min-coverage``.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from runbook_lib.cli._common import add_switch, print_json, print_table

if TYPE_CHECKING:
    from runbook_lib.infra.iac_check import IacCheckReport


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "iac", help="check the Terraform code: fmt, validate, checkov, sandbox apply + verify"
    )
    isub = parser.add_subparsers(dest="iac_command", required=True, metavar="ACTION")
    check = isub.add_parser("check", help="run every check of terraform_infra/ and print the module table")
    check.add_argument("--env", default="sandbox", help="environment: params/<env>.yaml (default: sandbox)")
    check.add_argument("--json", action="store_true", help="print the whole report as JSON")
    apply_help = "apply stacks 00->06 in the sandbox (headless gate) before verifying (default: no)"
    add_switch(check, "--apply", default=False, help=apply_help)
    check.add_argument(
        "--destroy",
        action="store_true",
        help="afterwards destroy the stacks in reverse order and check nothing of the project is left",
    )
    check.add_argument(
        "--static-only", action="store_true", help="only fmt, validate and checkov (no sandbox)"
    )
    check.add_argument(
        "--no-static", action="store_true", help="skip fmt, validate and checkov (the sandbox part only)"
    )
    check.add_argument(
        "--stack",
        action="append",
        dest="stacks",
        metavar="NAME",
        help="limit the sandbox and production-plan parts to this stack (repeatable)",
    )
    check.add_argument(
        "--min-coverage",
        type=float,
        default=0.85,
        help="share of the production plan that must be applied and verified (default 0.85)",
    )
    check.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    # Imported here: the check pulls in pandas (verify, the runner); other commands should not pay for it.
    from runbook_lib.infra.iac_check import IacCheck
    from runbook_lib.params import load_params

    params = load_params(args.env)
    if not args.static_only:  # fmt, validate and checkov alone talk to no AWS account
        from runbook_lib.phases.account_guard import require_allowed_account

        require_allowed_account(params.aws, where=f"runbook iac check --env {args.env}")
    progress = None if args.json else (lambda message: print(f"... {message}", file=sys.stderr, flush=True))
    check = IacCheck(
        params,
        apply=args.apply,
        destroy=args.destroy,
        static_only=args.static_only,
        static=not args.no_static,
        stacks=args.stacks,
        progress=progress,
    )
    if args.apply or args.destroy:  # it writes the environment's sandbox state: one run per environment
        from runbook_lib.phases.envlock import env_lock

        with env_lock(params, command=f"runbook iac check --env {args.env} (apply/destroy)"):
            report = check.check_all()
    else:
        report = check.check_all()
    ok = report.ok(args.min_coverage)
    if args.json:
        print_json({**report.to_dict(), "ok": ok, "min_coverage": args.min_coverage})
        return 0 if ok else 1
    _print_report(report)
    print(f"\nresult: {'OK' if ok else 'NOT OK'}")
    return 0 if ok else 1


def _print_report(report: IacCheckReport) -> None:
    columns = [
        "name",
        "fmt",
        "validate",
        "checkov",
        "prod_planned",
        "applied",
        "verified_ok",
        "verify_failed",
        "not_verified",
    ]
    print("MODULES")
    print_table(report.rows("module"), columns)
    print("\nSTACKS")
    print_table(report.rows("stack"), [*columns[:5], "planned_sandbox", *columns[5:], "prod_plan"])
    print("\nCOUNTS")
    for key, value in report.counts.items():
        print(f"  {key}: {value}")
    for title, items, cols in (
        ("NOT APPLIED IN THE SANDBOX", [vars(n) for n in report.not_applied], ["stack", "address", "reason"]),
        ("VERIFICATION FAILURES", report.verification_failures, ["address", "check", "expected", "actual"]),
        ("WAIVED CHECKS", report.waived, ["address", "check", "detail"]),
        ("CHECKOV FAILED", report.checkov_failed, ["check_id", "file", "resource"]),
        ("VALIDATE ERRORS", report.validate_errors, ["unit", "diagnostics"]),
        ("PRODUCTION PLAN PROBLEMS", report.prod_plan_problems, ["stack", "error"]),
    ):
        if items:
            print(f"\n{title}")
            print_table([{c: str(i.get(c, ""))[:160] for c in cols} for i in items], cols)
    if report.fmt_unformatted:
        print("\nNOT FORMATTED: " + ", ".join(report.fmt_unformatted))
    if report.state_locks:
        print("\nSTATE LOCKS FOUND HELD BY THE DESTROY")
        print_table(report.state_locks, ["stack", "lock_id", "who", "operation", "created", "action"])
    if report.leftovers is not None:
        print(f"\nLEFT IN THE EMULATOR AFTER DESTROY: {len(report.leftovers)}")
        for item in report.leftovers:
            print(f"  {item.service} {item.kind}: {item.name}")
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"\ndurations (s): {report.durations_s}")
