"""The copy of one bucket pair's objects: single PUTs (streamed or from memory) and multipart uploads.

What moves: every object to the same key in the target bucket, with its user metadata,
Content-Type, Content-Encoding, Cache-Control, Content-Disposition, Content-Language, Expires and
website redirect. Object tags and ACLs are not copied (tags cost one extra request per object; the
target buckets use bucket-owner-enforced ownership, where ACLs do not apply). How each write is
proven (declared SHA-256, or the server's MD5 ETag) is explained in :mod:`.checksums`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from runbook_lib.errors import MigrationError
from runbook_lib.migrate.base import ProgressFactory
from runbook_lib.migrate.objects.checksums import (
    CONTENT_FIELDS,
    SHA256,
    HashingReader,
    ObjectChecksum,
    TargetCapabilities,
    attrs_digest,
    b64,
    composite_checksum,
    full_checksum,
    hash_object,
    multipart_etag,
    normalize_etag,
)
from runbook_lib.migrate.objects.client import error_code
from runbook_lib.migrate.objects.journal import Journal, JournalEntry, JournalState
from runbook_lib.migrate.objects.listing import BucketPair, ListedObject
from runbook_lib.migrate.objects.sizes import byte_bar, close_bar, part_size_for, read_exactly

log = logging.getLogger("runbook_lib.migrate.objects.copy_run")

#: User-metadata key of the full-object SHA-256 on a target without the checksum API.
META_SHA256 = "runbook-sha256"
#: GetObject response field -> PutObject/CreateMultipartUpload parameter, for what is kept on the target.
_COPIED_FIELDS = (*CONTENT_FIELDS, "Expires", "WebsiteRedirectLocation")


class ServerDisagrees(MigrationError):
    """The digest the target reports for what it received is not the one of the source bytes."""


@dataclass(frozen=True)
class _Part:
    """One uploaded part: its number, the ETag the target gave it, and our digests of its bytes."""

    number: int
    etag: str
    sha256: bytes
    md5: bytes


@dataclass(kw_only=True)
class CopyRun:
    """Copies a list of objects for one pair: a pool for objects, one for parts, one journal writer.

    Why two pools: an object task streams its source and hands parts to the part pool while it
    reads the next one; if parts ran in the object pool, a full pool of object tasks waiting on
    their parts would deadlock. Memory stays below
    ``workers * (part_concurrency + 1) * part_size``.

    Args:
        source: the source client (only read).
        target: the target client.
        pair: the buckets copied.
        caps: what the target does with checksums (see :mod:`.checksums`).
        journal: the pair's open checkpoint journal, appended to as objects are acknowledged.
        progress: tqdm-like factory.
        workers: objects copied at the same time.
        part_concurrency: parts of one object uploaded at the same time.
        part_size: the base part size (grown per object by :func:`part_size_for`).
        multipart_threshold: objects of at least this size go up in parts.
    """

    source: Any
    target: Any
    pair: BucketPair
    caps: TargetCapabilities
    journal: Journal
    progress: ProgressFactory
    workers: int
    part_concurrency: int
    part_size: int
    multipart_threshold: int

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.bar: Any = None
        caps = self.caps
        #: Prove each write by the MD5 ETag the server computed (moto, MinIO) instead of declaring a checksum.
        self.by_etag = caps.etag_is_md5 and not caps.validates_checksums
        #: What a write with a *declared* value proves.
        self.declared_by = ("s3-validated" if caps.validates_checksums else "echo") if caps.checksum_api else "written"

    def execute(self, todo: list[ListedObject]) -> tuple[int, int, dict[str, str]]:
        """Copy ``todo`` and journal each object as it is acknowledged.

        Returns:
            ``(objects copied, bytes copied, {key: why} of the objects that failed)``.
        """
        self.bar = byte_bar(self.progress, sum(o.size for o in todo), f"copy {self.pair.unit}")
        copied = nbytes = 0
        failed: dict[str, str] = {}
        window = self.workers * 4
        pending: dict[Future[JournalEntry], ListedObject] = {}
        items: Iterator[ListedObject] = iter(todo)
        with (
            ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="s3-copy") as objects,
            ThreadPoolExecutor(max_workers=self.workers * self.part_concurrency, thread_name_prefix="s3-part") as parts,
        ):
            self.part_pool: ThreadPoolExecutor = parts  # where _copy_multipart sends its parts
            exhausted = False
            while pending or not exhausted:
                while not exhausted and len(pending) < window:
                    obj = next(items, None)
                    if obj is None:
                        exhausted = True
                        break
                    pending[objects.submit(self._copy_object, obj)] = obj
                if not pending:
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    obj = pending.pop(future)
                    error = future.exception()
                    if error is not None:
                        log.warning("copy of s3://%s/%s failed: %s", self.pair.source_bucket, obj.key, error)
                        failed[obj.key] = f"{type(error).__name__}: {error}"
                        continue
                    entry = future.result()
                    with self.lock:
                        self.journal.append(entry.to_record())
                    copied += 1
                    nbytes += entry.size
        self.journal.flush()
        close_bar(self.bar)
        return copied, nbytes, failed

    def _advance(self, n: int) -> None:
        with self.lock:
            self.bar.update(n)

    # ------------------------------------------------------------------ one object
    def _copy_object(self, obj: ListedObject) -> JournalEntry:
        if not self.by_etag:
            return self._copy_once(obj, by_etag=False, stream=False)
        from botocore.exceptions import UnseekableStreamError  # botocore is slow to import: loaded when a copy runs

        try:
            try:
                return self._copy_once(obj, by_etag=True, stream=True)
            except UnseekableStreamError as error:
                # botocore wanted to retry a streamed PUT and cannot rewind a network stream
                log.info("streamed copy of %s needs a retry (%s): copying it from memory", obj.key, error)
                return self._copy_once(obj, by_etag=True, stream=False)
        except ServerDisagrees as error:
            log.warning("%s; copying it again with a declared checksum, which verify() will re-read", error)
            return self._copy_once(obj, by_etag=False, stream=False)

    def _copy_once(self, obj: ListedObject, *, by_etag: bool, stream: bool) -> JournalEntry:
        response = self.source.get_object(Bucket=self.pair.source_bucket, Key=obj.key)
        size = int(response["ContentLength"])
        if size >= self.multipart_threshold:
            return self._copy_multipart(obj, response, size, by_etag=by_etag)
        body = response["Body"]
        bucket, key = self.pair.target_bucket, obj.key
        try:
            if stream:
                reader = HashingReader(body, size)
                put = self.target.put_object(
                    Bucket=bucket,
                    Key=key,
                    Body=reader,
                    ContentLength=size,
                    **self._write_args(response, sha256_hex=None),
                )
                received = reader.count
                digest, md5 = reader.digests()
            else:
                data = body.read()
                received = len(data)
                digest = hashlib.sha256(data).digest()
                md5 = hashlib.md5(data, usedforsecurity=False).digest() if by_etag else b""
        finally:
            body.close()
        self._check_length(key, received, size)
        checksum = full_checksum(digest)
        if not stream:
            put = self.target.put_object(
                Bucket=bucket,
                Key=key,
                Body=data,
                **_declared(checksum.value, by_etag),
                **self._write_args(response, sha256_hex=None if by_etag else digest.hex()),
            )
        target_etag = normalize_etag(put.get("ETag"))
        if by_etag and target_etag != md5.hex():
            raise _etag_disagrees(f"s3://{bucket}/{key}", target_etag, md5)
        if not by_etag:
            self._check_acknowledged(f"s3://{bucket}/{key}", put.get("ChecksumSHA256"), checksum.value)
        self._advance(size)
        return self._entry(obj.key, size, response, checksum, target_etag, by_etag=by_etag, sha256=digest.hex())

    def _write_args(self, response: dict[str, Any], *, sha256_hex: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {name: response[name] for name in _COPIED_FIELDS if response.get(name)}
        metadata = dict(response.get("Metadata") or {})
        if not self.caps.checksum_api and sha256_hex:
            metadata[META_SHA256] = sha256_hex
        kwargs["Metadata"] = metadata
        return kwargs

    def _copy_multipart(self, obj: ListedObject, response: dict[str, Any], size: int, *, by_etag: bool) -> JournalEntry:
        bucket = self.pair.target_bucket
        part_size = part_size_for(size, self.part_size)
        full_hex = None
        if not self.caps.checksum_api:
            # metadata fallback: the full SHA-256 must be known before the first part is sent
            response["Body"].close()
            full_hex = hash_object(self.source, self.pair.source_bucket, obj.key, 0)[0].hex
            response = self.source.get_object(
                Bucket=self.pair.source_bucket, Key=obj.key, IfMatch=response.get("ETag") or "*"
            )
        checksum_args = {} if by_etag else {"ChecksumAlgorithm": SHA256}
        create = self.target.create_multipart_upload(
            Bucket=bucket, Key=obj.key, **checksum_args, **self._write_args(response, sha256_hex=full_hex)
        )
        upload_id = create["UploadId"]
        with self.lock:  # durable at once: a resumed run must find (and abort) an upload a kill left open
            self.journal.append({"op": "mpu-start", "key": obj.key, "upload_id": upload_id})
            self.journal.flush()
        slots = threading.BoundedSemaphore(self.part_concurrency)
        futures: list[Future[_Part]] = []
        body = response["Body"]
        try:
            total = 0
            number = 0
            while True:
                slots.acquire()
                if any(f.done() and f.exception() for f in futures):
                    slots.release()
                    break
                chunk = read_exactly(body, part_size)
                if not chunk:
                    slots.release()
                    break
                number += 1
                total += len(chunk)
                future = self.part_pool.submit(self._upload_part, obj.key, upload_id, number, chunk, by_etag)
                future.add_done_callback(lambda _f: slots.release())
                futures.append(future)
            results = [f.result() for f in futures]
            self._check_length(obj.key, total, size)
            checksum = composite_checksum([part.sha256 for part in results], part_size)
            parts: list[dict[str, Any]] = [{"PartNumber": part.number, "ETag": part.etag} for part in results]
            if not by_etag:
                for entry, part in zip(parts, results, strict=True):
                    entry["ChecksumSHA256"] = b64(part.sha256)
            completed = self.target.complete_multipart_upload(
                Bucket=bucket, Key=obj.key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
            target_etag = normalize_etag(completed.get("ETag"))
            expected_etag = multipart_etag([part.md5 for part in results])
            if by_etag and target_etag != expected_etag:
                raise ServerDisagrees(
                    f"s3://{bucket}/{obj.key}: the target reports ETag {target_etag!r} for the assembled "
                    f"object, the source parts give {expected_etag!r}"
                )
            reported = completed.get("ChecksumSHA256")
            if reported and not checksum.matches_reported(reported):
                raise MigrationError(
                    f"s3://{bucket}/{obj.key}: the target reports checksum {reported!r}, "
                    f"we computed {checksum.describe()!r}"
                )
        except BaseException:
            body.close()
            for future in futures:
                future.cancel()
            try:
                self.target.abort_multipart_upload(Bucket=bucket, Key=obj.key, UploadId=upload_id)
                with self.lock:
                    self.journal.append({"op": "mpu-abort", "key": obj.key, "upload_id": upload_id})
            except Exception as error:  # noqa: BLE001 - the original error matters more; resume aborts it
                log.warning("could not abort upload %s of %s: %s", upload_id, obj.key, error)
            raise
        body.close()
        with self.lock:
            self.journal.append({"op": "mpu-end", "key": obj.key, "upload_id": upload_id})
        return self._entry(obj.key, size, response, checksum, target_etag, by_etag=by_etag, sha256=full_hex or "")

    def _upload_part(self, key: str, upload_id: str, number: int, chunk: bytes, by_etag: bool) -> _Part:
        digest = hashlib.sha256(chunk).digest()
        value = b64(digest)
        md5 = hashlib.md5(chunk, usedforsecurity=False).digest() if by_etag else b""
        bucket = self.pair.target_bucket
        response = self.target.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk, **_declared(value, by_etag)
        )
        if by_etag and normalize_etag(response.get("ETag")) != md5.hex():
            raise _etag_disagrees(f"part {number} of s3://{bucket}/{key}", response.get("ETag"), md5)
        if not by_etag:
            self._check_acknowledged(f"part {number} of {key}", response.get("ChecksumSHA256"), value)
        self._advance(len(chunk))
        return _Part(number, response["ETag"], digest, md5)

    # ------------------------------------------------------------------ shared by both paths
    def _check_length(self, key: str, received: int, size: int) -> None:
        if received != size:
            raise MigrationError(f"short read of s3://{self.pair.source_bucket}/{key}: {received} of {size} bytes")

    def _check_acknowledged(self, where: str, reported: str | None, sent: str) -> None:
        """A target with the checksum API must echo the SHA-256 we declared."""
        if self.caps.checksum_api and reported != sent:
            raise MigrationError(f"{where}: the target acknowledged checksum {reported!r}, we sent {sent!r}")

    def _entry(
        self,
        key: str,
        size: int,
        response: dict[str, Any],
        checksum: ObjectChecksum,
        target_etag: str,
        *,
        by_etag: bool,
        sha256: str,
    ) -> JournalEntry:
        return JournalEntry(
            key=key,
            size=size,
            source_etag=normalize_etag(response.get("ETag")),
            checksum=checksum,
            target_etag=target_etag,
            attrs=attrs_digest(response),
            verified_by="s3-etag-md5" if by_etag else self.declared_by,
            sha256=sha256,
        )


def _declared(value: str, by_etag: bool) -> dict[str, str]:
    """The checksum arguments of a write: none when the server's MD5 ETag is the proof."""
    return {} if by_etag else {"ChecksumAlgorithm": SHA256, "ChecksumSHA256": value}


