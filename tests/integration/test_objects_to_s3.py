"""Objects move from the sandbox's MinIO stand-in (moto) to its AWS stand-in (moto) and verify by checksum.

Each test copies into target buckets of its own (the session sandbox is shared) and removes them
afterwards. moto's server stores declared checksums without validating them, which the migrator's
probe detects: verification here re-reads every target object ("deep").
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakes import REPO, empty_bucket, quiet_progress

from runbook_lib.migrate.objects import (
    PROBE_PREFIX,
    BucketPair,
    Journal,
    S3Migrator,
    TargetCapabilities,
    multipart_etag,
    s3_client,
)
from runbook_lib.sandbox.seed import AWKWARD_KEYS, SOURCE_BUCKETS

pytestmark = pytest.mark.integration

CHILD = Path(__file__).with_name("s3_copy_child.py")
KILL_SEED = 20261126
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def source(sandbox: Any) -> Any:
    return s3_client(sandbox.url("s3-source"), access_key="test", secret_key="test", pool=32)


@pytest.fixture(scope="module")
def target(sandbox: Any) -> Any:
    return s3_client(sandbox.url("aws"), access_key="test", secret_key="test", pool=32)


def empty_and_delete(client: Any, bucket: str) -> None:
    empty_bucket(client, bucket)
    client.delete_bucket(Bucket=bucket)


@pytest.fixture()
def buckets(target: Any) -> Iterator[dict[str, str]]:
    """A fresh target bucket per seeded source bucket (Terraform creates them in a real run)."""
    suffix = uuid.uuid4().hex[:8]
    names = {source_bucket: f"it-{source_bucket}-{suffix}" for source_bucket in SOURCE_BUCKETS}
    for name in names.values():
        target.create_bucket(Bucket=name)
    yield names
    for name in names.values():
        empty_and_delete(target, name)


def listing(client: Any, bucket: str, prefix: str = "") -> dict[str, int]:
    return {
        o["Key"]: o["Size"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for o in page.get("Contents", [])
    }


def composite(data: bytes, part_size: int) -> str:
    digests = b"".join(hashlib.sha256(data[i : i + part_size]).digest() for i in range(0, len(data), part_size))
    return base64.b64encode(hashlib.sha256(digests).digest()).decode()


# ----------------------------------------------------------------------------------------------
def test_seeded_buckets_move_and_verify(
    sandbox: Any, source: Any, target: Any, buckets: dict[str, str], tmp_path: Path
) -> None:
    m = S3Migrator(
        source,
        target,
        [(b, t, "") for b, t in buckets.items()],
        checkpoint_dir=tmp_path,
        workers=4,
        progress=quiet_progress,
    )
    check = m.check()
    assert check.ok, check.blockers
    report = m.copy()
    assert report.items_copied == sandbox.seeded["s3-source"] and report.items_skipped == 0
    for source_bucket, name in buckets.items():
        # moto stores declared checksums unchecked, but its ETags are the MD5 of what it received
        assert m.capabilities(name) == TargetCapabilities(
            checksum_api=True, validates_checksums=False, probed=True, etag_is_md5=True
        )
        assert m.verify_mode_for(name) == "listing"
        assert {e.verified_by for e in m.journal_entries(BucketPair(source_bucket, name)).values()} == {"s3-etag-md5"}
        assert not listing(target, name, PROBE_PREFIX)  # the probe cleaned up after itself
    verify = m.verify()
    assert verify.ok, verify.problems
    assert sum(r.source_count for r in verify.rows) == sandbox.seeded["s3-source"]
    for row, source_bucket in zip(verify.rows, buckets, strict=True):
        assert row.target_count == row.matched == len(listing(source, source_bucket))
        assert row.bytes == sum(listing(source, source_bucket).values())
    for key in AWKWARD_KEYS:  # exact keys, bytes and headers
        src, dst = source.get_object(Bucket="raw", Key=key), target.get_object(Bucket=buckets["raw"], Key=key)
        assert dst["Body"].read() == src["Body"].read()
        assert (
            (dst["ContentType"], dst["Metadata"])
            == (src["ContentType"], src["Metadata"])
            == ("application/json", {"note": "awkward-key"})
        )
    snapshot = source.get_object(Bucket="curated", Key="exports/snapshot-00.bin")["Body"].read()
    head = target.head_object(Bucket=buckets["curated"], Key="exports/snapshot-00.bin")
    entry = m.journal_entries(BucketPair("curated", buckets["curated"]))["exports/snapshot-00.bin"]
    assert entry.checksum.value == composite(snapshot, 8 * MiB) and entry.checksum.parts == 2  # 12 MiB, 8 MiB parts
    part_md5s = [hashlib.md5(snapshot[i : i + 8 * MiB]).digest() for i in range(0, len(snapshot), 8 * MiB)]
    assert head["ETag"].strip('"') == entry.target_etag == multipart_etag(part_md5s)  # moto's MD5s of what it got
    assert head["Metadata"] == {"kind": "snapshot"} and head["ContentType"] == "application/octet-stream"


def test_a_corrupted_target_object_is_mismatched(
    source: Any, target: Any, buckets: dict[str, str], tmp_path: Path
) -> None:
    mapping = ("raw", buckets["raw"], "landing/")
    m = S3Migrator(source, target, [mapping], checkpoint_dir=tmp_path, progress=quiet_progress)
    m.copy()
    assert m.verify().ok
    key = AWKWARD_KEYS[1]
    original = target.get_object(Bucket=buckets["raw"], Key=key)
    body = original["Body"].read()
    corrupted = body.replace(b"{", b"[", 1)
    assert len(corrupted) == len(body) and corrupted != body
    # the SHA-256 of the source bytes, as the copy recorded it (moto's ETag MD5 proved the write)
    stored = m.journal_entries(m.mappings[0])[key].checksum.value
    # same size, same headers, and moto even stores the right checksum we declare: only the bytes differ
    target.put_object(
        Bucket=buckets["raw"],
        Key=key,
        Body=corrupted,
        ContentType=original["ContentType"],
        Metadata=original["Metadata"],
        ChecksumAlgorithm="SHA256",
        ChecksumSHA256=stored,
    )
    verify = m.verify()
    (row,) = verify.rows
    assert (row.mismatched, row.missing, row.extra, row.matched) == (1, 0, 0, row.source_count - 1)
    assert verify.problems == [
        f"{buckets['raw']}/{key}: mismatched (checksum expected SHA256:{stored}, found SHA256:"
        f"{base64.b64encode(hashlib.sha256(corrupted).digest()).decode()})"
    ]


def test_the_cli_migrates_resumes_and_fails_on_corruption(
    sandbox: Any, target: Any, buckets: dict[str, str], tmp_path: Path
) -> None:
    params = yaml.safe_load((REPO / "params" / "sandbox.yaml").read_text())
    params["migration"]["s3"] = [{"source_bucket": b, "target_bucket": t, "prefix": ""} for b, t in buckets.items()]
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "sandbox.yaml").write_text(yaml.safe_dump(params))
    env = {
        **os.environ,
        "RUNBOOK_PARAMS_DIR": str(tmp_path / "params"),
        "RUNBOOK_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
    }

    def runbook(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "runbook_lib.cli", "migrate", "s3", "--env", "sandbox", "--json", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            cwd=REPO,
        )

    first = runbook()
    assert first.returncode == 0, first.stderr
    document = json.loads(first.stdout)
    assert document["ok"] and document["copy"]["items_copied"] == sandbox.seeded["s3-source"]
    assert [r["ok"] for r in document["verify"]["rows"]] == [True, True]
    assert list((tmp_path / "checkpoints" / "sandbox" / "s3").glob("*.jsonl"))

    assert runbook().returncode == 1  # a checkpoint is there: neither flag given, so it is refused, not resumed
    again = json.loads(runbook("--resume").stdout)
    assert again["copy"]["items_copied"] == 0 and again["copy"]["items_skipped"] == sandbox.seeded["s3-source"]

    key = "tables/metrics/part-00003.csv"
    body = target.get_object(Bucket=buckets["curated"], Key=key)["Body"].read()
    target.put_object(Bucket=buckets["curated"], Key=key, Body=body[::-1], ContentType="text/csv")
    failed = runbook("--verify-only")
    assert failed.returncode == 1
    report = json.loads(failed.stdout)
    assert report["ok"] is False and "copy" not in report
    assert report["verify"]["problems"] == [
        f"{buckets['curated']}/{key}: mismatched (checksum expected SHA256:"
        f"{base64.b64encode(hashlib.sha256(body).digest()).decode()}, found SHA256:"
        f"{base64.b64encode(hashlib.sha256(body[::-1]).digest()).decode()})"
    ]
    assert f"s3 curated -> {buckets['curated']}: expected" in failed.stderr


# ----------------------------------------------------------------------------------------------
@pytest.fixture()
def kill_source(source: Any) -> Iterator[tuple[str, dict[str, int]]]:
    """A source bucket big enough that a two-worker copy lasts seconds: 600 small, 4 multipart objects."""
    bucket = f"it-kill-src-{uuid.uuid4().hex[:8]}"
    source.create_bucket(Bucket=bucket)
    from concurrent.futures import ThreadPoolExecutor

    def put(index: int) -> None:
        size = 10 * MiB + index if index < 4 else 200 + (index * 37) % 4000
        key = f"big/part-{index}.bin" if index < 4 else f"small/{index % 7} dir/obj+{index}=x.txt"
        body = random.Random(KILL_SEED + index).randbytes(size)
        if size >= 8 * MiB:
            import io

            source.upload_fileobj(io.BytesIO(body), bucket, key)
        else:
            source.put_object(Bucket=bucket, Key=key, Body=body, Metadata={"i": str(index)})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(604)))
    yield bucket, listing(source, bucket)
    empty_and_delete(source, bucket)


def test_sigkill_mid_copy_then_resume_copies_each_object_once(
    sandbox: Any, source: Any, target: Any, kill_source: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    source_bucket, objects = kill_source
    target_bucket = f"it-kill-dst-{uuid.uuid4().hex[:8]}"
    target.create_bucket(Bucket=target_bucket)
    try:
        mapping = BucketPair(source_bucket, target_bucket)
        config = {
            "source": sandbox.url("s3-source"),
            "target": sandbox.url("aws"),
            "mapping": [source_bucket, target_bucket, ""],
            "checkpoint_dir": str(tmp_path),
            "workers": 2,
            "journal_batch": 5,
        }
        child = subprocess.Popen(
            [sys.executable, str(CHILD), json.dumps(config)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        journal_path = tmp_path / f"{mapping.slug}.jsonl"
        deadline = time.monotonic() + 120
        while not (journal_path.exists() and journal_path.stat().st_size) and time.monotonic() < deadline:
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            time.sleep(0.01)
        # copying has started (the journal shows progress): kill at a seeded random point after that
        time.sleep(random.Random(KILL_SEED).uniform(0.3, 2.0))
        assert child.poll() is None, "the copy finished before the kill: make the source bigger"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL

        before = [r for r in Journal(journal_path).records() if r.get("op") == "done"]
        verified_before = {r["key"] for r in before}
        assert len(verified_before) < len(objects), "the kill did not land mid-copy"

        m = S3Migrator(source, target, [mapping], checkpoint_dir=tmp_path, workers=4, progress=quiet_progress)
        written: list[str] = []
        events = ("provide-client-params.s3.PutObject", "provide-client-params.s3.CreateMultipartUpload")
        for event in events:
            target.meta.events.register(
                event, lambda params, **_: written.append(params["Key"]), unique_id=f"kill-test-{event}"
            )
        try:
            report = m.copy(resume=True)
        finally:
            for event in events:
                target.meta.events.unregister(event, unique_id=f"kill-test-{event}")
        written = [key for key in written if not key.startswith(PROBE_PREFIX)]  # the capability probe's writes
        # objects verified before the kill are not copied again; everything else is copied exactly once
        assert report.items_skipped == len(verified_before)
        assert report.items_copied == len(objects) - len(verified_before)
        assert not set(written) & verified_before
        assert sorted(written) == sorted(set(objects) - verified_before)
        done_lines = Counter(r["key"] for r in Journal(journal_path).records() if r.get("op") == "done")
        assert set(done_lines) == set(objects) and max(done_lines.values()) == 1  # 0 duplicated
        assert not target.list_multipart_uploads(Bucket=target_bucket).get("Uploads")  # killed uploads aborted

        verify = m.verify()
        (row,) = verify.rows
        assert (row.missing, row.mismatched, row.extra) == (0, 0, 0), verify.problems
        assert row.source_count == row.target_count == row.matched == len(objects)
        assert listing(target, target_bucket) == objects
    finally:
        empty_and_delete(target, target_bucket)
