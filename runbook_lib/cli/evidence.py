"""``runbook evidence verify | list``: check a run folder's hashes; list the runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from runbook_lib.cli._common import print_json, print_table
from runbook_lib.errors import EvidenceError
from runbook_lib.evidence import list_runs, verify_evidence
from runbook_lib.paths import project_root


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("evidence", help="verify or list run evidence folders")
    esub = parser.add_subparsers(dest="evidence_command", required=True, metavar="ACTION")
    verify = esub.add_parser("verify", help="check every recorded sha256 and listed file of a run folder")
    verify.add_argument("run_dir", type=Path, help="outputs/<run-id>")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=_verify)
    listing = esub.add_parser("list", help="list run folders, newest first")
    listing.add_argument("--outputs-dir", type=Path, help="folder of run folders (default: outputs/)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)


def _verify(args: argparse.Namespace) -> int:
    report = verify_evidence(args.run_dir)
    if args.json:
        print_json(report.to_dict())
    else:
        print(f"{args.run_dir}: {report.checked} file(s) checked")
        for mismatch in report.mismatched:
            print(
                f"  MISMATCH   {mismatch.path}: recorded {mismatch.expected[:12]}, now {mismatch.actual[:12]}"
            )
        for path in report.missing:
            print(f"  MISSING    {path}")
        for path in report.unrecorded:
            print(f"  UNRECORDED {path}")
        for error in report.errors:
            print(f"  ERROR      {error}")
        if report.ok:
            print("  OK: every file matches the manifest")
    if not report.ok:
        problems = len(report.mismatched) + len(report.missing) + len(report.unrecorded) + len(report.errors)
        raise EvidenceError(
            f"{args.run_dir}: {problems} problem(s) with the evidence",
            hint="the folder was changed after the run wrote it",
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    runs = list_runs(args.outputs_dir or project_root() / "outputs")
    if args.json:
        print_json(runs)
        return 0
    rows = [
        {
            "run_id": r.run_id,
            "env": r.env or "",
            "created": r.created_at,
            "git": r.git_commit[:12],
            "phases": ", ".join(f"{n} {s}" for s, n in sorted(r.statuses.items())),
            "path": r.path,
        }
        for r in runs
    ]
    print_table(rows, ["run_id", "env", "created", "git", "phases", "path"])
    return 0
