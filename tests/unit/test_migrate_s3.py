"""The object migrator against moto's in-process S3 (``mock_aws``): copy, checksums, resume, verify.

Under ``mock_aws`` the endpoint is ``s3.amazonaws.com``, so the migrator assumes Amazon S3's
checksum validation (verify mode "checksum") unless a test says otherwise; moto itself validates
nothing, which is why the tests that corrupt data either rely on the fallback to re-reading or
ask for ``verify_mode="deep"`` — the mode the sandbox probe picks for moto's server.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fakes import VALID_PARAMS, RecordingBars, mocked_aws

from runbook_lib.errors import CopyFailedError, ParamsError
from runbook_lib.migrate.objects import (
    MAX_PARTS,
    META_SHA256,
    BucketPair,
    Journal,
    MiB,
    ObjectChecksum,
    S3Migrator,
    TargetCapabilities,
    part_size_for,
    rejected_key_reason,
    s3_client,
)
from runbook_lib.migrate.registry import get_migrator
from runbook_lib.sandbox.seed import AWKWARD_KEYS

pytestmark = pytest.mark.unit

PART = 5 * MiB
BIG_KEY = "exports/big snapshot+1.bin"
BIG = random.Random(7).randbytes(2 * PART + 12345)  # 3 parts at PART


@pytest.fixture()
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with mocked_aws(monkeypatch, region=None):
        client = s3_client(None, region="us-east-1")
        for bucket in ("src", "dst"):
            client.create_bucket(Bucket=bucket)
        for index, key in enumerate(AWKWARD_KEYS):
            client.put_object(
                Bucket="src",
                Key=key,
                Body=json.dumps({"key": key, "i": index}).encode(),
                ContentType="application/json",
                CacheControl="max-age=60",
                ContentEncoding="identity",
                Metadata={"note": "awkward-key", "i": str(index)},
            )
        for index in range(12):
            client.put_object(
                Bucket="src",
                Key=f"events/date=2026-11-{index + 1:02d}/part-{index}.jsonl",
                Body=random.Random(index).randbytes(1000 + index),
                ContentType="application/x-ndjson",
            )
        client.upload_fileobj(
            io.BytesIO(BIG),
            "src",
            BIG_KEY,
            ExtraArgs={"ContentType": "application/octet-stream", "Metadata": {"kind": "snapshot"}},
        )
        yield client


def migrator(client: Any, tmp_path: Path, *, source: Any = None, **kwargs: Any) -> S3Migrator:
    """``src`` → ``dst`` through ``client`` (read through ``source`` instead when given), three workers."""
    kwargs.setdefault("progress", RecordingBars())
    return S3Migrator(
        client if source is None else source,
        client,
        [("src", "dst", "")],
        checkpoint_dir=tmp_path / "ckpt",
        workers=3,
        part_size=PART,
        **kwargs,
    )


def source_keys(client: Any, bucket: str = "src") -> set[str]:
    return {
        o["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    }


def count_calls(client: Any, operations: tuple[str, ...]) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []

    def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in operations:
            calls.append((model.name, params.get("Key", "")))

    client.meta.events.register("provide-client-params.s3.*", hook)
    return calls


def composite_of(data: bytes, part_size: int) -> str:
    digests = b"".join(hashlib.sha256(data[i : i + part_size]).digest() for i in range(0, len(data), part_size))
    return base64.b64encode(hashlib.sha256(digests).digest()).decode()


# ------------------------------------------------------------------------------------ copy + verify
def test_copy_moves_every_object_with_checksums_and_content_headers(aws: Any, tmp_path: Path) -> None:
    m = migrator(aws, tmp_path)
    report = m.copy(resume=True)
    keys = source_keys(aws)
    assert report.items_copied == len(keys) == len(AWKWARD_KEYS) + 13
    assert report.bytes_copied == sum(o["Size"] for o in aws.list_objects_v2(Bucket="src")["Contents"])
    assert source_keys(aws, "dst") == keys
    for key in AWKWARD_KEYS:  # spaces, unicode, + % = and deep prefixes keep their exact key and headers
        src = aws.get_object(Bucket="src", Key=key)
        dst = aws.head_object(Bucket="dst", Key=key, ChecksumMode="ENABLED")
        assert dst["ContentType"] == "application/json" and dst["CacheControl"] == "max-age=60"
        assert dst["ContentEncoding"] == "identity" and dst["Metadata"] == src["Metadata"]
        assert dst["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(src["Body"].read()).digest()).decode()
    big = aws.head_object(Bucket="dst", Key=BIG_KEY, ChecksumMode="ENABLED")
    assert big["ChecksumSHA256"].split("-")[0] == composite_of(BIG, PART)  # S3's COMPOSITE over our 3 parts
    assert big["Metadata"] == {"kind": "snapshot"} and META_SHA256 not in big["Metadata"]
    assert aws.get_object(Bucket="dst", Key=BIG_KEY)["Body"].read() == BIG
    entries = m.journal_entries(BucketPair("src", "dst"))
    assert entries[BIG_KEY].checksum == ObjectChecksum(composite_of(BIG, PART), parts=3, part_size=PART)
    assert (
        entries[AWKWARD_KEYS[0]].sha256
        == hashlib.sha256(aws.get_object(Bucket="src", Key=AWKWARD_KEYS[0])["Body"].read()).hexdigest()
    )

    verify = m.verify()
    assert verify.ok, verify.problems
    (row,) = verify.rows
    assert (row.source_count, row.target_count, row.matched, row.missing, row.mismatched, row.extra) == (
        len(keys),
        len(keys),
        len(keys),
        0,
        0,
        0,
    )
    assert row.source_checksum == row.target_checksum and row.bytes == report.bytes_copied
    assert not aws.list_multipart_uploads(Bucket="dst").get("Uploads")


def test_progress_reports_every_byte(aws: Any, tmp_path: Path) -> None:
    bars = RecordingBars()
    report = migrator(aws, tmp_path, progress=bars).copy()
    copy_bar = bars.bars[0]
    assert copy_bar.kwargs["total"] == report.bytes_copied == copy_bar.n and copy_bar.closed


def test_resume_skips_what_the_journal_verified(aws: Any, tmp_path: Path) -> None:
    first = migrator(aws, tmp_path).copy()
    writes = count_calls(aws, ("PutObject", "CreateMultipartUpload", "UploadPart"))
    again = migrator(aws, tmp_path).copy(resume=True)
    assert (again.items_copied, again.items_skipped) == (0, first.items_copied)
    assert writes == []
    fresh = migrator(aws, tmp_path).copy(resume=False)
    assert (fresh.items_copied, fresh.items_skipped) == (first.items_copied, 0)


def test_resume_recopies_a_target_object_changed_since(aws: Any, tmp_path: Path) -> None:
    first = migrator(aws, tmp_path).copy()
    aws.put_object(Bucket="dst", Key=AWKWARD_KEYS[1], Body=b"overwritten by someone")
    writes = count_calls(aws, ("PutObject",))
    again = migrator(aws, tmp_path).copy()
    assert again.items_copied == 1 and again.items_skipped == first.items_copied - 1
    assert writes == [("PutObject", AWKWARD_KEYS[1])]


# ------------------------------------------------------------------------------------ verification
def _corrupt_same_size(aws: Any, key: str, **extra: Any) -> bytes:
    """Rewrite ``dst/key`` with its bytes' case swapped (same size, same headers); returns the original bytes."""
    original = aws.get_object(Bucket="dst", Key=key)
    body = original["Body"].read()
    aws.put_object(
        Bucket="dst",
        Key=key,
        Body=body.swapcase(),
        ContentType=original["ContentType"],
        CacheControl="max-age=60",
        ContentEncoding="identity",
        Metadata=original["Metadata"],
        **extra,
    )
    return body


