"""Objects: an S3-compatible store (MinIO) -> Amazon S3, streamed, checksummed and resumable.

What moves: every object under ``prefix`` of each source bucket, to the same key in the target
bucket, with its user metadata, Content-Type, Content-Encoding, Cache-Control,
Content-Disposition, Content-Language, Expires and website redirect. Object tags and ACLs are not
copied (tags cost one extra request per object; the target buckets use bucket-owner-enforced
ownership, where ACLs do not apply). Keys are used exactly as listed (botocore lists with
``EncodingType=url`` and decodes), so spaces, unicode, ``+``, ``%``, ``=`` and deep prefixes survive.

Checksums — what we chose and why
---------------------------------
An ETag is not a content checksum: for multipart objects it is an MD5 of part MD5s that depends on
the uploader's part size, and with SSE-KMS it is not an MD5 at all. So every object gets a SHA-256
computed by us from the source bytes as they stream past, and a target that validates checksums
(Amazon S3) is asked to store it through the S3 checksum API (other targets: see below):

* objects below ``multipart_threshold`` are read into memory (they are small by definition), hashed,
  and written with one ``PutObject`` carrying ``ChecksumAlgorithm=SHA256`` and our
  ``ChecksumSHA256``: S3 stores a full-object SHA-256;
* larger objects are read as one stream, cut into parts of ``part_size`` (>= 8 MiB, grown so no
  object needs more than 10,000 parts), each part hashed and sent with its ``ChecksumSHA256``; S3
  stores the COMPOSITE checksum ``sha256(digest(part 1) || … || digest(part N))-N``. We compute the
  same value from our part digests. A composite SHA-256 over a recorded part size is as strong a
  content checksum as a full-object one, needs no second pass over the data, and is exactly what
  S3 can report back — a full-object SHA-256 of a multipart object could never be compared with
  anything S3 stores.

Amazon S3 *recomputes* a declared checksum and rejects the request (``BadDigest``) when the bytes
differ, so on AWS a stored checksum is the server's word about the bytes it holds, and ``verify()``
only has to read it back (``HeadObject`` with ``ChecksumMode=ENABLED``).

What moto 5.2 does (read from moto 5.2.5's ``s3/responses.py``/``models.py`` and probed against
``moto_server``): it stores and returns ``ChecksumSHA256`` for ``PutObject`` and multipart uploads
(``HeadObject``/``GetObjectAttributes`` return the composite value *without* the ``-N`` suffix,
``GetObject`` with it; ``CompleteMultipartUpload`` returns no checksum), but it never validates a
declared checksum (a wrong one is stored as given; see its ``TODO: AWS computes the provided value
and verifies it's the same``), ignores ``x-amz-checksum-*`` unless ``x-amz-sdk-checksum-algorithm``
is also sent (so we always send both), and does not check ``Content-MD5`` either. Therefore the
migrator probes a target that is not ``*.amazonaws.com`` once per bucket (:class:`TargetCapabilities`:
a tiny put with a correct and one with a wrong checksum under ``.runbook-probe/``, deleted again):

* server validates (AWS): every write carries our SHA-256 and the server's acceptance is its word
  about the bytes it holds (``verified_by="s3-validated"``);
* server does not validate a declared value, but its ETag is the MD5 of the bytes it received (moto,
  MinIO, most S3-compatible stores; probed with the same tiny object): the server has then computed a
  digest of exactly what it stored, at no extra cost to it, and we compare it with the MD5 we compute
  from the source bytes on the way (for multipart objects: the MD5 of each part, and the
  ``md5(part digests)-N`` ETag of the whole), like ``rclone --checksum`` does
  (``verified_by="s3-etag-md5"``). No checksum header is sent then — a declared value would be an
  unchecked echo and would have to be known before the request — so a single-PUT object is *streamed*
  from the source GET into the target PUT, hashed (SHA-256 and MD5) on the way: no whole object in
  memory, and source read and target write overlap. The SHA-256 still goes into the journal and the
  evidence. Should the ETag differ from our MD5 (an ETag that is not an MD5 after all, or bytes
  changed in flight), the object is copied once more the plain way (declared SHA-256,
  ``verified_by="echo"``) and ``verify()`` re-reads it;
* server stores checksums but neither validates them nor reports an MD5 ETag: a stored value is only an echo
  (``verified_by="echo"``) and ``verify()`` re-reads every target object ("deep");
* server has no checksum API at all: we also write the full-object SHA-256 as user metadata
  ``x-amz-meta-runbook-sha256`` (for multipart objects this costs one extra read of the source,
  because metadata must be given before the first part), and ``verify()`` is deep.

``verify()`` modes: ``listing`` (the ``auto`` choice where the server validated our checksum or
reported the MD5 of what it received at write time) proves each object by its journal entry (the
server-confirmed digest matched the source's) and by the target listing still showing the ETag and
size the server returned for that write (an overwrite changes the ETag), so it costs two listings
and no request per object, like ``rclone --checksum``; objects that fail that test are re-read. It
does not re-read content headers and user metadata, which travelled in the same acknowledged
request. ``checksum`` asks ``HeadObject`` for every object (stored checksum, content headers,
metadata); ``deep`` re-reads every target object and recomputes its checksum (catches anything,
at the cost of reading it all again).

The source checksum of every copied object is recorded in the checkpoint journal (below) together
with the source ETag and size it was computed from; ``verify()`` uses it as long as the source
object is unchanged and recomputes it from the source (read-only) otherwise.

Resume
------
Per bucket mapping an append-only JSON-lines journal (:mod:`runbook_lib.migrate.journal`) in
``checkpoint_dir`` records each object once it is written and acknowledged with the expected
checksum (``op: done``: key, size, source ETag, checksum, target ETag, content-attribute digest), and
each multipart upload as it starts and ends. It is fsynced per batch. A resumed copy skips every
object whose journal entry still matches both listings (source ETag and size, target ETag and size),
aborts multipart uploads a killed run left open, and copies the rest; an object is never copied
twice unless it changed or its journal line was lost with the last unflushed batch.

The source is only ever listed and read: the source client is used for ListObjectsV2, GetObject,
HeadObject, HeadBucket and GetBucket* calls only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlparse

from runbook_lib.errors import CopyFailedError, MigrationError, ParamsError, SandboxDownError
from runbook_lib.migrate.base import (
    CheckReport,
    CopyReport,
    Finding,
    Migrator,
    ProgressFactory,
    VerifyReport,
    VerifyRow,
    default_checkpoint_dir,
)
from runbook_lib.migrate.journal import Journal
from runbook_lib.util import human_bytes

log = logging.getLogger("runbook_lib.migrate.objects")

MiB = 1024 * 1024
SHA256 = "SHA256"
DEFAULT_PART_SIZE = 8 * MiB
#: Objects below this go up in one PUT (read into memory, hashed, sent with their SHA-256) when the
#: migrator is built from parameters. Multipart costs a CreateMultipartUpload, one request per part
#: and a CompleteMultipartUpload whose server-side assembly re-reads the parts; below ~200 MiB one
#: PUT is faster (rclone's ``--s3-upload-cutoff`` is 200 MiB for the same reason). Memory bound:
#: ``workers`` objects of at most this size at a time.
DEFAULT_MULTIPART_THRESHOLD = 200 * MiB
MIN_PART_SIZE = 5 * MiB  # S3's minimum for every part but the last
MAX_PARTS = 10_000
MAX_OBJECT_SIZE = 5 * 1024**4  # 5 TiB
MAX_KEY_BYTES = 1024
PROBE_PREFIX = ".runbook-probe/"
META_SHA256 = "runbook-sha256"
VERIFY_MODES = ("auto", "listing", "checksum", "deep")
#: How a journal entry's checksum was confirmed; these two are the target server's own word.
SERVER_CONFIRMED = frozenset({"s3-validated", "s3-etag-md5"})
#: Environment variables naming the self-hosted store outside the sandbox (params have no field for it yet).
SOURCE_ENDPOINT_ENV = "RUNBOOK_S3_SOURCE_ENDPOINT"
SOURCE_PROFILE_ENV = "RUNBOOK_S3_SOURCE_PROFILE"
DEFAULT_SOURCE_PROFILE = "minio-source"

#: GetObject response field -> PutObject/CreateMultipartUpload parameter, for what is kept on the target.
CONTENT_FIELDS = ("ContentType", "ContentEncoding", "CacheControl", "ContentDisposition", "ContentLanguage")
_COPIED_FIELDS = (*CONTENT_FIELDS, "Expires", "WebsiteRedirectLocation")
#: Client errors that mean "the server checked the declared checksum and it was wrong".
_BAD_DIGEST_CODES = frozenset(
    {
        "BadDigest",
        "InvalidDigest",
        "XAmzContentChecksumMismatch",
        "InvalidRequest",
        "XAmzContentSHA256Mismatch",
    }
)


# --------------------------------------------------------------------------------------------
# Small value types
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BucketMapping:
    """Copy ``source_bucket``/``prefix`` to ``target_bucket`` under the same keys."""

    source_bucket: str
    target_bucket: str
    prefix: str = ""

    @property
    def unit(self) -> str:
        suffix = f"/{self.prefix}" if self.prefix else ""
        return f"{self.source_bucket}{suffix} -> {self.target_bucket}{suffix}"

    @property
    def slug(self) -> str:
        """A file-name-safe, unique name for this mapping's journal."""
        digest = hashlib.sha256(self.prefix.encode()).hexdigest()[:8]
        return f"{self.source_bucket}--{self.target_bucket}--{digest}"


