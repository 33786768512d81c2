"""``runbook evidence verify | list | compare | keygen``: check a run folder's chain, hashes and signature; list
the runs; compare two runs' results; make an Ed25519 signing key.

Where ``verify`` takes the expected key from (first match): ``--public-key`` / ``--public-key-sha256`` /
``--kms-key-id``; only ``--expect-digest`` (the change ticket pins the run); else the params of the run's env
(``--env`` and ``--params-dir`` override), whose ``evidence.signing`` names the key file or KMS key. Never
the public key inside the folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from runbook_lib import paths
from runbook_lib.cli._common import print_json, print_table
from runbook_lib.errors import EvidenceError, ParamsError
from runbook_lib.evidence import (
    CHAIN_NAME,
    IntegrityReport,
    TrustAnchor,
    generate_ed25519_key,
    list_runs,
    trust_from_params,
    verify_evidence,
)
from runbook_lib.evidence.chain import read_chain
from runbook_lib.evidence.compare import compare_runs
from runbook_lib.evidence.signing import Ed25519Signer, KmsSigner, kms_client, public_key_pem, public_key_sha256
from runbook_lib.params import load_params
from runbook_lib.paths import project_root


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("evidence", help="verify or list run evidence folders, make a signing key")
    esub = parser.add_subparsers(dest="evidence_command", required=True, metavar="ACTION")
    verify = esub.add_parser(
        "verify",
        help="check a run folder's record log, file hashes and signature; print the signed digest",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify.add_argument("run_dir", type=Path, help="outputs/<run-id>")
    verify.add_argument("--json", action="store_true")
    verify.add_argument("--env", help="whose params name the signing key (default: the run's env)")
    verify.add_argument("--params-dir", type=Path, help="folder of params files (default: params/)")
    verify.add_argument("--public-key", type=Path, help="the expected signer's public key (PEM or DER)")
    verify.add_argument("--public-key-sha256", help="sha256 of the expected signer's DER public key")
    verify.add_argument("--kms-key-id", help="the expected KMS key (id, ARN or alias); AWS settings from the params")
    verify.add_argument("--expect-digest", help="the signed digest from the change ticket (sha256:HEX or HEX)")
    verify.add_argument(
        "--allow-unsigned", action="store_true", help="accept a run made with evidence.signing.mode none (sandbox)"
    )
    verify.set_defaults(func=_verify)
    listing = esub.add_parser("list", help="list run folders, newest first")
    listing.add_argument("--outputs-dir", type=Path, help="folder of run folders (default: outputs/)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)
    compare = esub.add_parser(
        "compare", help="compare two runs' results (phases, counts and checksums per kind, gates, go/no-go, DR, cost)"
    )
    compare.add_argument("first", type=Path, help="outputs/<run-id> of the first run")
    compare.add_argument("second", type=Path, help="outputs/<run-id> of the second run")
    compare.add_argument("--all", action="store_true", help="print every compared aspect, not only the differences")
    compare.add_argument("--json", action="store_true")
    compare.set_defaults(func=_compare)
    keygen = esub.add_parser("keygen", help="write a new Ed25519 evidence signing key (mode 0600) and its .pub.pem")
    keygen.add_argument("key_file", type=Path, help="where the private key goes (never overwritten)")
    keygen.set_defaults(func=_keygen)


def _verify(args: argparse.Namespace) -> int:
    trust = _trust(args)
    report = verify_evidence(
        args.run_dir, trust=trust, expect_digest=args.expect_digest, allow_unsigned=args.allow_unsigned
    )
    if args.json:
        print_json(report.to_dict())
    else:
        _print_report(args.run_dir, report)
    if not report.ok:
        problems = (
            len(report.mismatched)
            + len(report.missing)
            + len(report.unrecorded)
            + len(report.renamed)
            + len(report.errors)
        )
        raise EvidenceError(
            f"{args.run_dir}: {max(problems, 1)} problem(s) with the evidence (signature {report.signature})",
            hint="the folder was changed after the run wrote it, is not sealed, or was signed by another key",
        )
    return 0


def _print_report(run_dir: Path, report: IntegrityReport) -> None:
    print(f"{run_dir}: {report.records} record(s), {report.checked} file(s) checked")
    if report.digest:
        print(f"  signed digest sha256:{report.digest} (record {report.signed_seq})")
    print(f"  signature  {report.signature}{f' — {report.signer}' if report.signer else ''}")
    if report.trust:
        print(f"  trusted    {report.trust}")
    for mismatch in report.mismatched:
        print(f"  MISMATCH   {mismatch.path}: recorded {mismatch.expected[:12]}, now {mismatch.actual[:12]}")
    for path in report.missing:
        print(f"  MISSING    {path}")
    for renamed in report.renamed:
        print(f"  RENAMED    {renamed.path} -> {renamed.now}")
    for path in report.unrecorded:
        print(f"  UNRECORDED {path}")
    for error in report.errors:
        print(f"  ERROR      {error}")
    if report.ok and report.digest:
        print("  OK: chain, files and signature verified")
        print(f"  for the change ticket: runbook-evidence {report.run_id} sha256:{report.digest}")
    elif report.ok:
        print("  OK: chain and files verified; NOT SIGNED (evidence.signing.mode none)")


def _trust(args: argparse.Namespace) -> TrustAnchor | None:
    """The key the run must be signed with, from outside the run folder (see the module docstring)."""
    if args.public_key:
        return TrustAnchor.from_public_key_file(args.public_key)
    if args.public_key_sha256:
        return TrustAnchor.from_fingerprint(args.public_key_sha256)
    if args.expect_digest and not (args.env or args.params_dir or args.kms_key_id):
        return None  # the change ticket's digest pins the run, public key included
    env = args.env or _run_env(args.run_dir)
    if env is None:
        return None  # no readable record log: verify reports it
    params_dir = args.params_dir or paths.params_dir()
    params = load_params(env, params_dir)
    try:
        if args.kms_key_id:
            return TrustAnchor(
                source=f"--kms-key-id {args.kms_key_id}", kms=KmsSigner(args.kms_key_id, kms_client(params.aws))
            )
        return trust_from_params(params, params_dir.resolve().parent)
    except EvidenceError as error:
        raise EvidenceError(
            f"cannot get the expected signing key from params {env}: {error.message}",
            hint="give it with --public-key or --public-key-sha256, or pin the run with --expect-digest",
        ) from None


def _run_env(run_dir: Path) -> str | None:
    reading = read_chain(run_dir)
    if not reading.records:
        return None
    env = reading.records[0].data.get("env")
    if env is None:
        raise ParamsError(
            "--env",
            None,
            "the env whose params name the signing key, or --public-key / --public-key-sha256 / --expect-digest",
            message=f"the first record of {run_dir / CHAIN_NAME} names no env",
        )
    return str(env)


def _compare(args: argparse.Namespace) -> int:
    """Exit 0 when the two runs reached the same results, 1 (with the differing rows) when not."""
    comparison = compare_runs(args.first, args.second)
    if args.json:
        print_json(comparison.to_dict())
    else:
        shown = comparison.rows if args.all else comparison.differing
        print(f"{comparison.first.run_id} vs {comparison.second.run_id}: {len(comparison.rows)} aspect(s) compared, "
              f"{len(comparison.differing)} differ")
        if shown:
            print_table([{"aspect": r.aspect, "first": _cell(r.first), "second": _cell(r.second),
                          "same": "yes" if r.same else "NO"} for r in shown], ["aspect", "first", "second", "same"])
        print("  SAME RESULTS" if comparison.same else "  DIFFERENT RESULTS")
    return 0 if comparison.same else 1


def _cell(value: object, width: int = 60) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _keygen(args: argparse.Namespace) -> int:
    key_file: Path = args.key_file
    if key_file.exists():
        raise EvidenceError(f"{key_file} exists; a signing key is never overwritten", hint="choose another path")
    generate_ed25519_key(key_file)
    der = Ed25519Signer(key_file).public_key_der()
    public = key_file.with_name(key_file.name + ".pub.pem")
    public.write_bytes(public_key_pem(der))
    print(f"private key {key_file} (mode 0600): set evidence.signing.key_file to it")
    print(f"public key  {public}")
    print(f"public key sha256 {public_key_sha256(der)} (give auditors this, or the .pub.pem)")
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