def test_same_size_corruption_without_a_checksum_is_found_by_rereading(aws: Any, tmp_path: Path) -> None:
    m = migrator(aws, tmp_path)
    m.copy()
    key = AWKWARD_KEYS[2]
    body = _corrupt_same_size(aws, key)
    # amazonaws.com: a write the server validated is trusted while the listing shows its ETag …
    assert m.verify_mode_for("dst") == "listing"
    verify = m.verify()  # … this one was rewritten (new ETag) without a checksum of ours, so it is read back
    assert not verify.ok
    assert (verify.rows[0].mismatched, verify.rows[0].missing, verify.rows[0].extra) == (1, 0, 0)
    assert verify.problems == [
        f"dst/{key}: mismatched (checksum expected SHA256:"
        f"{base64.b64encode(hashlib.sha256(body).digest()).decode()}, found SHA256:"
        f"{base64.b64encode(hashlib.sha256(body.swapcase()).digest()).decode()})"
    ]
    assert verify.rows[0].source_checksum != verify.rows[0].target_checksum


def test_deep_mode_finds_corruption_behind_a_lying_checksum(aws: Any, tmp_path: Path) -> None:
    m = migrator(aws, tmp_path, verify_mode="deep")
    m.copy()
    original = aws.get_object(Bucket="src", Key=BIG_KEY)["Body"].read()
    corrupted = bytearray(original)
    corrupted[PART + 17] ^= 0xFF  # one byte in the second part
    stored = aws.head_object(Bucket="dst", Key=BIG_KEY, ChecksumMode="ENABLED")["ChecksumSHA256"]
    # moto stores whatever checksum the client declares: claim the old one for the new bytes
    aws.put_object(
        Bucket="dst",
        Key=BIG_KEY,
        Body=bytes(corrupted),
        ContentType="application/octet-stream",
        Metadata={"kind": "snapshot"},
        ChecksumAlgorithm="SHA256",
        ChecksumSHA256=stored.split("-")[0],
    )
    verify = m.verify()
    assert verify.rows[0].mismatched == 1 and verify.rows[0].matched == verify.rows[0].source_count - 1
    assert verify.problems[0].startswith(f"dst/{BIG_KEY}: mismatched (checksum expected SHA256:")