@dataclass(frozen=True)
class ListedObject:
    key: str
    size: int
    etag: str


@dataclass(frozen=True)
class ObjectChecksum:
    """A SHA-256 as S3 stores it.

    ``parts == 0``: full-object SHA-256 (single PUT). ``parts >= 1``: S3's COMPOSITE checksum,
    ``sha256`` of the concatenated part digests, over parts of ``part_size`` bytes (last one shorter).
    ``value`` is base64, as the S3 API spells it.
    """

    value: str
    parts: int = 0
    part_size: int = 0
    algorithm: str = SHA256

    @property
    def hex(self) -> str:
        return base64.b64decode(self.value).hex()

    def describe(self) -> str:
        return f"{self.algorithm}:{self.value}" + (f"-{self.parts}" if self.parts else "")

    def matches_reported(self, reported: str | None) -> bool:
        """Whether a checksum S3 reported (with or without a ``-N`` suffix) is this one."""
        if not reported:
            return False
        value, _, count = reported.partition("-")
        if value != self.value:
            return False
        return not count or int(count) == self.parts


@dataclass(frozen=True)
class TargetCapabilities:
    """What a target store does with the S3 checksum API (see the module docstring)."""

    checksum_api: bool
    validates_checksums: bool
    probed: bool = False
    #: The ETag of a plain single PUT is the MD5 of the body (computed by the server).
    etag_is_md5: bool = False

    @property
    def confirms_writes(self) -> bool:
        """Whether the server's answer to a write is evidence about the bytes it stored."""
        return self.validates_checksums or self.etag_is_md5


@dataclass
class JournalEntry:
    """One verified object as recorded in the checkpoint journal."""

    key: str
    size: int
    source_etag: str
    checksum: ObjectChecksum
    target_etag: str
    attrs: str
    verified_by: str  # "s3-validated" | "s3-etag-md5" | "echo" | "written"
    sha256: str = ""  # full-object SHA-256 hex, when it was computed (single PUT, or metadata fallback)

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["op"] = "done"
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> JournalEntry:
        data = {k: v for k, v in record.items() if k != "op"}
        data["checksum"] = ObjectChecksum(**data["checksum"])
        return cls(**data)


@dataclass
class _JournalState:
    done: dict[str, JournalEntry] = field(default_factory=dict)
    open_uploads: dict[str, str] = field(default_factory=dict)  # upload_id -> key
    duplicates: int = 0


@dataclass(frozen=True)
class _Part:
    """One uploaded part: its number, the ETag the target gave it, and our digests of its bytes."""

    number: int
    etag: str
    sha256: bytes
    md5: bytes


@dataclass
class _Outcome:
    """The result of comparing one object."""

    key: str
    ok: bool
    expected: str
    actual: str
    reason: str = ""


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def normalize_etag(etag: str | None) -> str:
    return (etag or "").strip('"')


