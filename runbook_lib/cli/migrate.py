"""``runbook migrate KIND --env ENV``: check, copy (resumably) and verify one kind of data.

Generic over kinds: the migrator comes from the registry (``get_migrator(kind)``) and builds itself
from the environment's parameters (``from_params``), so a new kind needs no change here. What each
step found is printed before the next step starts, and the verify table is printed (or emitted as
JSON) *before* a failed verification raises, so the evidence exists even when the run fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from runbook_lib.cli._common import add_switch, print_json, print_table, to_jsonable
from runbook_lib.errors import CompatibilityError, CopyFailedError, MigrationVerificationError

#: Shown in --help; the registry is the authority (an unknown kind lists the known ones).
DOCUMENTED_KINDS = ("s3", "postgres", "mongo", "kafka")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "migrate", help="check, copy and verify one kind of data (objects, PostgreSQL, MongoDB, Kafka)"
    )
    parser.add_argument("kind", metavar="{" + ",".join(DOCUMENTED_KINDS) + "}", help="what to migrate")
    parser.add_argument("--env", required=True, help="the params file to use: params/<ENV>.yaml")
    parser.add_argument("--verify-only", action="store_true", help="compare target with source; copy nothing")
    add_switch(
        parser,
        "--resume",
        default=None,
        help="resume a checkpoint whose target matches, whichever run made it (says which); --no-resume moves "
        "any checkpoint aside, renamed with its run id, and copies from the start (default: neither - a "
        "checkpoint left by an earlier run is refused with its run id, so a new copy never continues an old "
        "one unasked)",
    )
    parser.add_argument(
        "--checkpoint-dir",
        type=Path,
        default=None,
        help="where checkpoints live (default: $RUNBOOK_CHECKPOINT_DIR/<env>/<kind> if set, else "
        "<evidence.outputs_dir>/.checkpoints/<env>/<kind>)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    parser.set_defaults(func=_migrate)


def _migrate(args: argparse.Namespace) -> int:
    from runbook_lib.migrate.base import default_checkpoint_dir
    from runbook_lib.migrate.registry import get_migrator
    from runbook_lib.params import load_params, resolve_outputs_dir
    from runbook_lib.phases.account_guard import require_allowed_account
    from runbook_lib.phases.envlock import env_lock

    params = load_params(args.env)
    require_allowed_account(params.aws, where=f"runbook migrate {args.kind} --env {args.env}")
    sandbox_state = None
    if params.is_sandbox:
        from runbook_lib.sandbox import require_running

        sandbox_state = require_running(f"`runbook migrate {args.kind}`")
    migrator_cls = get_migrator(args.kind)
    progress = _quiet_progress if args.json else None
    # Where `runbook run` would put this env's run folders (and so the notebooks' checkpoints), so the CLI
    # and a notebook run resume each other's copies; $RUNBOOK_CHECKPOINT_DIR still wins.
    checkpoint_dir = args.checkpoint_dir or default_checkpoint_dir(
        params.env, migrator_cls.kind, outputs_dir=resolve_outputs_dir(params)
    )
    # One run per environment: a second copy of the same kind would end this one's sessions or interleave its journal.
    lock = env_lock(params, command=f"runbook migrate {args.kind} --env {args.env}").acquire()
    try:
        migrator = migrator_cls.from_params(params, sandbox_state, checkpoint_dir=checkpoint_dir, progress=progress)
        if not args.verify_only:
            mode = {True: "matching", False: "never", None: "ask"}[args.resume]
            claim = migrator.claim_checkpoints(_cli_run_id(params.env), resume=mode)
    except BaseException:
        lock.release()
        raise
    document: dict[str, Any] = {
        "kind": args.kind,
        "env": args.env,
        "verify_only": args.verify_only,
        "resume": args.resume,
    }
    if not args.verify_only:
        document["checkpoint"] = claim.to_row()
        if not args.json:
            print(f"== checkpoint: {claim.message()}")
    try:
        check = migrator.check()
        document["check"] = {"ok": check.ok, "findings": check.findings}
        if not args.json:
            _print_check(check)
        if not check.ok:
            raise CompatibilityError(args.kind, [f"{f.object}: {f.message}" for f in check.blockers])
        if not args.verify_only:
            try:
                copy = migrator.copy(resume=args.resume is not False and claim.action != "moved_aside")
            except CopyFailedError as error:
                document["copy"] = getattr(error, "report", None)
                document["copy_failed"] = error.failed
                raise
            document["copy"] = copy
            if not args.json:
                _print_copy(copy)
        verify = migrator.verify()
        document["verify"] = {
            "ok": verify.ok,
            "rows": [{**to_jsonable(r), "ok": r.ok} for r in verify.rows],
            "problems": verify.problems,
            "notes": verify.notes,
        }
        document["ok"] = verify.ok
        if not args.json:
            _print_verify(verify)
        if not verify.ok:
            raise _verification_error(args.kind, verify)
        return 0
    finally:
        lock.release()
        if args.json:
            document.setdefault("ok", False)
            print_json(document)


def _cli_run_id(env: str) -> str:
    """The run id a ``runbook migrate`` stamps on a checkpoint folder it starts (``migrate-<env>-<time>-<hex>``)."""
    from runbook_lib.phases.headless import new_run_id

    return f"migrate-{new_run_id(env)}"


def _quiet_progress(*_args: Any, **kwargs: Any) -> Any:
    """With --json, progress goes to stderr and only when it is a terminal (stdout stays one document)."""
    from tqdm.auto import tqdm

    return tqdm(file=sys.stderr, disable=not sys.stderr.isatty(), **kwargs)


def _verification_error(kind: str, verify: Any) -> MigrationVerificationError:
    bad = next((r for r in verify.rows if not r.ok), verify.rows[0] if verify.rows else None)
    if bad is None:
        return MigrationVerificationError(kind, "(nothing)", "at least one unit", verify.problems)
    expected = {"count": bad.source_count, "checksum": bad.source_checksum}
    actual = {
        "count": bad.target_count,
        "missing": bad.missing,
        "mismatched": bad.mismatched,
        "extra": bad.extra,
        "checksum": bad.target_checksum,
    }
    error = MigrationVerificationError(kind, bad.unit, expected, actual)
    error.problems = list(verify.problems)  # type: ignore[attr-defined]
    return error


def _print_check(check: Any) -> None:
    print(f"== check ({'ok' if check.ok else 'BLOCKED'})")
    rows = [
        {"severity": f.severity, "object": f.object, "finding": f.message, "fix": f.fix}
        for f in check.findings
    ]
    print_table(rows, ["severity", "object", "finding", "fix"])


def _print_copy(copy: Any) -> None:
    print(
        f"\n== copy: {copy.items_copied} copied ({copy.bytes_copied} bytes), {copy.items_skipped} skipped "
        f"(already verified) in {copy.seconds:.1f}s"
    )
    details = copy.details or {}
    # Per-unit statistics: under "buckets"/"units", or (a group of migrators) one dict per member.
    units = (
        details.get("buckets")
        or details.get("units")
        or {k: v for k, v in details.items() if isinstance(v, dict)}
    )
    if units:
        columns = sorted(
            {
                k
                for stats in units.values()
                if isinstance(stats, dict)
                for k, v in stats.items()
                if isinstance(v, (int, float, str)) and k not in ("journal",)
            }
        )
        rows = [{"unit": unit, **stats} for unit, stats in units.items() if isinstance(stats, dict)]
        print_table(rows, ["unit", *columns])


def _print_verify(verify: Any) -> None:
    print(f"\n== verify ({'ok' if verify.ok else 'FAILED'})")
    rows = [{**r.__dict__, "ok": r.ok} for r in verify.rows]
    print_table(
        rows,
        [
            "unit",
            "source_count",
            "target_count",
            "matched",
            "missing",
            "mismatched",
            "extra",
            "bytes",
            "source_checksum",
            "target_checksum",
            "ok",
        ],
    )
    for problem in verify.problems:
        print(f"  ! {problem}")
    for note in getattr(verify, "notes", []):
        print(f"  - {note}")