def test_changed_metadata_is_a_mismatch(aws: Any, tmp_path: Path) -> None:
    m = migrator(aws, tmp_path, verify_mode="deep")
    m.copy()
    key = "events/date=2026-11-03/part-2.jsonl"
    body = aws.get_object(Bucket="dst", Key=key)["Body"].read()
    aws.put_object(Bucket="dst", Key=key, Body=body, ContentType="text/plain")
    verify = m.verify()
    assert verify.rows[0].mismatched == 1
    assert verify.problems == [f"dst/{key}: mismatched (content headers or metadata differ)"]


def test_missing_extra_and_size_mismatch_are_counted(aws: Any, tmp_path: Path) -> None:
    m = migrator(aws, tmp_path)
    m.copy()
    aws.delete_object(Bucket="dst", Key=AWKWARD_KEYS[0])
    aws.put_object(Bucket="dst", Key="only/in/target.txt", Body=b"x")
    aws.put_object(Bucket="dst", Key=AWKWARD_KEYS[3], Body=b"shorter")
    row = m.verify().rows[0]
    assert (row.missing, row.extra, row.mismatched) == (1, 1, 1)
    assert row.target_count == row.source_count and not row.ok  # equal counts do not hide the differences
    problems = m.verify().problems
    assert (
        f"dst/{AWKWARD_KEYS[0]}: missing" in problems
        and "dst/only/in/target.txt: extra (not in the source)" in problems
    )
    assert any(p.startswith(f"dst/{AWKWARD_KEYS[3]}: mismatched (size ") for p in problems)


def test_verify_without_a_journal_hashes_both_sides(aws: Any, tmp_path: Path) -> None:
    migrator(aws, tmp_path).copy()
    other = S3Migrator(aws, aws, [("src", "dst", "")], checkpoint_dir=tmp_path / "elsewhere", progress=RecordingBars())
    verify = other.verify()
    assert verify.ok and verify.rows[0].matched == verify.rows[0].source_count