def part_size_for(size: int, base: int = DEFAULT_PART_SIZE) -> int:
    """The part size for an object: ``base``, grown in whole MiB so the object fits in 10,000 parts."""
    needed = -(-size // MAX_PARTS)
    if needed <= base:
        return base
    return -(-needed // MiB) * MiB


def composite_checksum(part_digests: Iterable[bytes], part_size: int) -> ObjectChecksum:
    digests = list(part_digests)
    value = base64.b64encode(hashlib.sha256(b"".join(digests)).digest()).decode()
    return ObjectChecksum(value=value, parts=len(digests), part_size=part_size)


def full_checksum(digest: bytes) -> ObjectChecksum:
    return ObjectChecksum(value=base64.b64encode(digest).decode())


def content_attrs(response: dict[str, Any]) -> dict[str, Any]:
    """The content headers and user metadata that must survive the move (our ``runbook-*`` keys left out)."""
    attrs: dict[str, Any] = {name: response.get(name) for name in CONTENT_FIELDS if response.get(name)}
    metadata = {k: v for k, v in (response.get("Metadata") or {}).items() if not k.startswith("runbook-")}
    attrs["Metadata"] = dict(sorted(metadata.items()))
    return attrs


def attrs_digest(response: dict[str, Any]) -> str:
    canonical = json.dumps(content_attrs(response), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def rejected_key_reason(key: str) -> tuple[str, str, str] | None:
    """Why Amazon S3 would reject (``blocker``) or mishandle (``warning``) a key; None when it is fine.

    Returns:
        ``(severity, message, fix)``.
    """
    encoded = key.encode("utf-8", errors="surrogatepass")
    if not key:
        return "blocker", "empty key", "rename the object"
    if len(encoded) > MAX_KEY_BYTES:
        return (
            "blocker",
            f"key is {len(encoded)} bytes of UTF-8; S3 allows {MAX_KEY_BYTES}",
            "shorten the key",
        )
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return "blocker", "key is not valid UTF-8", "rename the object"
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in key):
        return (
            "warning",
            "key contains control characters that XML 1.0 cannot carry; listings need EncodingType=url",
            "rename the object or make sure every consumer lists with EncodingType=url",
        )
    segments = key.split("/")
    if any(segment in (".", "..") for segment in segments):
        return (
            "warning",
            "key has '.' or '..' path segments, which S3 keeps literally but tools and the console may normalise",
            "rename the object if consumers treat keys as paths",
        )
    return None



def s3_client(
    endpoint_url: str | None,
    *,
    region: str = "us-east-1",
    session: Any | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    pool: int = 10,
    connect_timeout: float = 5,
    read_timeout: float = 120,
    max_attempts: int = 3,
) -> Any:
    """An S3 client tuned for bulk copies.

    Why not ``runbook_lib.clients.aws_client``: a copy needs a connection pool as large as its
    parallelism (``max_pool_connections``; the default 10 makes threads queue for sockets), and
    botocore's default CRC32 on every request/response (botocore >= 1.36) would hash every byte a
    second time next to our SHA-256 — ``when_required`` turns that off; we send and check SHA-256
    ourselves. For the same reason the SigV4 payload hash is off (``UNSIGNED-PAYLOAD``): S3 checks
    the body against our declared checksum instead, which is also what botocore does by default
    over HTTPS whenever a checksum header is present.
    """
    import boto3
    from botocore.config import Config

    options: dict[str, Any] = {
        "max_pool_connections": max(10, pool),
        "connect_timeout": connect_timeout,
        "read_timeout": read_timeout,
        "retries": {"max_attempts": max_attempts, "mode": "standard"},
        "tcp_keepalive": True,
        # Our x-amz-checksum-sha256 protects the body; signing it too would hash every byte again
        # (botocore always signs payloads over plain http, e.g. the sandbox).
        "s3": {"payload_signing_enabled": False, **({"addressing_style": "path"} if endpoint_url else {})},
        "request_checksum_calculation": "when_required",
        "response_checksum_validation": "when_required",
    }
    try:
        config = Config(**options)
    except TypeError:  # botocore < 1.36 has neither checksum option (nor the default CRC32)
        options.pop("request_checksum_calculation")
        options.pop("response_checksum_validation")
        config = Config(**options)
    kwargs: dict[str, Any] = {"region_name": region, "config": config}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    if access_key is not None:
        kwargs.update(aws_access_key_id=access_key, aws_secret_access_key=secret_key)
    factory = session or boto3
    client = factory.client("s3", **kwargs)
    # botocore adds the header in a handler on "before-call.s3"; ours runs after it on the same event
    client.meta.events.register_last("before-call.s3", _no_continue_for_small_bodies)
    raise_socket_blocksize(client)
    return client


#: Bytes http.client reads from a streamed body and sends per call (urllib3's default is 16 KiB).
SOCKET_BLOCKSIZE = 1 * MiB


def raise_socket_blocksize(client: Any, blocksize: int = SOCKET_BLOCKSIZE) -> bool:
    """Send request bodies in ``blocksize`` blocks instead of urllib3's 16 KiB. True if it took effect.

    Why: a single-PUT object is streamed from the source GET through our hashing reader into the
    target PUT, block by block; at 16 KiB that is 8,192 Python-level reads, hash updates and sends
    per 128 MiB. Measured on 16 x 128 MiB against moto: 19 s of our CPU at 16 KiB, 7 s at 1 MiB, on a
    2-core machine where that CPU is taken from the servers. botocore has no option for it, so this
    sets urllib3's ``PoolManager.connection_pool_kw`` (public urllib3 API) on botocore's session,
    which is reached through private attributes: should a botocore release move them, copies still
    work, only slower, and ``test_bulk_clients_send_in_large_blocks`` fails. Connections through a
    proxy keep the default.
    """
    manager = getattr(getattr(getattr(client, "_endpoint", None), "http_session", None), "_manager", None)
    pool_kw = getattr(manager, "connection_pool_kw", None)
    if not isinstance(pool_kw, dict):
        log.info("botocore's connection pool is not where expected: request bodies go in 16 KiB blocks")
        return False
    pool_kw["blocksize"] = blocksize
    return True


#: Bodies below this go without ``Expect: 100-continue`` (see :func:`_no_continue_for_small_bodies`).
EXPECT_CONTINUE_MIN_BYTES = 1 * MiB


def _no_continue_for_small_bodies(params: dict[str, Any], **_: Any) -> None:
    """Drop ``Expect: 100-continue`` from small uploads.

    botocore adds it to every upload body (it wraps bytes in a file object), so each PutObject
    waits one extra round trip for the server's "100 Continue" before sending even a 1 KiB body.
    The header exists so a large body is not sent to a server that will refuse it; for small bodies
    the round trip costs more than a wasted send would (measured ~12-15% on 4 KiB objects).
    """
    from botocore.utils import determine_content_length

    body = params.get("body")
    if body is None or "Expect" not in params.get("headers", {}):
        return
    length = determine_content_length(body)
    if length is not None and length < EXPECT_CONTINUE_MIN_BYTES:
        params.get("headers", {}).pop("Expect", None)


class _HashingReader:
    """A source GET body, read once, hashed (SHA-256 and MD5) on the way into the target PUT.

    ``__len__`` gives botocore/urllib3 the Content-Length without reading; ``count`` tells a short
    read from a complete one. Not seekable on purpose: a retry must start from a fresh GET.
    """

    def __init__(self, stream: Any, size: int) -> None:
        self._stream = stream
        self._size = size
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.count = 0

    def __len__(self) -> int:
        return self._size

    def read(self, amount: int | None = -1) -> bytes:
        chunk = self._stream.read(amount if amount is not None and amount >= 0 else None)
        if chunk:
            self._sha256.update(chunk)
            self._md5.update(chunk)
            self.count += len(chunk)
        return chunk

    def digests(self) -> tuple[bytes, bytes]:
        """(SHA-256, MD5) of what was read."""
        return self._sha256.digest(), self._md5.digest()


class _ServerDisagrees(MigrationError):
    """The digest the target reports for what it received is not the one of the source bytes."""


def multipart_etag(part_md5s: list[bytes]) -> str:
    """The ETag S3 gives a multipart object: MD5 of the concatenated part MD5s, ``-`` part count."""
    return f"{hashlib.md5(b''.join(part_md5s), usedforsecurity=False).hexdigest()}-{len(part_md5s)}"


def _error_code(error: BaseException) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(error).__name__))


