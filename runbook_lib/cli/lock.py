"""``runbook lock status | release --env ENV``: see and clear the environment lock (one run per environment).

``runbook run``, ``tf plan|apply|destroy``, ``migrate``, ``iac check --apply/--destroy`` and a notebook
phase run by hand hold the lock of their environment (:mod:`runbook_lib.phases.envlock`). A lock whose
holder is gone - killed, or its host lost - is shown as ``stale``; ``release`` clears it, and refuses
while the holder's process is alive on this host (or, without ``--force``, when it ran on another host).
"""

from __future__ import annotations

import argparse

from runbook_lib.cli._common import print_json, print_table


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("lock", help="show or clear the lock that allows one run per environment")
    lsub = parser.add_subparsers(dest="lock_command", required=True, metavar="ACTION")
    status = lsub.add_parser("status", help="who holds the environment's lock, since when, running what")
    status.add_argument("--env", required=True, help="environment: params/<env>.yaml")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=_status)
    release = lsub.add_parser("release", help="clear a lock whose holder is gone (never a live holder's)")
    release.add_argument("--env", required=True, help="environment: params/<env>.yaml")
    release.add_argument(
        "--force",
        action="store_true",
        help="also clear a lock held from another host (whose process cannot be checked from here)",
    )
    release.set_defaults(func=_release)


def _status(args: argparse.Namespace) -> int:
    from runbook_lib.params import load_params
    from runbook_lib.phases.envlock import lock_status

    states = lock_status(load_params(args.env))
    if args.json:
        print_json([s.to_dict() for s in states])
        return 0
    rows = []
    for state in states:
        holder = state.holder or {}
        rows.append(
            {
                "lock": state.where,
                "state": state.state,
                "holder": f"{holder.get('user')}@{holder.get('host')} pid {holder.get('pid')}" if holder else "",
                "command": holder.get("command", ""),
                "run": holder.get("run_id") or "",
                "since": holder.get("started_at", ""),
            }
        )
    print_table(rows, ["state", "lock", "holder", "command", "run", "since"])
    if any(s.state == "stale" for s in states):
        print(f"stale: its holder is gone; `runbook lock release --env {args.env}` clears it")
    return 0


def _release(args: argparse.Namespace) -> int:
    from runbook_lib.params import load_params
    from runbook_lib.phases.envlock import release_stale

    cleared = release_stale(load_params(args.env), force=args.force)
    if not cleared:
        print(f"the lock of {args.env} is free; nothing to release")
    for where in cleared:
        print(f"released {where}")
    return 0