def _etag_disagrees(where: str, etag: str | None, md5: bytes) -> ServerDisagrees:
    return ServerDisagrees(
        f"{where}: the target reports ETag {etag!r} for what it received, the source bytes have MD5 {md5.hex()!r}"
    )


def abort_stale_uploads(target: Any, pair: BucketPair, state: JournalState, journal: Journal) -> int:
    """Abort multipart uploads a killed run started (they hold storage, and cost money on AWS)."""
    from botocore.exceptions import ClientError  # botocore is slow to import: loaded when a copy runs

    aborted = 0
    for upload_id, key in list(state.open_uploads.items()):
        try:
            target.abort_multipart_upload(Bucket=pair.target_bucket, Key=key, UploadId=upload_id)
            aborted += 1
        except ClientError as error:
            if error_code(error) not in ("NoSuchUpload", "404"):
                raise
        journal.append({"op": "mpu-abort", "key": key, "upload_id": upload_id})
    return aborted


def abort_unjournaled_uploads(target: Any, pair: BucketPair, keys: set[str], journal: Journal) -> int:
    """Abort open multipart uploads to keys this copy is about to write again, that no journal line names.

    Why: a kill between ``CreateMultipartUpload`` and the durable ``mpu-start`` line leaves an upload the
    journal cannot know about. Only keys in ``keys`` (objects about to be re-copied from the source) are
    touched: whatever an upload to such a key held would be overwritten by this copy anyway.
    """
    from botocore.exceptions import ClientError  # botocore is slow to import: loaded when a copy runs

    aborted = 0
    paginator = target.get_paginator("list_multipart_uploads")
    for page in paginator.paginate(Bucket=pair.target_bucket, Prefix=pair.prefix):
        for upload in page.get("Uploads", []):
            if upload["Key"] not in keys:
                continue
            try:
                target.abort_multipart_upload(Bucket=pair.target_bucket, Key=upload["Key"], UploadId=upload["UploadId"])
                aborted += 1
            except ClientError as error:
                if error_code(error) not in ("NoSuchUpload", "404"):
                    raise
            journal.append({"op": "mpu-abort", "key": upload["Key"], "upload_id": upload["UploadId"]})
    return aborted