def _read_exactly(stream: Any, size: int) -> bytes:
    """Up to ``size`` bytes; fewer only at the end of the stream."""
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _aggregate(lines: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for line in sorted(lines):
        digest.update(line.encode("utf-8", errors="surrogatepass") + b"\n")
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------------------------
# The migrator
# --------------------------------------------------------------------------------------------
class S3Migrator(Migrator):
    """Copy buckets of an S3-compatible store into Amazon S3 and prove the copy by checksum.

    Args:
        source_client: boto3 S3 client for the source (MinIO); only read from.
        target_client: boto3 S3 client for the target (AWS, or the sandbox's moto).
        mappings: ``BucketMapping``s or ``(source_bucket, target_bucket, prefix)`` tuples.
        checkpoint_dir: where the per-mapping journals live.
        workers: objects copied (and verified) at the same time.
        progress: tqdm-like factory.
        part_size: multipart part size (>= 8 MiB recommended; S3's floor is 5 MiB).
        multipart_threshold: objects of at least this size are copied in parts (default: ``part_size``).
        part_concurrency: parts of one object uploaded at the same time while the next part is read.
        verify_mode: ``auto`` (``listing`` where the target validated our checksum or reported the
            MD5 of each write, else ``deep``), ``listing``, ``checksum`` (HeadObject per object) or
            ``deep`` (always re-read the target); see the module docstring.
        target_capabilities: skip the capability probe and use these (tests, known stores).
        journal_batch: journal lines per fsync.
        max_reported: how many problem keys ``verify()`` lists.
        at_scale_threshold_bytes: when set, ``check()`` says whether the DataSync path is advised.
    """

    kind: ClassVar[str] = "s3"

    def __init__(
        self,
        source_client: Any,
        target_client: Any,
        mappings: Iterable[BucketMapping | tuple[str, str, str] | tuple[str, str]],
        *,
        checkpoint_dir: Path,
        workers: int = 4,
        progress: ProgressFactory | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        multipart_threshold: int | None = None,
        part_concurrency: int = 2,
        verify_mode: str = "auto",
        target_capabilities: TargetCapabilities | None = None,
        journal_batch: int = 100,
        max_reported: int = 20,
        at_scale_threshold_bytes: int | None = None,
    ) -> None:
        super().__init__(checkpoint_dir=checkpoint_dir, workers=workers, progress=progress)
        if part_size < MIN_PART_SIZE:
            raise ParamsError("part_size", part_size, f">= {MIN_PART_SIZE} (S3's minimum part size)")
        if verify_mode not in VERIFY_MODES:
            raise ParamsError("verify_mode", verify_mode, VERIFY_MODES)
        self.source = source_client
        self.target = target_client
        self.mappings = [m if isinstance(m, BucketMapping) else BucketMapping(*m) for m in mappings]
        if not self.mappings:
            raise ParamsError("mappings", [], "at least one (source_bucket, target_bucket, prefix)")
        self.part_size = part_size
        self.multipart_threshold = multipart_threshold or part_size
        self.part_concurrency = max(1, part_concurrency)
        self.verify_mode = verify_mode
        self.journal_batch = journal_batch
        self.max_reported = max_reported
        self.at_scale_threshold_bytes = at_scale_threshold_bytes
        self._caps_override = target_capabilities
        self._caps: dict[str, TargetCapabilities] = {}
        #: Bytes the last ``check()`` listed in the source (the input of the path choice).
        self.checked_bytes: int | None = None

    # ------------------------------------------------------------------ construction from params
    @classmethod
    def from_params(
        cls,
        params: Any,
        sandbox_state: Any | None,
        *,
        checkpoint_dir: Path | None = None,
        progress: ProgressFactory | None = None,
    ) -> S3Migrator:
        """Build from ``params.migration.s3`` (see ``Migrator.from_params``).

        In the sandbox the source is the ``s3-source`` moto and the target the ``aws`` moto. Against
        real AWS the params have no field for the self-hosted store yet, so its endpoint comes from
        ``RUNBOOK_S3_SOURCE_ENDPOINT`` and its keys from the AWS profile named by
        ``RUNBOOK_S3_SOURCE_PROFILE`` (default ``minio-source``); the target uses ``aws.profile`` and
        ``aws.assume_role_arn``.
        """
        migration = params.migration
        if not migration.s3:
            raise ParamsError("migration.s3", [], "at least one bucket mapping (source_bucket, target_bucket, prefix)")
        mappings = [BucketMapping(m.source_bucket, m.target_bucket, m.prefix) for m in migration.s3]
        workers = migration.workers
        part_concurrency = 2
        pool = workers * (part_concurrency + 1) + 2
        aws = params.aws
        if params.is_sandbox:
            if sandbox_state is None:
                raise SandboxDownError("`runbook migrate s3` against the sandbox")
            common = {
                "region": aws.region,
                "access_key": "test",
                "secret_key": "test",
                "pool": pool,
                "connect_timeout": aws.connect_timeout,
                "max_attempts": aws.max_attempts,
            }
            source = s3_client(sandbox_state.url("s3-source"), **common)
            target = s3_client(sandbox_state.url("aws"), **common)
        else:
            import boto3

            endpoint = os.environ.get(SOURCE_ENDPOINT_ENV)
            if not endpoint:
                raise ParamsError(
                    SOURCE_ENDPOINT_ENV,
                    None,
                    "the URL of the self-hosted S3 API, e.g. https://minio:9000",
                    message=f"{SOURCE_ENDPOINT_ENV} is not set (the params have no source endpoint)",
                )
            profile = os.environ.get(SOURCE_PROFILE_ENV, DEFAULT_SOURCE_PROFILE)
            source = s3_client(
                endpoint,
                region=aws.region,
                session=boto3.Session(profile_name=profile),
                pool=pool,
                connect_timeout=aws.connect_timeout,
                max_attempts=aws.max_attempts,
            )
            target = s3_client(
                _target_endpoint(aws),
                region=aws.region,
                session=_target_session(aws),
                pool=pool,
                connect_timeout=aws.connect_timeout,
                max_attempts=aws.max_attempts,
            )
        return cls(
            source,
            target,
            mappings,
            checkpoint_dir=checkpoint_dir or default_checkpoint_dir(params.env, cls.kind),
            workers=workers,
            progress=progress,
            part_concurrency=part_concurrency,
            multipart_threshold=DEFAULT_MULTIPART_THRESHOLD,
            verify_mode=migration.s3_verify_mode,
            at_scale_threshold_bytes=migration.at_scale_threshold_bytes,
        )

    # ------------------------------------------------------------------ listing
    def _list(self, client: Any, bucket: str, prefix: str) -> dict[str, ListedObject]:
        paginator = client.get_paginator("list_objects_v2")
        objects: dict[str, ListedObject] = {}
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.startswith(PROBE_PREFIX):
                    continue
                objects[key] = ListedObject(key, int(item["Size"]), normalize_etag(item.get("ETag")))
        return objects

    def _list_both(self, mapping: BucketMapping) -> tuple[dict[str, ListedObject], dict[str, ListedObject]]:
        """Source and target listings of ``mapping``, taken at the same time (two servers, two round-trip chains).

        Why in parallel: a listing is a chain of 1,000-key pages, each waiting for the previous one's
        continuation token; for a bucket of small objects the two chains are a noticeable share of a
        ``verify()`` that reads nothing else.
        """
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="s3-list") as pool:
            source = pool.submit(self._list, self.source, mapping.source_bucket, mapping.prefix)
            target = pool.submit(self._list, self.target, mapping.target_bucket, mapping.prefix)
            return source.result(), target.result()

    # ------------------------------------------------------------------ check
    def check(self) -> CheckReport:
        """Buckets reachable, target settings noted, size estimate, keys S3 would reject. Writes nothing."""
        report = CheckReport(kind=self.kind)
        findings = report.findings
        total_objects = total_bytes = 0
        for mapping in self.mappings:
            source_ok = self._check_bucket(self.source, mapping.source_bucket, "source", findings)
            target_ok = self._check_bucket(self.target, mapping.target_bucket, "target", findings)
            if target_ok:
                self._note_target_settings(mapping.target_bucket, findings)
            if not source_ok:
                continue
            objects = self._list(self.source, mapping.source_bucket, mapping.prefix)
            size = sum(o.size for o in objects.values())
            total_objects += len(objects)
            total_bytes += size
            findings.append(Finding("info", mapping.unit, f"{len(objects)} objects, {human_bytes(size)} to copy"))
            flagged = 0
            for obj in objects.values():
                reason = rejected_key_reason(obj.key)
                if obj.size > MAX_OBJECT_SIZE:
                    reason = (
                        "blocker",
                        f"{human_bytes(obj.size)} exceeds S3's 5 TiB object limit",
                        "split the object",
                    )
                if reason is None:
                    continue
                flagged += 1
                if flagged <= self.max_reported:
                    severity, message, fix = reason
                    findings.append(Finding(severity, f"s3://{mapping.source_bucket}/{obj.key}", message, fix))
            if flagged > self.max_reported:
                findings.append(
                    Finding(
                        "warning",
                        mapping.unit,
                        f"{flagged - self.max_reported} more keys flagged (only the first ones are listed)",
                    )
                )
        self.checked_bytes = total_bytes
        if self.at_scale_threshold_bytes:
            from runbook_lib.migrate.at_scale.datasync import choose_path

            path = choose_path(total_bytes, self.at_scale_threshold_bytes)
            findings.append(
                Finding(
                    "info",
                    "all buckets",
                    f"{total_objects} objects, {human_bytes(total_bytes)}: "
                    f"the {path} path is advised (threshold "
                    f"{human_bytes(self.at_scale_threshold_bytes)})",
                    "use runbook_lib.migrate.at_scale.datasync for the at-scale path" if path == "datasync" else "",
                )
            )
        return report

    def source_size_bytes(self, *, refresh: bool = False) -> int:
        """Bytes to move (every mapping's listed source objects): the input of the DataSync/direct choice.

        Reuses what the last ``check()`` listed unless ``refresh``; listing is the only way to know
        with the S3 API (MinIO has no bucket-size call in it).
        """
        if self.checked_bytes is None or refresh:
            self.checked_bytes = sum(
                o.size for m in self.mappings for o in self._list(self.source, m.source_bucket, m.prefix).values()
            )
        return self.checked_bytes

    def _check_bucket(self, client: Any, bucket: str, side: str, findings: list[Finding]) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client.head_bucket(Bucket=bucket)
            if side == "source":
                client.list_objects_v2(Bucket=bucket, MaxKeys=1)
            return True
        except ClientError as error:
            code = _error_code(error)
            if code in ("404", "NoSuchBucket", "NotFound"):
                fix = (
                    "check migration.s3 in the params file"
                    if side == "source"
                    else "apply the storage stack first: Terraform creates the target buckets, not the copy"
                )
                findings.append(Finding("blocker", f"s3://{bucket}", f"{side} bucket does not exist", fix))
            else:
                findings.append(
                    Finding(
                        "blocker",
                        f"s3://{bucket}",
                        f"{side} bucket is not readable: {code}",
                        "grant s3:ListBucket/s3:GetObject (source) or s3:PutObject (target)",
                    )
                )
        except BotoCoreError as error:
            findings.append(
                Finding(
                    "blocker",
                    f"s3://{bucket}",
                    f"{side} endpoint unreachable: {error}",
                    "check the endpoint URL and network path",
                )
            )
        return False

    def _note_target_settings(self, bucket: str, findings: list[Finding]) -> None:
        from botocore.exceptions import ClientError

        try:
            status = self.target.get_bucket_versioning(Bucket=bucket).get("Status") or "never enabled"
            findings.append(Finding("info", f"s3://{bucket}", f"versioning: {status}"))
        except ClientError as error:
            findings.append(Finding("warning", f"s3://{bucket}", f"versioning unknown: {_error_code(error)}"))
        try:
            rules = self.target.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
            default = rules[0]["ApplyServerSideEncryptionByDefault"]
            algorithm = default.get("SSEAlgorithm", "?")
            key = default.get("KMSMasterKeyID")
            findings.append(
                Finding(
                    "info",
                    f"s3://{bucket}",
                    f"default encryption: {algorithm}" + (f" ({key})" if key else ""),
                )
            )
        except ClientError as error:
            code = _error_code(error)
            if code == "ServerSideEncryptionConfigurationNotFoundError":
                findings.append(
                    Finding(
                        "warning",
                        f"s3://{bucket}",
                        "no default encryption configured",
                        "enable SSE-KMS in the storage stack",
                    )
                )
            else:
                findings.append(Finding("warning", f"s3://{bucket}", f"encryption unknown: {code}"))

    # ------------------------------------------------------------------ capabilities
    def capabilities(self, bucket: str) -> TargetCapabilities:
        """What the target does with checksums (probed once per bucket unless it is Amazon S3)."""
        if self._caps_override is not None:
            return self._caps_override
        if bucket not in self._caps:
            host = urlparse(getattr(self.target.meta, "endpoint_url", "") or "").hostname or ""
            if host.endswith((".amazonaws.com", ".amazonaws.com.cn")):
                self._caps[bucket] = TargetCapabilities(checksum_api=True, validates_checksums=True)
            else:
                self._caps[bucket] = self._probe(bucket)
            log.info("target %s checksum capabilities: %s", bucket, self._caps[bucket])
        return self._caps[bucket]

    def _probe(self, bucket: str) -> TargetCapabilities:
        from botocore.exceptions import ClientError

        body = b"runbook checksum probe\n"
        good = base64.b64encode(hashlib.sha256(body).digest()).decode()
        wrong = base64.b64encode(hashlib.sha256(b"not the body").digest()).decode()
        key = f"{PROBE_PREFIX}{uuid.uuid4().hex}"
        response = self.target.put_object(
            Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm=SHA256, ChecksumSHA256=good
        )
        checksum_api = response.get("ChecksumSHA256") == good
        etag_is_md5 = normalize_etag(response.get("ETag")) == hashlib.md5(body, usedforsecurity=False).hexdigest()
        self._delete_quietly(bucket, key)
        try:
            self.target.put_object(Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm=SHA256, ChecksumSHA256=wrong)
            validates = False
            self._delete_quietly(bucket, key)
        except ClientError as error:
            if _error_code(error) not in _BAD_DIGEST_CODES:
                raise
            validates = True
        return TargetCapabilities(
            checksum_api=checksum_api, validates_checksums=validates, probed=True, etag_is_md5=etag_is_md5
        )

    def _delete_quietly(self, bucket: str, key: str) -> None:
        try:
            self.target.delete_object(Bucket=bucket, Key=key)
        except Exception as error:  # noqa: BLE001 - a leftover probe object is ignored by listing anyway
            log.warning("could not delete probe object s3://%s/%s: %s", bucket, key, error)

    # ------------------------------------------------------------------ journal
    def journal_path(self, mapping: BucketMapping) -> Path:
        return self.checkpoint_dir / f"{mapping.slug}.jsonl"

    def _load_journal(self, journal: Journal) -> _JournalState:
        state = _JournalState()
        for record in journal.records():
            op = record.get("op")
            if op == "done":
                entry = JournalEntry.from_record(record)
                if entry.key in state.done:
                    state.duplicates += 1
                state.done[entry.key] = entry
            elif op == "mpu-start":
                state.open_uploads[record["upload_id"]] = record["key"]
            elif op in ("mpu-end", "mpu-abort"):
                state.open_uploads.pop(record["upload_id"], None)
        return state

    def journal_entries(self, mapping: BucketMapping) -> dict[str, JournalEntry]:
        """The verified objects recorded for ``mapping`` (latest entry per key)."""
        return self._load_journal(Journal(self.journal_path(mapping))).done

    # ------------------------------------------------------------------ copy
    def copy(self, *, resume: bool = True) -> CopyReport:
        """Copy every mapping; objects verified by an earlier run are skipped when ``resume``.

        Raises:
            CopyFailedError: some objects failed (after the SDK's retries); all others are
                copied and checkpointed, so a resumed run retries only the failed ones.
        """
        started = time.monotonic()
        report = CopyReport(kind=self.kind, details={"buckets": {}})
        failed: dict[str, str] = {}
        failed_units: list[str] = []
        for mapping in self.mappings:
            stats, failures = self._copy_mapping(mapping, resume)
            report.details["buckets"][mapping.unit] = stats
            report.items_copied += stats["copied"]
            report.bytes_copied += stats["bytes"]
            report.items_skipped += stats["skipped"]
            if failures:
                failed_units.append(mapping.unit)
                failed.update({f"{mapping.source_bucket}/{key}": why for key, why in failures.items()})
        report.seconds = time.monotonic() - started
        if failed:
            error = CopyFailedError(self.kind, ", ".join(failed_units), failed, report.items_copied)
            error.report = report  # type: ignore[attr-defined] - evidence of what did move
            raise error
        return report

    def _copy_mapping(self, mapping: BucketMapping, resume: bool) -> tuple[dict[str, Any], dict[str, str]]:
        journal = Journal(self.journal_path(mapping), batch=self.journal_batch)
        if not resume:
            journal.reset()
        state = self._load_journal(journal)
        caps = self.capabilities(mapping.target_bucket)
        with journal:
            aborted = self._abort_stale_uploads(mapping, state, journal)
            source, target = self._list_both(mapping)
            todo: list[ListedObject] = []
            skipped = 0
            for obj in source.values():
                entry = state.done.get(obj.key)
                landed = target.get(obj.key)
                if (
                    entry is not None
                    and landed is not None
                    and entry.size == obj.size == landed.size
                    and entry.source_etag == obj.etag
                    and entry.target_etag == landed.etag
                ):
                    skipped += 1
                else:
                    todo.append(obj)
            # Large objects first: they bound the total time, small ones fill the gaps.
            todo.sort(key=lambda o: -o.size)
            copied, nbytes, failed = _CopyRun(self, mapping, caps, journal).execute(todo)
        stats = {
            "source_objects": len(source),
            "to_copy": len(todo),
            "copied": copied,
            "bytes": nbytes,
            "skipped": skipped,
            "failed": len(failed),
            "aborted_uploads": aborted,
            "journal": str(self.journal_path(mapping)),
            "capabilities": asdict(caps),
        }
        log.info("%s: %s", mapping.unit, stats)
        return stats, failed

    def _abort_stale_uploads(self, mapping: BucketMapping, state: _JournalState, journal: Journal) -> int:
        """Abort multipart uploads a killed run started (they hold storage, and cost money on AWS)."""
        from botocore.exceptions import ClientError

        aborted = 0
        for upload_id, key in list(state.open_uploads.items()):
            try:
                self.target.abort_multipart_upload(Bucket=mapping.target_bucket, Key=key, UploadId=upload_id)
                aborted += 1
            except ClientError as error:
                if _error_code(error) not in ("NoSuchUpload", "404"):
                    raise
            journal.append({"op": "mpu-abort", "key": key, "upload_id": upload_id})
        return aborted

    # ------------------------------------------------------------------ verify
    def verify(self) -> VerifyReport:
        """Per mapping: objects, bytes, verified, missing, mismatched (size, checksum or metadata), extra."""
        report = VerifyReport(kind=self.kind)
        for mapping in self.mappings:
            row, problems = self._verify_mapping(mapping)
            report.rows.append(row)
            report.problems.extend(problems[: max(0, self.max_reported - len(report.problems))])
        return report

    def verify_mode_for(self, bucket: str) -> str:
        if self.verify_mode != "auto":
            return self.verify_mode
        return "listing" if self.capabilities(bucket).confirms_writes else "deep"

    def _verify_mapping(self, mapping: BucketMapping) -> tuple[VerifyRow, list[str]]:
        source, target = self._list_both(mapping)
        entries = self.journal_entries(mapping)
        mode = self.verify_mode_for(mapping.target_bucket)
        missing = sorted(set(source) - set(target))
        extra = sorted(set(target) - set(source))
        common = sorted(set(source) & set(target))
        outcomes: list[_Outcome] = []
        to_check: list[str] = []
        for key in common:
            if source[key].size != target[key].size:
                outcomes.append(
                    _Outcome(
                        key,
                        False,
                        f"size:{source[key].size}",
                        f"size:{target[key].size}",
                        f"size {source[key].size} != {target[key].size}",
                    )
                )
            else:
                to_check.append(key)
        bar = self.progress(
            total=sum(source[k].size for k in to_check),
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=f"verify {mapping.target_bucket} ({mode})",
        )
        lock = threading.Lock()

        def check_one(key: str) -> _Outcome:
            outcome = self._verify_object(mapping, source[key], target[key], entries.get(key), mode)
            with lock:
                bar.update(source[key].size)
            return outcome

        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="s3-verify") as pool:
            outcomes.extend(pool.map(check_one, to_check))
        _close(bar)
        mismatched = [o for o in outcomes if not o.ok]
        expected_lines = [f"{k}\0{source[k].size}" for k in missing]
        expected_lines += [f"{o.key}\0{source[o.key].size}\0{o.expected}" for o in outcomes]
        actual_lines = [f"{k}\0{target[k].size}" for k in extra]
        actual_lines += [f"{o.key}\0{target[o.key].size}\0{o.actual}" for o in outcomes]
        row = VerifyRow(
            unit=mapping.unit,
            source_count=len(source),
            target_count=len(target),
            matched=len(outcomes) - len(mismatched),
            missing=len(missing),
            mismatched=len(mismatched),
            extra=len(extra),
            source_checksum=_aggregate(expected_lines),
            target_checksum=_aggregate(actual_lines),
            bytes=sum(o.size for o in source.values()),
        )
        problems = [f"{mapping.target_bucket}/{o.key}: mismatched ({o.reason})" for o in mismatched]
        problems += [f"{mapping.target_bucket}/{k}: missing" for k in missing]
        problems += [f"{mapping.target_bucket}/{k}: extra (not in the source)" for k in extra]
        return row, problems

    def _verify_object(
        self,
        mapping: BucketMapping,
        src: ListedObject,
        landed: ListedObject,
        entry: JournalEntry | None,
        mode: str,
    ) -> _Outcome:
        key = src.key
        usable = entry is not None and entry.size == src.size and entry.source_etag == src.etag
        if mode == "listing":
            if (
                usable
                and entry is not None
                and entry.verified_by in SERVER_CONFIRMED
                and entry.target_etag == landed.etag
                and landed.size == entry.size
            ):
                # the server's checksum of this very write (same ETag) equals the source's
                confirmed = f"{entry.checksum.describe()}"
                return self._judge(key, confirmed, entry.attrs, confirmed, entry.attrs)
            # rewritten since, copied by another tool, or only echoed: a stored value proves nothing
            mode = "checksum" if self.capabilities(mapping.target_bucket).validates_checksums else "deep"
        if usable and mode == "checksum":
            assert entry is not None
            head = self.target.head_object(Bucket=mapping.target_bucket, Key=key, ChecksumMode="ENABLED")
            reported = head.get("ChecksumSHA256")
            if reported:
                actual = (
                    entry.checksum.describe() if entry.checksum.matches_reported(reported) else f"{SHA256}:{reported}"
                )
                return self._judge(key, entry.checksum.describe(), entry.attrs, actual, attrs_digest(head))
            # no stored SHA-256 (written by another tool, or overwritten since): read it
        if usable:
            assert entry is not None
            actual, attrs = self._hash_object(
                self.target,
                mapping.target_bucket,
                key,
                entry.checksum.part_size if entry.checksum.parts else 0,
            )
            return self._judge(key, entry.checksum.describe(), entry.attrs, actual.describe(), attrs)
        # No (current) journal entry: hash both sides the same way (full-object SHA-256).
        expected, expected_attrs = self._hash_object(self.source, mapping.source_bucket, key, 0)
        actual, attrs = self._hash_object(self.target, mapping.target_bucket, key, 0)
        return self._judge(key, expected.describe(), expected_attrs, actual.describe(), attrs)

    @staticmethod
    def _judge(key: str, expected: str, expected_attrs: str, actual: str, actual_attrs: str) -> _Outcome:
        """Content first, then content headers and metadata; both sides' strings feed the bucket aggregate."""
        expected_full, actual_full = f"{expected}+{expected_attrs}", f"{actual}+{actual_attrs}"
        if expected != actual:
            return _Outcome(key, False, expected_full, actual_full, f"checksum expected {expected}, found {actual}")
        if expected_attrs != actual_attrs:
            return _Outcome(key, False, expected_full, actual_full, "content headers or metadata differ")
        return _Outcome(key, True, expected_full, actual_full)

    def _hash_object(self, client: Any, bucket: str, key: str, part_size: int) -> tuple[ObjectChecksum, str]:
        """Stream an object and compute its checksum: full-object (``part_size == 0``) or composite."""
        response = client.get_object(Bucket=bucket, Key=key)
        body = response["Body"]
        try:
            if part_size == 0:
                digest = hashlib.sha256()
                for chunk in iter(lambda: body.read(MiB), b""):
                    digest.update(chunk)
                return full_checksum(digest.digest()), attrs_digest(response)
            digests = []
            while True:
                chunk = _read_exactly(body, part_size)
                if not chunk:
                    break
                digests.append(hashlib.sha256(chunk).digest())
            return composite_checksum(digests, part_size), attrs_digest(response)
        finally:
            body.close()


