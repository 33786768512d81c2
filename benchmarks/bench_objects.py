"""Object copy benchmark: our migrator (verification on) vs ``rclone copy --checksum`` vs ``aws s3 sync``.

All three copy the same generated data between the same two moto servers (one stands for MinIO,
one for S3), each into a fresh target bucket of its own, in the same run:

* ``ours``: ``S3Migrator.copy()`` — SHA-256 and MD5 of every object/part computed from the source
  bytes on the way; moto reports the MD5 of what it received as the ETag, so each write is proven by
  it (on Amazon S3 the server validates the declared SHA-256 instead); objects below the multipart
  threshold stream from the source GET into the target PUT; checkpoint journal fsynced per batch.
  Then ``verify()`` as the tool runs it (``auto`` -> ``listing``: both listings, each target object
  unchanged since its proven write) and, separately timed, ``verify()`` in mode ``deep``, which
  re-reads and hashes every target object. All three times are reported.
* ``rclone``: ``rclone copy SRC:bucket DST:bucket --checksum --transfers W --checkers 2W``, remotes
  configured through ``RCLONE_CONFIG_*`` environment variables (provider ``Other``, path style).
* ``aws``: the AWS CLI cannot copy between two endpoints, so it is the two commands an operator
  would run: ``aws s3 sync s3://SRC DIR --endpoint-url SRC_URL`` then
  ``aws s3 sync DIR s3://DST --endpoint-url DST_URL`` (timed together; its defaults, 10 threads).

Each tool runs ``--rounds`` times (default 2), the order of the tools reversed every round, each
into a bucket of its own that is emptied after the run; the table shows each tool's best round and
the JSON keeps every round. Why: the first copy into a fresh moto server is measurably slower (one
run with ours first: 0.82x rclone, the next with rclone first: 0.95x), so a single run in a fixed
order measures the order as much as the tools.

Datasets: (a) ``--small-count`` small objects (sizes drawn from ``--small-min``..``--small-max``
bytes), (b) ``--large-count`` objects of ``--large-mib`` MiB, uploaded multipart as large files are.
Data is deterministic (seeded). Results print as a table and go to
``benchmarks/results/objects.json``. Note: moto itself (pure Python, one process per endpoint, on
the same cores as the tools) is likely the bottleneck; the numbers compare tools against *this*
setup, not against AWS.

Usage::

    python benchmarks/bench_objects.py                 # 10,000 small + 16 x 128 MiB (2 GiB)
    python benchmarks/bench_objects.py --quick         # a smoke run in seconds
    python benchmarks/bench_objects.py --tools ours,rclone --datasets small
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from runbook_lib.migrate.objects import DEFAULT_MULTIPART_THRESHOLD, S3Migrator, s3_client  # noqa: E402
from runbook_lib.process import run_command  # noqa: E402
from runbook_lib.sandbox import services as svc  # noqa: E402

MiB = 1024 * 1024
SEED = 20261126
TOOLS = ("ours", "rclone", "rclone-mp", "aws")
DATASETS = ("small", "large")


@dataclass
class Measurement:
    dataset: str
    tool: str
    seconds: float
    objects: int
    bytes: int
    complete: bool
    command: str
    verifies: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mib_per_s(self) -> float:
        return self.bytes / MiB / self.seconds if self.seconds else 0.0

    @property
    def objects_per_s(self) -> float:
        return self.objects / self.seconds if self.seconds else 0.0


class _NoBar:
    def update(self, _n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _no_bar(**_kwargs: Any) -> _NoBar:
    return _NoBar()


# ------------------------------------------------------------------------------------------ setup
def start_moto(name: str, workdir: Path) -> svc.ServiceSpec:
    spec = svc.ServiceSpec(name=name, role="bench", kind="moto", stands_for=name, port=svc.free_port())
    svc.start_moto(spec, workdir)
    return spec


def client(spec: svc.ServiceSpec, pool: int = 64) -> Any:
    return s3_client(f"http://{spec.address}", access_key="test", secret_key="test", pool=pool, read_timeout=600)


def seed_small(s3: Any, bucket: str, count: int, low: int, high: int) -> tuple[int, int]:
    s3.create_bucket(Bucket=bucket)
    rng = random.Random(SEED)
    sizes = [rng.randint(low, high) for _ in range(count)]

    def put(index: int) -> None:
        body = random.Random(SEED + index).randbytes(sizes[index])
        s3.put_object(
            Bucket=bucket,
            Key=f"events/{index % 100:02d}/part {index:05d}+v=1.json",
            Body=body,
            ContentType="application/json",
            Metadata={"seq": str(index)},
        )

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(count)))
    return count, sum(sizes)


def seed_large(s3: Any, bucket: str, count: int, mib: int) -> tuple[int, int]:
    from boto3.s3.transfer import TransferConfig

    s3.create_bucket(Bucket=bucket)
    config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=8)
    for index in range(count):
        body = random.Random(SEED + index).randbytes(mib * MiB)
        s3.upload_fileobj(
            io.BytesIO(body),
            bucket,
            f"exports/snapshot-{index:03d}.bin",
            Config=config,
            ExtraArgs={"ContentType": "application/octet-stream", "Metadata": {"kind": "snapshot"}},
        )
    return count, count * mib * MiB


def empty_bucket(s3: Any, bucket: str) -> None:
    keys = list(listing(s3, bucket))
    for start in range(0, len(keys), 1000):
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]], "Quiet": True}
        )


def best_rounds(results: list[Measurement]) -> list[Measurement]:
    """Each (dataset, tool)'s fastest complete round (a tool failing any round shows that failure)."""
    best: dict[tuple[str, str], Measurement] = {}
    for r in results:
        key = (r.dataset, r.tool)
        held = best.get(key)
        if held is None or (held.complete and (not r.complete or r.seconds < held.seconds)):
            best[key] = r
    return list(best.values())