# ------------------------------------------------------------------------------------ fallbacks and failures
def test_without_a_checksum_api_the_sha256_goes_into_metadata(aws: Any, tmp_path: Path) -> None:
    m = migrator(aws, tmp_path, target_capabilities=TargetCapabilities(checksum_api=False, validates_checksums=False))
    m.copy()
    assert m.verify_mode_for("dst") == "deep"
    head = aws.head_object(Bucket="dst", Key=BIG_KEY)
    assert head["Metadata"] == {"kind": "snapshot", META_SHA256: hashlib.sha256(BIG).hexdigest()}
    small = aws.get_object(Bucket="dst", Key=AWKWARD_KEYS[4])
    assert small["Metadata"][META_SHA256] == hashlib.sha256(small["Body"].read()).hexdigest()
    assert m.journal_entries(BucketPair("src", "dst"))[BIG_KEY].verified_by == "written"
    assert m.verify().ok  # our metadata key is not a difference


def test_a_failed_object_is_reported_and_only_it_is_retried(aws: Any, tmp_path: Path) -> None:
    victim = AWKWARD_KEYS[5]

    def fail_once(params: dict[str, Any], **_: Any) -> None:
        if params.get("Key") == victim and not failed:
            failed.append(victim)
            raise ConnectionError("simulated network failure")

    failed: list[str] = []
    aws.meta.events.register("provide-client-params.s3.PutObject", fail_once)
    with pytest.raises(CopyFailedError) as caught:
        migrator(aws, tmp_path).copy()
    assert list(caught.value.failed) == [f"src/{victim}"] and caught.value.copied == len(source_keys(aws)) - 1
    assert caught.value.report.items_copied == caught.value.copied  # type: ignore[attr-defined]
    writes = count_calls(aws, ("PutObject", "CreateMultipartUpload"))
    again = migrator(aws, tmp_path).copy()
    assert again.items_copied == 1 and writes == [("PutObject", victim)]


def test_a_killed_runs_torn_journal_and_open_upload_are_cleaned_up(aws: Any, tmp_path: Path) -> None:
    m = migrator(aws, tmp_path)
    upload = aws.create_multipart_upload(Bucket="dst", Key=BIG_KEY)["UploadId"]
    path = m.journal_path(BucketPair("src", "dst"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"op": "mpu-start", "key": BIG_KEY, "upload_id": upload}) + "\n" + '{"op": "done", "ke')
    report = m.copy()
    stats = report.details["buckets"]["src -> dst"]
    assert stats["aborted_uploads"] == 1 and report.items_copied == len(source_keys(aws))
    assert not aws.list_multipart_uploads(Bucket="dst").get("Uploads")
    records = list(Journal(path).records())
    assert [r["op"] for r in records[:2]] == ["mpu-start", "mpu-abort"]
    assert all(isinstance(r, dict) for r in records)  # the torn line was cut, later lines parse


def test_the_source_is_only_read(aws: Any, tmp_path: Path) -> None:
    source = s3_client(None, region="us-east-1")
    operations: set[str] = set()
    source.meta.events.register("provide-client-params.s3.*", lambda model, **_: operations.add(model.name))
    m = migrator(aws, tmp_path, source=source, verify_mode="deep")
    m.check()
    m.copy()
    S3Migrator(source, aws, [("src", "dst", "")], checkpoint_dir=tmp_path / "other", progress=RecordingBars()).verify()
    assert operations and operations <= {"HeadBucket", "ListObjectsV2", "GetObject", "HeadObject"}


# ------------------------------------------------------------------------------------ check
def test_check_reports_size_settings_and_missing_target(aws: Any, tmp_path: Path) -> None:
    aws.put_bucket_versioning(Bucket="dst", VersioningConfiguration={"Status": "Enabled"})
    m = S3Migrator(
        aws,
        aws,
        [("src", "dst", ""), ("src", "absent-bucket", "events/")],
        checkpoint_dir=tmp_path,
        progress=RecordingBars(),
        at_scale_threshold_bytes=1024,
    )
    report = m.check()
    messages = {(f.severity, f.object, f.message) for f in report.findings}
    assert ("info", "s3://dst", "versioning: Enabled") in messages
    assert ("blocker", "s3://absent-bucket", "target bucket does not exist") in messages
    counts = [f.message for f in report.findings if f.object == "src -> dst"]
    assert counts == [
        f"{len(source_keys(aws))} objects, "
        f"{(sum(o['Size'] for o in aws.list_objects_v2(Bucket='src')['Contents'])) / MiB:.1f} MiB to copy"
    ]
    assert any(f.object == "all buckets" and "datasync path is advised" in f.message for f in report.findings)
    assert not report.ok and len(report.blockers) == 1