# --------------------------------------------------------------------------------------------
# The copy engine for one mapping
# --------------------------------------------------------------------------------------------
class _CopyRun:
    """Copies a list of objects for one mapping: a pool for objects, one for parts, one journal writer.

    Why two pools: an object task streams its source and hands parts to the part pool while it
    reads the next one; if parts ran in the object pool, a full pool of object tasks waiting on
    their parts would deadlock. Memory stays below
    ``workers * (part_concurrency + 1) * part_size``.
    """

    def __init__(self, migrator: S3Migrator, mapping: BucketMapping, caps: TargetCapabilities, journal: Journal):
        self.m = migrator
        self.mapping = mapping
        self.caps = caps
        self.journal = journal
        self.lock = threading.Lock()
        self.bar: Any = None
        #: Prove each write by the MD5 ETag the server computed (moto, MinIO) instead of declaring a checksum.
        self.by_etag = caps.etag_is_md5 and not caps.validates_checksums
        #: What a write with a *declared* value proves.
        self.declared_by = ("s3-validated" if caps.validates_checksums else "echo") if caps.checksum_api else "written"

    def execute(self, todo: list[ListedObject]) -> tuple[int, int, dict[str, str]]:
        m = self.m
        self.bar = m.progress(
            total=sum(o.size for o in todo),
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=f"copy {self.mapping.unit}",
        )
        copied = nbytes = 0
        failed: dict[str, str] = {}
        window = m.workers * 4
        pending: dict[Future[JournalEntry], ListedObject] = {}
        items: Iterator[ListedObject] = iter(todo)
        with (
            ThreadPoolExecutor(max_workers=m.workers, thread_name_prefix="s3-copy") as objects,
            ThreadPoolExecutor(max_workers=m.workers * m.part_concurrency, thread_name_prefix="s3-part") as parts,
        ):
            self.part_pool = parts
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
                        log.warning("copy of s3://%s/%s failed: %s", self.mapping.source_bucket, obj.key, error)
                        failed[obj.key] = f"{type(error).__name__}: {error}"
                        continue
                    entry = future.result()
                    with self.lock:
                        self.journal.append(entry.to_record())
                    copied += 1
                    nbytes += entry.size
        self.journal.flush()
        _close(self.bar)
        return copied, nbytes, failed

    def _advance(self, n: int) -> None:
        with self.lock:
            self.bar.update(n)

    # ------------------------------------------------------------------ one object
    def _copy_object(self, obj: ListedObject) -> JournalEntry:
        if not self.by_etag:
            return self._copy_once(obj, by_etag=False, stream=False)
        from botocore.exceptions import UnseekableStreamError

        try:
            try:
                return self._copy_once(obj, by_etag=True, stream=True)
            except UnseekableStreamError as error:
                # botocore wanted to retry a streamed PUT and cannot rewind a network stream
                log.info("streamed copy of %s needs a retry (%s): copying it from memory", obj.key, error)
                return self._copy_once(obj, by_etag=True, stream=False)
        except _ServerDisagrees as error:
            log.warning("%s; copying it again with a declared checksum, which verify() will re-read", error)
            return self._copy_once(obj, by_etag=False, stream=False)

    def _copy_once(self, obj: ListedObject, *, by_etag: bool, stream: bool) -> JournalEntry:
        response = self.m.source.get_object(Bucket=self.mapping.source_bucket, Key=obj.key)
        size = int(response["ContentLength"])
        if size >= self.m.multipart_threshold:
            return self._copy_multipart(obj, response, size, by_etag=by_etag)
        body = response["Body"]
        bucket, key = self.mapping.target_bucket, obj.key
        try:
            if stream:
                reader = _HashingReader(body, size)
                put = self.m.target.put_object(
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
        if received != size:
            raise MigrationError(f"short read of s3://{self.mapping.source_bucket}/{key}: {received} of {size} bytes")
        checksum = full_checksum(digest)
        if not stream:
            declared = {} if by_etag else {"ChecksumAlgorithm": SHA256, "ChecksumSHA256": checksum.value}
            put = self.m.target.put_object(
                Bucket=bucket,
                Key=key,
                Body=data,
                **declared,
                **self._write_args(response, sha256_hex=None if by_etag else digest.hex()),
            )
        target_etag = normalize_etag(put.get("ETag"))
        if by_etag and target_etag != md5.hex():
            raise _ServerDisagrees(
                f"s3://{bucket}/{key}: the target reports ETag {target_etag!r} for what it received, "
                f"the source bytes have MD5 {md5.hex()!r}"
            )
        reported = put.get("ChecksumSHA256")
        if not by_etag and self.caps.checksum_api and reported != checksum.value:
            raise MigrationError(
                f"s3://{bucket}/{key}: the target acknowledged checksum {reported!r}, we sent {checksum.value!r}"
            )
        self._advance(size)
        return JournalEntry(
            key=key,
            size=size,
            source_etag=normalize_etag(response.get("ETag")),
            checksum=checksum,
            target_etag=target_etag,
            attrs=attrs_digest(response),
            verified_by="s3-etag-md5" if by_etag else self.declared_by,
            sha256=digest.hex(),
        )

    def _write_args(self, response: dict[str, Any], *, sha256_hex: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {name: response[name] for name in _COPIED_FIELDS if response.get(name)}
        metadata = dict(response.get("Metadata") or {})
        if not self.caps.checksum_api and sha256_hex:
            metadata[META_SHA256] = sha256_hex
        kwargs["Metadata"] = metadata
        return kwargs

    def _copy_multipart(self, obj: ListedObject, response: dict[str, Any], size: int, *, by_etag: bool) -> JournalEntry:
        m, bucket = self.m, self.mapping.target_bucket
        part_size = part_size_for(size, m.part_size)
        full_hex = None
        if not self.caps.checksum_api:
            # metadata fallback: the full SHA-256 must be known before the first part is sent
            response["Body"].close()
            full_hex = self._prehash(obj.key)
            response = m.source.get_object(
                Bucket=self.mapping.source_bucket, Key=obj.key, IfMatch=response.get("ETag") or "*"
            )
        checksum_args = {} if by_etag else {"ChecksumAlgorithm": SHA256}
        create = m.target.create_multipart_upload(
            Bucket=bucket, Key=obj.key, **checksum_args, **self._write_args(response, sha256_hex=full_hex)
        )
        upload_id = create["UploadId"]
        with self.lock:  # durable at once: a resumed run must find (and abort) an upload a kill left open
            self.journal.append({"op": "mpu-start", "key": obj.key, "upload_id": upload_id})
            self.journal.flush()
        slots = threading.BoundedSemaphore(m.part_concurrency)
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
                chunk = _read_exactly(body, part_size)
                if not chunk:
                    slots.release()
                    break
                number += 1
                total += len(chunk)
                future = self.part_pool.submit(self._upload_part, obj.key, upload_id, number, chunk, by_etag)
                future.add_done_callback(lambda _f: slots.release())
                futures.append(future)
            results = [f.result() for f in futures]
            if total != size:
                raise MigrationError(
                    f"short read of s3://{self.mapping.source_bucket}/{obj.key}: {total} of {size} bytes"
                )
            checksum = composite_checksum([part.sha256 for part in results], part_size)
            parts: list[dict[str, Any]] = [{"PartNumber": part.number, "ETag": part.etag} for part in results]
            if not by_etag:
                for entry, part in zip(parts, results, strict=True):
                    entry["ChecksumSHA256"] = base64.b64encode(part.sha256).decode()
            completed = m.target.complete_multipart_upload(
                Bucket=bucket, Key=obj.key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
            target_etag = normalize_etag(completed.get("ETag"))
            expected_etag = multipart_etag([part.md5 for part in results])
            if by_etag and target_etag != expected_etag:
                raise _ServerDisagrees(
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
                m.target.abort_multipart_upload(Bucket=bucket, Key=obj.key, UploadId=upload_id)
                with self.lock:
                    self.journal.append({"op": "mpu-abort", "key": obj.key, "upload_id": upload_id})
            except Exception as error:  # noqa: BLE001 - the original error matters more; resume aborts it
                log.warning("could not abort upload %s of %s: %s", upload_id, obj.key, error)
            raise
        body.close()
        with self.lock:
            self.journal.append({"op": "mpu-end", "key": obj.key, "upload_id": upload_id})
        return JournalEntry(
            key=obj.key,
            size=size,
            source_etag=normalize_etag(response.get("ETag")),
            checksum=checksum,
            target_etag=target_etag,
            attrs=attrs_digest(response),
            verified_by="s3-etag-md5" if by_etag else self.declared_by,
            sha256=full_hex or "",
        )

    def _upload_part(self, key: str, upload_id: str, number: int, chunk: bytes, by_etag: bool) -> _Part:
        digest = hashlib.sha256(chunk).digest()
        value = base64.b64encode(digest).decode()
        md5 = hashlib.md5(chunk, usedforsecurity=False).digest() if by_etag else b""
        bucket = self.mapping.target_bucket
        declared = {} if by_etag else {"ChecksumAlgorithm": SHA256, "ChecksumSHA256": value}
        response = self.m.target.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk, **declared
        )
        if by_etag and normalize_etag(response.get("ETag")) != md5.hex():
            raise _ServerDisagrees(
                f"part {number} of s3://{bucket}/{key}: the target reports ETag {response.get('ETag')!r} "
                f"for what it received, the source bytes have MD5 {md5.hex()!r}"
            )
        if not by_etag and self.caps.checksum_api and response.get("ChecksumSHA256") != value:
            raise MigrationError(
                f"part {number} of {key}: the target acknowledged checksum "
                f"{response.get('ChecksumSHA256')!r}, we sent {value!r}"
            )
        self._advance(len(chunk))
        return _Part(number, response["ETag"], digest, md5)

    def _prehash(self, key: str) -> str:
        response = self.m.source.get_object(Bucket=self.mapping.source_bucket, Key=key)
        digest = hashlib.sha256()
        body = response["Body"]
        try:
            for chunk in iter(lambda: body.read(MiB), b""):
                digest.update(chunk)
        finally:
            body.close()
        return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Module helpers
# --------------------------------------------------------------------------------------------
def _close(bar: Any) -> None:
    close: Callable[[], None] | None = getattr(bar, "close", None)
    if close is not None:
        close()


def _target_endpoint(aws: Any) -> str | None:
    from runbook_lib.endpoints import aws_endpoint_url

    return aws_endpoint_url(aws)


def _target_session(aws: Any) -> Any:
    """A boto3 session for the target account: ``aws.profile``, then ``aws.assume_role_arn`` if set."""
    import boto3

    session = boto3.Session(profile_name=aws.profile) if aws.profile else boto3.Session()
    if not aws.assume_role_arn:
        return session
    credentials = session.client("sts", region_name=aws.region).assume_role(
        RoleArn=aws.assume_role_arn, RoleSessionName="runbook-migrate-s3"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=aws.region,
    )
