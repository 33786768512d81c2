"""``runbook cicd generate | plan-comment``: write and check the GitHub Actions workflows; the plan comment."""

from __future__ import annotations

import argparse
from pathlib import Path

from runbook_lib.cli._common import print_json


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("cicd", help="generate and check the GitHub Actions workflows; format a plan comment")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    gen = actions.add_parser("generate", help="write runbook-<env>.yml for cicd.environments and check them")
    gen.add_argument("--env", required=True, help="params/<ENV>.yaml to use")
    gen.add_argument("--out", type=Path, default=None, help="folder to write (default: cicd.workflow_dir)")
    gen.add_argument("--params-dir", type=Path, default=None, help="folder of params files (default: params/)")
    gen.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    gen.set_defaults(func=_generate)
    comment = actions.add_parser("plan-comment", help="markdown of `runbook tf plan --json` files, for a PR")
    comment.add_argument("plans", nargs="+", type=Path, help="files written by `runbook tf plan --json`")
    comment.add_argument("--cost", type=Path, nargs="*", default=[], help="`runbook cost estimate --json` files")
    comment.set_defaults(func=_plan_comment)


def _generate(args: argparse.Namespace) -> int:
    from runbook_lib.cicd.pipeline import generate_pipeline
    from runbook_lib.params import load_params

    params = load_params(args.env, args.params_dir)
    out = args.out or Path(params.cicd.workflow_dir or ".github/workflows")
    result = generate_pipeline(params, default_dir=out, params_dir=args.params_dir)
    frame = result.report.to_frame()
    if args.json:
        print_json(
            {
                "ok": result.ok,
                "files": frame.to_dict(orient="records"),
                "environments": result.environments_frame().to_dict(orient="records"),
            }
        )
    else:
        print(frame.to_string(index=False))
        print(result.environments_frame().to_string(index=False))
    return 0 if result.ok else 1


def _plan_comment(args: argparse.Namespace) -> int:
    from runbook_lib.cicd.plan_comment import cost_markdown, plan_comment

    costs = [p for p in args.cost if p.is_file()]
    print(plan_comment(args.plans, cost_markdown=cost_markdown(costs) if costs else None), end="")
    return 0