def test_keys_s3_would_reject_or_mangle() -> None:
    assert rejected_key_reason("a/b c/ünï+%=.json") is None
    assert rejected_key_reason("x" * 1025)[0] == "blocker"
    assert rejected_key_reason("é" * 513)[0] == "blocker"  # 1026 bytes of UTF-8
    assert rejected_key_reason("a/\x01b")[0] == "warning"
    assert rejected_key_reason("a/../b")[0] == "warning"
    assert rejected_key_reason("")[0] == "blocker"


def test_part_size_grows_so_no_object_needs_more_than_10000_parts() -> None:
    assert part_size_for(100 * MiB) == 8 * MiB
    huge = 5 * 1024**4
    size = part_size_for(huge)
    assert size % MiB == 0 and -(-huge // size) <= MAX_PARTS and size > 8 * MiB


def test_checksum_matches_with_or_without_the_part_count() -> None:
    checksum = ObjectChecksum("abc=", parts=3, part_size=PART)
    assert checksum.matches_reported("abc=") and checksum.matches_reported("abc=-3")
    assert not checksum.matches_reported("abc=-2") and not checksum.matches_reported("abd=")
    assert not checksum.matches_reported(None)


def test_probe_classifies_a_validating_store(tmp_path: Path) -> None:
    from botocore.stub import ANY, Stubber

    client = s3_client("http://store.example:9000", access_key="a", secret_key="b")
    stub = Stubber(client)
    body_checksum = base64.b64encode(hashlib.sha256(b"runbook checksum probe\n").digest()).decode()
    stub.add_response(
        "put_object",
        {"ChecksumSHA256": body_checksum},
        {
            "Bucket": "t",
            "Key": ANY,
            "Body": ANY,
            "ChecksumAlgorithm": "SHA256",
            "ChecksumSHA256": body_checksum,
        },
    )
    stub.add_response("delete_object", {}, {"Bucket": "t", "Key": ANY})
    stub.add_client_error("put_object", service_error_code="BadDigest", http_status_code=400)
    with stub:
        m = S3Migrator(client, client, [("s", "t")], checkpoint_dir=tmp_path, progress=RecordingBars())
        assert m.capabilities("t") == TargetCapabilities(checksum_api=True, validates_checksums=True, probed=True)
        assert m.verify_mode_for("t") == "listing"
    stub.assert_no_pending_responses()


MD5_ETAGS = TargetCapabilities(checksum_api=True, validates_checksums=False, etag_is_md5=True)


def sent_headers(client: Any) -> list[tuple[str, dict[str, str]]]:
    """(operation, headers) of every write as it leaves the client."""
    sent: list[tuple[str, dict[str, str]]] = []

    def hook(request: Any, event_name: str, **_: Any) -> None:
        headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
        sent.append((event_name.rsplit(".", 1)[-1], headers))

    for operation in ("PutObject", "UploadPart", "CreateMultipartUpload"):
        client.meta.events.register(f"before-send.s3.{operation}", hook)
    return sent


def test_probe_classifies_a_store_with_md5_etags_that_does_not_validate(tmp_path: Path) -> None:
    from botocore.stub import ANY, Stubber

    client = s3_client("http://127.0.0.1:9", region="us-east-1", access_key="k", secret_key="s")
    stub = Stubber(client)
    body = b"runbook checksum probe\n"
    good = base64.b64encode(hashlib.sha256(body).digest()).decode()
    stub.add_response("put_object", {"ChecksumSHA256": good, "ETag": f'"{hashlib.md5(body).hexdigest()}"'})
    stub.add_response("delete_object", {}, {"Bucket": "t", "Key": ANY})
    stub.add_response("put_object", {"ChecksumSHA256": "d3Jvbmc="})  # a wrong value: stored too (no check)
    stub.add_response("delete_object", {}, {"Bucket": "t", "Key": ANY})
    with stub:
        m = S3Migrator(client, client, [("s", "t")], checkpoint_dir=tmp_path, progress=RecordingBars())
        assert m.capabilities("t") == TargetCapabilities(
            checksum_api=True, validates_checksums=False, probed=True, etag_is_md5=True
        )
        assert m.verify_mode_for("t") == "listing"
    stub.assert_no_pending_responses()


def test_md5_etags_prove_each_write_and_listing_verify_reads_nothing(aws: Any, tmp_path: Path) -> None:
    sent = sent_headers(aws)
    m = migrator(aws, tmp_path, target_capabilities=MD5_ETAGS)
    report = m.copy()
    assert report.items_copied == len(source_keys(aws))
    # no checksum header at all: a declared value would only be echoed; the server's MD5 is the proof
    assert {op for op, _ in sent} == {"PutObject", "UploadPart", "CreateMultipartUpload"}
    for _, headers in sent:
        assert not [h for h in headers if h.startswith(("x-amz-checksum", "x-amz-sdk-checksum"))]
    entries = m.journal_entries(BucketPair("src", "dst"))
    assert {e.verified_by for e in entries.values()} == {"s3-etag-md5"}
    assert entries[BIG_KEY].checksum.value == composite_of(BIG, PART) and entries[BIG_KEY].checksum.parts == 3
    assert entries[BIG_KEY].target_etag.endswith("-3")
    for key in AWKWARD_KEYS:  # streamed, byte for byte, headers kept
        src, dst = aws.get_object(Bucket="src", Key=key), aws.get_object(Bucket="dst", Key=key)
        body = dst["Body"].read()
        assert body == src["Body"].read() and entries[key].sha256 == hashlib.sha256(body).hexdigest()
        assert (dst["ContentType"], dst["Metadata"]) == (src["ContentType"], src["Metadata"])
    reads = count_calls(aws, ("GetObject", "HeadObject"))
    verify = m.verify()
    assert verify.ok and verify.rows[0].matched == len(source_keys(aws))
    assert reads == []  # two listings, no request per object


def test_listing_verify_rereads_an_object_rewritten_since_and_finds_the_corruption(aws: Any, tmp_path: Path) -> None:
    m = migrator(aws, tmp_path, target_capabilities=MD5_ETAGS)
    m.copy()
    key = AWKWARD_KEYS[4]
    expected = m.journal_entries(BucketPair("src", "dst"))[key].checksum.value
    # same size, same headers, and the right checksum declared for the wrong bytes
    body = _corrupt_same_size(aws, key, ChecksumAlgorithm="SHA256", ChecksumSHA256=expected)
    reads = count_calls(aws, ("GetObject", "HeadObject"))
    verify = m.verify()
    assert (verify.rows[0].mismatched, verify.rows[0].missing) == (1, 0)
    assert verify.problems == [
        f"dst/{key}: mismatched (checksum expected SHA256:{expected}, found SHA256:"
        f"{base64.b64encode(hashlib.sha256(body.swapcase()).digest()).decode()})"
    ]
    assert reads == [("GetObject", key)]  # only the rewritten object is read again


@pytest.mark.parametrize("victim", [AWKWARD_KEYS[1], BIG_KEY], ids=["single-put", "multipart"])
def test_an_etag_that_is_not_our_md5_means_copy_again_declared_and_reread(
    aws: Any, tmp_path: Path, victim: str
) -> None:
    def mark(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["victim"] = params.get("Key") == victim

    def other_etag(parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if context.get("victim") and not told:
            told.append(model.name)
            parsed["ETag"] = '"00000000000000000000000000000000"'  # as an SSE-KMS bucket would answer

    told: list[str] = []
    operation = "PutObject" if victim != BIG_KEY else "UploadPart"
    m = migrator(aws, tmp_path, target_capabilities=MD5_ETAGS)
    calls = count_calls(aws, ("PutObject", "CreateMultipartUpload"))
    aws.meta.events.register(f"provide-client-params.s3.{operation}", mark)
    aws.meta.events.register(f"after-call.s3.{operation}", other_etag)
    m.copy()
    assert told == [operation]
    entries = m.journal_entries(BucketPair("src", "dst"))
    assert entries[victim].verified_by == "echo"
    assert {e.verified_by for k, e in entries.items() if k != victim} == {"s3-etag-md5"}
    assert [key for _, key in calls].count(victim) == 2  # copied twice: once by ETag, once declared
    reads = count_calls(aws, ("GetObject", "HeadObject"))
    assert m.verify().ok
    assert reads == [("GetObject", victim)]  # the echoed one is proven by reading it


# ------------------------------------------------------------------------------------ params and registry
def test_registered_as_s3_and_built_from_sandbox_params(tmp_path: Path) -> None:
    from runbook_lib.params import load_params_file

    assert get_migrator("s3") is S3Migrator
    params = load_params_file(VALID_PARAMS)
    state = SimpleNamespace(
        url=lambda name: {"s3-source": "http://127.0.0.1:1111", "aws": "http://127.0.0.1:2222"}[name]
    )
    m = S3Migrator.from_params(params, state, checkpoint_dir=tmp_path)
    assert m.mappings == [
        BucketPair("raw", "platform-raw-test"),
        BucketPair("curated", "platform-curated-test"),
    ]
    assert m.workers == params.migration.workers == 2
    assert (
        m.source.meta.endpoint_url == "http://127.0.0.1:1111" and m.target.meta.endpoint_url == "http://127.0.0.1:2222"
    )
    assert m.at_scale_threshold_bytes == params.migration.at_scale_threshold_bytes
    assert m.target.meta.config.max_pool_connections >= m.workers * (m.part_concurrency + 1)
    assert m.verify_mode == "auto"
    deep = S3Migrator.from_params(
        params.model_copy(update={"migration": params.migration.model_copy(update={"s3_verify_mode": "deep"})}),
        state,
        checkpoint_dir=tmp_path,
    )
    assert deep.verify_mode == "deep" and deep.verify_mode_for("platform-raw-test") == "deep"


def test_real_aws_params_need_the_source_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from runbook_lib.params import load_params_file

    params = load_params_file(VALID_PARAMS)
    real = params.model_copy(update={"aws": params.aws.model_copy(update={"endpoint_url": None})})
    monkeypatch.delenv("RUNBOOK_S3_SOURCE_ENDPOINT", raising=False)
    with pytest.raises(ParamsError) as caught:
        S3Migrator.from_params(real, None, checkpoint_dir=tmp_path)
    assert caught.value.key == "RUNBOOK_S3_SOURCE_ENDPOINT"


# ------------------------------------------------------------------------------------ journal
def test_journal_ignores_a_torn_last_line_and_resets_atomically(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path, batch=2) as journal:
        for i in range(3):
            journal.append({"op": "done", "i": i})
    with open(path, "ab") as handle:
        handle.write(b'{"op": "done", "i": 3')  # killed mid-write
    assert [r["i"] for r in Journal(path).records()] == [0, 1, 2]
    with Journal(path) as journal:
        journal.append({"op": "done", "i": 4})
    assert [r["i"] for r in Journal(path).records()] == [0, 1, 2, 4]
    Journal(path).reset()
    assert path.read_bytes() == b"" and not list(Journal(path).records())


def test_bulk_clients_send_in_large_blocks() -> None:
    from runbook_lib.migrate.objects import SOCKET_BLOCKSIZE

    client = s3_client("http://127.0.0.1:9", region="us-east-1", access_key="k", secret_key="s")
    pool = client._endpoint.http_session._manager.connection_from_url("http://127.0.0.1:9")
    assert SOCKET_BLOCKSIZE >= MiB and pool._new_conn().blocksize == SOCKET_BLOCKSIZE


def test_small_uploads_skip_the_100_continue_round_trip(aws: Any) -> None:
    sent: list[tuple[str, Any]] = []
    aws.meta.events.register(
        "before-send.s3.PutObject",
        lambda request, **_: sent.append((request.url, request.headers.get("Expect"))),
    )
    aws.put_object(Bucket="dst", Key="small", Body=b"x" * 1000)
    aws.put_object(Bucket="dst", Key="large", Body=b"x" * (2 * MiB))
    assert [expect for _url, expect in sent] == [None, b"100-continue"]
