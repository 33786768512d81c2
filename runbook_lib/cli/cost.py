"""``runbook cost estimate``: the offline monthly cost of a stack's saved plan (or of the whole platform).

Why offline: the estimate is shown before a gate, where the plan is the only thing there is; it prices the plan's
resources from the price table in the repo with the params' usage profile (``runbook_lib.cost``), and lists what it
cannot price instead of counting it as zero. ``--plan-json`` prices a saved ``terraform show -json`` document (a
file, or a folder of ``<stack>.json`` files with ``--stack all``) without Terraform or AWS.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from runbook_lib.cli._common import print_json, print_table
from runbook_lib.cost.estimate import PlanEstimate, combine, estimate_from_params
from runbook_lib.errors import CostError, ParamsError
from runbook_lib.params import load_params, resolve_path
from runbook_lib.terraform.plan import Plan, load_plan_json

ALL = "all"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("cost", help="estimate what a plan will cost per month (offline price table)")
    csub = parser.add_subparsers(dest="cost_command", required=True, metavar="ACTION")
    est = csub.add_parser("estimate", help="monthly cost of a stack's saved plan, per resource, module and stack")
    est.add_argument("--stack", required=True, help=f"stack name, or {ALL!r} for every stack of the platform")
    est.add_argument("--env", required=True, help="environment: params/<env>.yaml (usage profile, price region)")
    est.add_argument("--plan-json", help="a saved `terraform show -json` file, or a folder of <stack>.json files")
    est.add_argument("--profile", help="usage profile (default: cost.usage_profile of the params)")
    est.add_argument("--json", action="store_true", help="print the estimate as JSON")
    est.set_defaults(func=_estimate)
    act = csub.add_parser("actuals", help="Cost Explorer daily cost by service (paid requests printed)")
    act.add_argument("--env", required=True, help="environment: params/<env>.yaml")
    act.add_argument("--days", type=int, default=14, help="the last N days (default 14)")
    act.add_argument("--json", action="store_true", help="print the rows as JSON")
    act.set_defaults(func=_actuals)


def _stacks(params: object, plan_json: Path | None) -> list[str]:
    if plan_json is not None and plan_json.is_dir():
        return sorted(p.stem for p in plan_json.glob("*.json"))
    stacks_dir = resolve_path(params.terraform.stacks_dir)  # type: ignore[attr-defined]
    return sorted(p.name for p in stacks_dir.iterdir() if p.is_dir() and any(p.glob("*.tf")))


def _plan_for(params: object, stack: str, plan_json: Path | None) -> Plan:
    if plan_json is not None:
        path = plan_json / f"{stack}.json" if plan_json.is_dir() else plan_json
        if not path.is_file():
            raise ParamsError("--plan-json", str(path), "a terraform show -json file (or a folder of <stack>.json)")
        return load_plan_json(path)
    from runbook_lib.infra.terraform_setup import runner_from_params

    runner = runner_from_params(params, stack)  # type: ignore[arg-type]
    saved = runner.default_plan_path()
    if not saved.is_file():
        raise CostError(f"stack {stack} has no saved plan at {saved}",
                        hint=f"run `runbook tf plan --stack {stack} --env ...` first, or pass --plan-json")
    return runner.show(saved)


def _estimate(args: argparse.Namespace) -> int:
    params = load_params(args.env)
    plan_json = Path(args.plan_json) if args.plan_json else None
    stacks = _stacks(params, plan_json) if args.stack == ALL else [args.stack]
    estimates: list[PlanEstimate] = [
        estimate_from_params(_plan_for(params, stack, plan_json), stack=stack, params=params, profile=args.profile)
        for stack in stacks
    ]
    estimate = combine(estimates, name=ALL) if len(estimates) > 1 else estimates[0]
    cov = estimate.coverage()
    if args.json:
        print_json({
            "summary": estimate.summary(),
            "by_stack": estimate.by_stack().to_dict(orient="records"),
            "by_module": estimate.by_module().to_dict(orient="records"),
            "lines": estimate.lines_frame().to_dict(orient="records"),
        })
        return 0
    print(f"env {params.env} · region {estimate.region} · usage profile {estimate.usage_profile} · "
          f"price table of {estimate.price_date}")
    if len(estimates) > 1:
        print_table(estimate.by_stack().to_dict(orient="records"), ["stack", "monthly_usd", "not_priced_lines"])
        print()
    print_table(estimate.by_type().query("monthly_usd > 0 or not_priced_lines > 0").to_dict(orient="records"),
                ["type", "monthly_usd", "not_priced_lines"])
    for line in estimate.not_priced:
        print(f"not priced: {line.address} {line.dimension} {line.variant}: {line.reason}")
    print(f"total USD {estimate.total_usd:,.2f}/month · {len(estimate.not_priced)} line(s) not priced · "
          f"priced types {len(cov.covered_types)}/{len(cov.chargeable_types)} ({cov.share:.0%})"
          + (f" · no price: {', '.join(cov.uncovered_types)}" if cov.uncovered_types else ""))
    return 0


def _actuals(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    from runbook_lib.clients import aws_client
    from runbook_lib.cost import actuals
    from runbook_lib.params import resolve_outputs_dir
    from runbook_lib.phases.account_guard import require_allowed_account

    if args.days < 1:
        raise ParamsError("--days", args.days, "a whole number of days >= 1")
    params = load_params(args.env)
    require_allowed_account(params.aws, where=f"runbook cost actuals --env {args.env}")
    end = datetime.now(UTC).date()
    start = end - timedelta(days=args.days)
    ledger = actuals.CostLedger()
    cache = actuals.CostCache(None if params.is_sandbox else resolve_outputs_dir(params) / ".cost-cache" / params.env)
    frame = actuals.daily_costs(aws_client("ce", params.aws, region="us-east-1"), actuals.BY_SERVICE, start, end,
                                ledger=ledger, cache=cache, max_pages=params.cost.max_pages)
    shown = actuals.period_status(frame, start, end)
    if args.json:
        print_json({"rows": shown.to_dict(orient="records"), "paid_requests": ledger.requests, "usd": ledger.usd})
    else:
        print_table(shown.to_dict(orient="records"), ["date", "group", "usd"])
    print(ledger.line(), file=sys.stderr)
    return 0

