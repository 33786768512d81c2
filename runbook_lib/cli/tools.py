"""``runbook tools install | status``: make Terraform work offline and show what is ready."""

from __future__ import annotations

import argparse

from runbook_lib.cli._common import print_json, print_table
from runbook_lib.terraform.cli_config import install_cli_config
from runbook_lib.tools import tools_status


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("tools", help="install the Terraform CLI config; show tool readiness")
    tsub = parser.add_subparsers(dest="tools_command", required=True, metavar="ACTION")
    install = tsub.add_parser("install", help="write a Terraform CLI config that uses the local provider mirror")
    install.add_argument("--mirror", help="provider mirror folder (default: found automatically)")
    install.add_argument("--force", action="store_true", help="replace a CLI config you wrote yourself (kept as .bak)")
    install.set_defaults(func=_install)
    status = tsub.add_parser("status", help="show each tool's path, version and readiness")
    status.add_argument("--json", action="store_true")
    status.add_argument("--terraform-binary", default="auto", choices=["auto", "terraform", "tofu"])
    status.add_argument("--mirror", help="provider mirror folder (default: found automatically)")
    status.set_defaults(func=_status)


def _install(args: argparse.Namespace) -> int:
    result = install_cli_config(args.mirror, force=args.force)
    print(result.message)
    return 1 if result.action == "refused" else 0


def _status(args: argparse.Namespace) -> int:
    report = tools_status(terraform_binary=args.terraform_binary, mirror_path=args.mirror)
    if args.json:
        print_json({"ready": report.ready, "tools": report.tools})
    else:
        rows = [{"tool": t.name, "ready": "yes" if t.ready else "NO", "version": t.version or "", "path": t.path or "",
                 "detail": t.detail} for t in report.tools]
        print_table(rows, ["tool", "ready", "version", "path", "detail"])
    return 0 if report.ready else 4
