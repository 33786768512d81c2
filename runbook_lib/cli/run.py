"""``runbook run --env ENV``: execute the phase notebooks headless, with evidence.

The run stops at the first failing phase; the error names the cell, the
exception and the partly executed notebook, and the exit code follows the
exception raised in the notebook (a rejected gate exits 3, bad parameters 2).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from runbook_lib.cli._common import print_json, print_table
from runbook_lib.errors import PhaseFailedError
from runbook_lib.phases.headless import PhaseOutcome, run_notebooks


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="execute the phase notebooks with papermill and record evidence")
    parser.add_argument("--env", required=True, help="params/<ENV>.yaml to use")
    parser.add_argument("--phases", help="which phases, e.g. 0-3,5 (default: all)")
    parser.add_argument(
        "--resume", metavar="RUN_ID", help="continue RUN_ID from its first phase that did not succeed"
    )
    parser.add_argument("--dry-run", action="store_true", help="list phases and parameters; execute nothing")
    parser.add_argument(
        "--accept-changes",
        action="store_true",
        help="with --resume: continue although notebooks, library, terraform_infra/ or tfvars changed "
        "(recorded in the evidence as a gate decision)",
    )
    parser.add_argument(
        "--notebooks-dir", type=Path, help="folder of NN_name.ipynb notebooks (default: notebooks/)"
    )
    parser.add_argument("--params-dir", type=Path, help="folder of params files (default: params/)")
    parser.add_argument(
        "--outputs-dir", type=Path, help="folder of run folders (default: evidence.outputs_dir)"
    )
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name (default: python3)")
    parser.add_argument("--cell-timeout", type=int, help="seconds per cell before giving up (default: none)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=_run)


def _progress(event: str, phase: str, outcome: PhaseOutcome | None) -> None:
    if event == "start":
        print(f"[{phase}] running …", flush=True)
    elif outcome is not None:
        print(f"[{phase}] {outcome.status} in {outcome.seconds:.1f}s", flush=True)


def _run(args: argparse.Namespace) -> int:
    try:
        result = run_notebooks(
            args.env,
            phases=args.phases,
            resume=args.resume,
            dry_run=args.dry_run,
            notebooks_dir=args.notebooks_dir,
            params_dir=args.params_dir,
            outputs_dir=args.outputs_dir,
            kernel_name=args.kernel,
            execution_timeout=args.cell_timeout,
            listener=None if args.json else _progress,
            accept_changes=args.accept_changes,
        )
    except PhaseFailedError as error:
        print(f"phase {error.phase} failed", flush=True)
        print(f"  cell index: {error.cell_index}")
        print(f"  error:      {error.ename}: {error.evalue}")
        print(f"  notebook:   {error.notebook}")
        raise
    if args.json:
        print_json(result)
        return 0
    if result.dry_run:
        print(f"run {result.run_id} (dry run{', resume' if result.resumed else ''}) -> {result.run_dir}")
        rows = [
            {
                "phase": p.number,
                "name": p.name,
                "status": p.status,
                "run": "yes" if p.will_run else "no",
                "notebook": p.notebook,
            }
            for p in result.planned
        ]
        print_table(rows, ["phase", "name", "status", "run", "notebook"])
        first = next((p for p in result.planned if p.will_run), None)
        if first is not None:
            print("parameters injected into each notebook:")
            for key, value in first.parameters.items():
                print(f"  {key} = {value if key != 'phase' else '<the phase name>'}")
        return 0
    done = sum(1 for o in result.executed if o.status == "succeeded")
    print(f"run {result.run_id}: {done} phase(s) succeeded; evidence: {Path(result.run_dir) / 'index.html'}")
    return 0
