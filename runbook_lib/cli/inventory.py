"""``runbook inventory --compose PATH [--json]``: each service of a compose file, its AWS twin, phase and what moves."""

from __future__ import annotations

import argparse

from runbook_lib.cli._common import print_json, print_table
from runbook_lib.workloads.inventory import default_compose_file, inventory


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("inventory", help="list a Docker Compose platform's services and their AWS twins")
    parser.add_argument("--compose", default=None,
                        help="docker-compose.yml of the platform (default: examples/platform/docker-compose.yml)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=_inventory)


def _inventory(args: argparse.Namespace) -> int:
    rows = inventory(args.compose or default_compose_file())
    if args.json:
        print_json([{**vars(r), "mapped": r.mapped} for r in rows])
    else:
        print_table([vars(r) for r in rows], ["service", "kind", "aws", "phase", "moves"])
    unmapped = [r.service for r in rows if not r.mapped]
    if unmapped and not args.json:
        print(f"\n{len(unmapped)} service(s) not mapped: {', '.join(unmapped)}")
    return 0
