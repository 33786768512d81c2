"""``runbook sandbox up | status | down``: the local stand-in for both sides of the migration."""

from __future__ import annotations

import argparse
import time

from runbook_lib import sandbox
from runbook_lib.cli._common import print_json, print_table


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sandbox", help="start, inspect or stop the local sandbox (source platform + AWS stand-in)")
    ssub = parser.add_subparsers(dest="sandbox_command", required=True, metavar="ACTION")
    up = ssub.add_parser("up", help="start every service and seed the source (safe to run twice)")
    up.add_argument("--scale", default="small", choices=sandbox.SCALES, help="size of the seeded sample")
    up.add_argument("--base-port", type=int, help="use consecutive ports from here (default: free ports)")
    up.add_argument("--no-seed", action="store_true", help="start services without seeding the source")
    up.add_argument("--json", action="store_true")
    up.set_defaults(func=_up)
    st = ssub.add_parser("status", help="role, address, URL and health of every service")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=_status)
    down = ssub.add_parser("down", help="stop what `up` started and remove the sandbox data")
    down.add_argument("--keep-data", action="store_true", help="keep .sandbox/ (logs, state) after stopping")
    down.add_argument("--json", action="store_true")
    down.set_defaults(func=_down)


def _print_status(as_json: bool) -> int:
    services = sandbox.status()
    healthy = all(s.health == "healthy" for s in services)
    if as_json:
        state = sandbox.load_state()
        print_json({"healthy": healthy, "scale": state.scale if state else None,
                    "seeded": state.seeded if state else {}, "services": services})
    else:
        rows = [{"service": s.name, "role": s.role, "stands for": s.stands_for + (" [MOCK]" if s.mocked else ""),
                 "url": s.url, "health": s.health} for s in services]
        print_table(rows, ["service", "role", "stands for", "url", "health"])
    return 0 if healthy else 5


def _up(args: argparse.Namespace) -> int:
    started = time.monotonic()
    state = sandbox.up(args.scale, base_port=args.base_port, seed=not args.no_seed)
    if not args.json:
        print(f"sandbox up in {time.monotonic() - started:.1f}s (scale {state.scale}; seeded {state.seeded})")
    return _print_status(args.json)


def _status(args: argparse.Namespace) -> int:
    return _print_status(args.json)


def _down(args: argparse.Namespace) -> int:
    report = sandbox.down(keep_data=args.keep_data)
    if args.json:
        print_json(report)
    else:
        print(f"stopped: {', '.join(report.stopped) or 'nothing'}; removed: {report.removed or 'nothing'}")
        if report.ports_still_listening:
            print(f"WARNING: ports still listening: {report.ports_still_listening}")
    return 1 if report.ports_still_listening else 0