def listing(s3: Any, bucket: str) -> dict[str, int]:
    return {
        o["Key"]: o["Size"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    }


# ------------------------------------------------------------------------------------------ tools
def run_ours(
    source: Any,
    target: Any,
    src: str,
    dst: str,
    workers: int,
    part_mib: int,
    workdir: Path,
    threshold_mib: int = DEFAULT_MULTIPART_THRESHOLD // MiB,
) -> tuple[float, float, dict]:
    common = {"checkpoint_dir": workdir / f"ckpt-{dst}", "workers": workers, "part_size": part_mib * MiB}
    migrator = S3Migrator(
        source,
        target,
        [(src, dst, "")],
        multipart_threshold=max(threshold_mib, part_mib) * MiB,
        progress=_no_bar,
        **common,
    )
    started = time.perf_counter()
    report = migrator.copy(resume=False)
    copied = time.perf_counter() - started
    started = time.perf_counter()
    verify = migrator.verify()
    verified = time.perf_counter() - started
    if not verify.ok:
        raise SystemExit(f"our verify failed: {verify.problems[:5]}")
    # the same copy, verified the expensive way: every target object read back and hashed
    deep = S3Migrator(source, target, [(src, dst, "")], verify_mode="deep", progress=_no_bar, **common)
    started = time.perf_counter()
    deep_report = deep.verify()
    deep_s = time.perf_counter() - started
    if not deep_report.ok:
        raise SystemExit(f"our deep verify failed: {deep_report.problems[:5]}")
    return (
        copied,
        verified,
        {
            "deep_verify_s": round(deep_s, 2),
            "items_copied": report.items_copied,
            "verify_mode": migrator.verify_mode_for(dst),
            "capabilities": asdict(migrator.capabilities(dst)),
        },
    )


def rclone_env(src_url: str, dst_url: str, workdir: Path) -> dict[str, str]:
    config = workdir / "rclone.conf"
    config.write_text("")
    # The machine sets AWS_CA_BUNDLE; rclone 1.60's AWS SDK then fails on its own HTTP transport
    # ("unsupported transport, *fshttp.Transport"). The endpoints are plain http: an empty value disables it.
    env = {"RCLONE_CONFIG": str(config), "AWS_CA_BUNDLE": ""}
    for remote, url in (("SRC", src_url), ("DST", dst_url)):
        env.update(
            {
                f"RCLONE_CONFIG_{remote}_TYPE": "s3",
                f"RCLONE_CONFIG_{remote}_PROVIDER": "Other",
                f"RCLONE_CONFIG_{remote}_ENDPOINT": url,
                f"RCLONE_CONFIG_{remote}_ACCESS_KEY_ID": "test",
                f"RCLONE_CONFIG_{remote}_SECRET_ACCESS_KEY": "test",
                f"RCLONE_CONFIG_{remote}_REGION": "us-east-1",
                f"RCLONE_CONFIG_{remote}_FORCE_PATH_STYLE": "true",
            }
        )
    return env


def run_rclone(
    src_url: str,
    dst_url: str,
    src: str,
    dst: str,
    workers: int,
    workdir: Path,
    multipart_mib: int | None = None,
) -> tuple[float, str, dict]:
    rclone = shutil.which("rclone")
    if not rclone:
        raise SystemExit("rclone is not installed: apt-get install -y rclone")
    command = [
        rclone,
        "copy",
        f"SRC:{src}",
        f"DST:{dst}",
        "--checksum",
        "--transfers",
        str(workers),
        "--checkers",
        str(2 * workers),
        "--stats",
        "0",
        "--retries",
        "1",
    ]
    if multipart_mib:
        # The same multipart layout as ours (rclone's default cutoff is 200 MiB: single PUTs below it).
        # --s3-no-head: after a multipart upload rclone 1.60 HEADs the object with ?versionId=null, which
        # moto answers 400 on an unversioned bucket, so every multipart object would "fail" and be retried.
        chunk = f"{multipart_mib}M"
        command += ["--s3-upload-cutoff", chunk, "--s3-chunk-size", chunk, "--s3-no-head"]
    env = rclone_env(src_url, dst_url, workdir)
    started = time.perf_counter()
    run_command(command, env=env, timeout=7200, logger_name="bench.rclone")
    seconds = time.perf_counter() - started
    hashes = run_command([rclone, "md5sum", f"SRC:{src}"], env=env, timeout=600, logger_name="bench.rclone").stdout
    lines = [line for line in hashes.splitlines() if line.strip()]
    with_md5 = sum(1 for line in lines if not line.startswith(" "))
    return seconds, " ".join(command[1:]), {"source_objects_with_md5": with_md5, "source_objects": len(lines)}


def run_rclone_check(src_url: str, dst_url: str, src: str, dst: str, workers: int, workdir: Path) -> tuple[float, str]:
    """``rclone check --download``: rclone's content verification when the source has no MD5 to compare.

    Why it is a row of its own: ``rclone copy --checksum`` compares MD5s only where the source has one;
    objects uploaded multipart have none, so for them rclone checks sizes only. Reading both sides back is
    what rclone offers to verify their content.
    """
    rclone = shutil.which("rclone") or "rclone"
    command = [rclone, "check", f"SRC:{src}", f"DST:{dst}", "--download", "--checkers", str(workers), "--one-way"]
    started = time.perf_counter()
    run_command(command, env=rclone_env(src_url, dst_url, workdir), timeout=7200, logger_name="bench.rclone")
    return time.perf_counter() - started, " ".join(command[1:])


def aws_cli() -> str:
    beside = Path(sys.executable).with_name("aws")
    found = str(beside) if beside.exists() else shutil.which("aws")
    if not found:
        raise SystemExit("the AWS CLI is not installed: pip install awscli (in a separate venv if it conflicts)")
    return found


def run_aws(src_url: str, dst_url: str, src: str, dst: str, workdir: Path) -> tuple[float, str, dict]:
    aws = aws_cli()
    staging = workdir / f"aws-staging-{dst}"
    staging.mkdir()
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(workdir / "aws-config-none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "none"),
    }
    down = [aws, "s3", "sync", f"s3://{src}", str(staging), "--endpoint-url", src_url, "--only-show-errors"]
    up = [aws, "s3", "sync", str(staging), f"s3://{dst}", "--endpoint-url", dst_url, "--only-show-errors"]
    started = time.perf_counter()
    run_command(down, env=env, timeout=7200, logger_name="bench.aws")
    middle = time.perf_counter()
    run_command(up, env=env, timeout=7200, logger_name="bench.aws")
    seconds = time.perf_counter() - started
    shutil.rmtree(staging, ignore_errors=True)
    version = run_command([aws, "--version"], env=env, timeout=60).stdout.strip() or "?"
    return (
        seconds,
        f"{' '.join(down[1:])} && {' '.join(up[1:])}",
        {
            "download_s": round(middle - started, 2),
            "upload_s": round(seconds - (middle - started), 2),
            "version": version,
        },
    )


VERIFIES = {
    "ours": "SHA-256 + MD5 of every object/part from the source bytes; each write proven by the server's "
    "MD5 ETag (moto; on AWS: its validated SHA-256)",
    "ours+verify": "… plus verify() as the tool runs it: both listings, target unchanged since its proven write",
    "ours+deep": "… plus verify(mode=deep): every target object read back and hashed again",
    "rclone": "MD5 where the source has one (single-part objects); else size only",
    "rclone+check": "rclone's copy, then `rclone check --download`: both sides read back and compared",
    "rclone-mp": "as rclone, forced to multipart with our part size (--s3-no-head: no check after upload)",
    "aws": "none (size and modification time)",
}


# ------------------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small-count", type=int, default=10_000)
    parser.add_argument("--small-min", type=int, default=1024, help="smallest small object, bytes")
    parser.add_argument("--small-max", type=int, default=16 * 1024, help="largest small object, bytes")
    parser.add_argument("--large-count", type=int, default=16)
    parser.add_argument("--large-mib", type=int, default=128, help="size of each large object, MiB")
    parser.add_argument("--workers", type=int, default=8, help="our workers = rclone --transfers")
    parser.add_argument("--part-mib", type=int, default=8, help="our multipart part size (and rclone-mp's)")
    parser.add_argument(
        "--threshold-mib",
        type=int,
        default=DEFAULT_MULTIPART_THRESHOLD // MiB,
        help="objects of at least this size go multipart (the migrator's default from params)",
    )
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--quick", action="store_true", help="200 small objects and 2 x 16 MiB")
    parser.add_argument(
        "--rclone-check",
        choices=("large", "small", "all", "none"),
        default="large",
        help="also time `rclone check --download` after rclone's copy (its content check where the source has "
        "no MD5: the multipart-uploaded large objects)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="runs per tool, the order reversed every round (the first run on a fresh server is slower); "
        "the table shows each tool's best round",
    )
    parser.add_argument("--output", type=Path, default=REPO / "benchmarks" / "results" / "objects.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.small_count, args.large_count, args.large_mib = 200, 2, 16
    tools = [t for t in args.tools.split(",") if t]
    datasets = [d for d in args.datasets.split(",") if d]
    workdir = Path(tempfile.mkdtemp(prefix="bench-objects-"))
    specs = []
    results: list[Measurement] = []
    try:
        source_spec, target_spec = start_moto("bench-source", workdir), start_moto("bench-target", workdir)
        specs = [source_spec, target_spec]
        src_url, dst_url = f"http://{source_spec.address}", f"http://{target_spec.address}"
        pool = args.workers * 3 + 2
        source, target = client(source_spec, pool), client(target_spec, pool)
        seeded: dict[str, tuple[int, int]] = {}
        for dataset in datasets:
            started = time.perf_counter()
            if dataset == "small":
                seeded[dataset] = seed_small(source, "bench-small", args.small_count, args.small_min, args.small_max)
            else:
                seeded[dataset] = seed_large(source, "bench-large", args.large_count, args.large_mib)
            print(
                f"seeded {dataset}: {seeded[dataset][0]} objects, {seeded[dataset][1] / MiB:.1f} MiB "
                f"in {time.perf_counter() - started:.1f}s",
                flush=True,
            )
        unknown = sorted(set(tools) - set(TOOLS))
        if unknown:
            raise SystemExit(f"unknown tool {unknown[0]!r}; known: {', '.join(TOOLS)}")
        for dataset, round_no in ((d, r) for d in datasets for r in range(1, max(1, args.rounds) + 1)):
            objects, nbytes = seeded[dataset]
            src = f"bench-{dataset}"
            expected = listing(source, src)
            for tool in tools if round_no % 2 else tools[::-1]:
                if tool == "rclone-mp" and dataset == "small":
                    continue  # below the part size rclone-mp is plain rclone
                dst = f"{tool}-{dataset}-r{round_no}"
                target.create_bucket(Bucket=dst)
                try:
                    measured = run_tool(tool, args, source, target, src_url, dst_url, src, dst, workdir)
                except Exception as error:  # noqa: BLE001 - a failing tool is a result, not the end of the run
                    failure = {"error": f"{type(error).__name__}: {error}"}
                    measured = [(tool, float("nan"), f"{tool} failed", failure)]
                complete = listing(target, dst) == expected
                empty_bucket(target, dst)  # every run meets a server holding the same data
                for name, seconds, command, extra in measured:
                    extra = {**extra, "round": round_no}
                    ok = complete and seconds == seconds  # NaN marks a failed run
                    results.append(
                        Measurement(dataset, name, seconds, objects, nbytes, ok, command, VERIFIES[name], extra)
                    )
                    print(
                        f"  {dataset:5s} {name:12s} round {round_no} {seconds:8.2f}s complete={ok} "
                        f"{extra.get('error', '')}",
                        flush=True,
                    )
    finally:
        for spec in specs:
            if spec.pid:
                svc.stop_process_group(spec.pid, svc.MOTO_MODULE)
        shutil.rmtree(workdir, ignore_errors=True)
    best = best_rounds(results)
    print_table(best)
    write_json(args, best, results)
    return 0 if all(r.complete for r in results) else 1


def run_tool(
    tool: str,
    args: argparse.Namespace,
    source: Any,
    target: Any,
    src_url: str,
    dst_url: str,
    src: str,
    dst: str,
    workdir: Path,
) -> list[tuple[str, float, str, dict[str, Any]]]:
    """Run one tool; returns (name, seconds, command, extra) rows ("ours" yields two: copy, copy+verify)."""
    if tool == "ours":
        copied, verified, extra = run_ours(
            source, target, src, dst, args.workers, args.part_mib, workdir, args.threshold_mib
        )
        command = (
            f"S3Migrator(workers={args.workers}, part_size={args.part_mib} MiB, "
            f"multipart_threshold={max(args.threshold_mib, args.part_mib)} MiB)"
        )
        deep_s = extra.pop("deep_verify_s")
        return [
            ("ours", copied, f"{command}.copy()", extra),
            (
                "ours+verify",
                copied + verified,
                f"{command}.copy() then .verify() (mode {extra['verify_mode']})",
                {"verify_s": round(verified, 2)},
            ),
            (
                "ours+deep",
                copied + deep_s,
                f"{command}.copy() then .verify() in mode deep",
                {"verify_s": round(deep_s, 2)},
            ),
        ]
    if tool in ("rclone", "rclone-mp"):
        multipart = args.part_mib if tool == "rclone-mp" else None
        seconds, command, extra = run_rclone(src_url, dst_url, src, dst, args.workers, workdir, multipart)
        rows = [(tool, seconds, command, extra)]
        if tool == "rclone" and args.rclone_check in ("all", src.removeprefix("bench-")):
            check_s, check = run_rclone_check(src_url, dst_url, src, dst, args.workers, workdir)
            rows.append(("rclone+check", seconds + check_s, f"{command} && {check}", {"check_s": round(check_s, 2)}))
        return rows
    seconds, command, extra = run_aws(src_url, dst_url, src, dst, workdir)
    return [("aws", seconds, command, extra)]


def ratios(results: list[Measurement], dataset: str, ours: str) -> dict[str, float]:
    mine = next((r for r in results if r.dataset == dataset and r.tool == ours), None)
    out: dict[str, float] = {}
    for peer in ("rclone", "rclone+check", "rclone-mp", "aws"):
        other = next((r for r in results if r.dataset == dataset and r.tool == peer), None)
        if mine and other and mine.complete and other.complete and other.mib_per_s:
            out[peer] = mine.mib_per_s / other.mib_per_s
    return out


def print_table(results: list[Measurement]) -> None:
    header = (
        f"{'dataset':8s} {'tool':12s} {'seconds':>9s} {'MiB/s':>9s} {'objects/s':>10s} {'complete':>9s}  "
        f"{'ours/rclone':>11s} {'ours/rclone+check':>17s} {'ours/rclone-mp':>14s} {'ours/aws':>9s}"
    )
    print("\n" + header)
    print("-" * len(header))
    for r in results:
        rel = ratios(results, r.dataset, r.tool) if r.tool.startswith("ours") else {}
        print(
            f"{r.dataset:8s} {r.tool:12s} {r.seconds:9.2f} {r.mib_per_s:9.2f} {r.objects_per_s:10.1f} "
            f"{'yes' if r.complete else 'NO':>9s}  {_ratio(rel.get('rclone')):>11s} "
            f"{_ratio(rel.get('rclone+check')):>17s} "
            f"{_ratio(rel.get('rclone-mp')):>14s} {_ratio(rel.get('aws')):>9s}"
        )
    print("\nratio = our throughput / the peer's (>1: we are faster). Content checks:")
    for tool, what in VERIFIES.items():
        print(f"  {tool:12s} {what}")


def _ratio(value: float | None) -> str:
    return f"{value:.2f}x" if value is not None else "-"


def write_json(args: argparse.Namespace, results: list[Measurement], rounds: list[Measurement]) -> None:
    from importlib.metadata import version

    rclone = shutil.which("rclone")
    document = {
        "benchmark": "objects",
        "parameters": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "load_average_at_end": os.getloadavg(),
        "environment": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "moto": version("moto"),
            "boto3": version("boto3"),
            "rclone": run_command([rclone, "version"], timeout=60).stdout.splitlines()[0] if rclone else None,
        },
        "results": [
            {
                **asdict(r),
                "mib_per_s": round(r.mib_per_s, 2),
                "objects_per_s": round(r.objects_per_s, 1),
                "ratio_vs": {k: round(v, 3) for k, v in ratios(results, r.dataset, r.tool).items()}
                if r.tool.startswith("ours")
                else {},
            }
            for r in results
        ],
        "all_rounds": [{**asdict(r), "mib_per_s": round(r.mib_per_s, 2)} for r in rounds],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2))
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    sys.exit(main())
