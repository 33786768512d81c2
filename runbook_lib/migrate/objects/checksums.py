"""Checksums of objects: what we compute, what S3 stores, and what a target's answer proves.

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
migrator probes a target that is not ``*.amazonaws.com`` once per bucket (:func:`probe_capabilities`:
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
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from runbook_lib.migrate.objects.client import error_code
from runbook_lib.migrate.objects.sizes import MiB, read_exactly

log = logging.getLogger("runbook_lib.migrate.objects.checksums")

SHA256 = "SHA256"
PROBE_PREFIX = ".runbook-probe/"
#: How a journal entry's checksum was confirmed; these two are the target server's own word.
SERVER_CONFIRMED = frozenset({"s3-validated", "s3-etag-md5"})
#: GetObject response fields that must survive the move (with the user metadata).
CONTENT_FIELDS = ("ContentType", "ContentEncoding", "CacheControl", "ContentDisposition", "ContentLanguage")
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


def normalize_etag(etag: str | None) -> str:
    return (etag or "").strip('"')


def b64(digest: bytes) -> str:
    """A digest as the S3 API spells checksums (base64)."""
    return base64.b64encode(digest).decode()


def composite_checksum(part_digests: Iterable[bytes], part_size: int) -> ObjectChecksum:
    digests = list(part_digests)
    return ObjectChecksum(
        value=b64(hashlib.sha256(b"".join(digests)).digest()), parts=len(digests), part_size=part_size
    )


def full_checksum(digest: bytes) -> ObjectChecksum:
    return ObjectChecksum(value=b64(digest))


def multipart_etag(part_md5s: list[bytes]) -> str:
    """The ETag S3 gives a multipart object: MD5 of the concatenated part MD5s, ``-`` part count."""
    return f"{hashlib.md5(b''.join(part_md5s), usedforsecurity=False).hexdigest()}-{len(part_md5s)}"


def content_attrs(response: dict[str, Any]) -> dict[str, Any]:
    """The content headers and user metadata that must survive the move (our ``runbook-*`` keys left out)."""
    attrs: dict[str, Any] = {name: response.get(name) for name in CONTENT_FIELDS if response.get(name)}
    metadata = {k: v for k, v in (response.get("Metadata") or {}).items() if not k.startswith("runbook-")}
    attrs["Metadata"] = dict(sorted(metadata.items()))
    return attrs


def attrs_digest(response: dict[str, Any]) -> str:
    canonical = json.dumps(content_attrs(response), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


class HashingReader:
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


def hash_object(client: Any, bucket: str, key: str, part_size: int) -> tuple[ObjectChecksum, str]:
    """Stream an object and compute its checksum: full-object (``part_size == 0``) or composite.

    Returns:
        The checksum and the :func:`attrs_digest` of the object's content headers and metadata.
    """
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
            chunk = read_exactly(body, part_size)
            if not chunk:
                break
            digests.append(hashlib.sha256(chunk).digest())
        return composite_checksum(digests, part_size), attrs_digest(response)
    finally:
        body.close()


def probe_capabilities(target: Any, bucket: str) -> TargetCapabilities:
    """Find out what ``bucket``'s store does with checksums: two tiny puts under ``.runbook-probe/``.

    The first carries the right SHA-256 (is it stored? is the ETag the body's MD5?), the second a
    wrong one (is it refused?). Both objects are deleted again.
    """
    from botocore.exceptions import ClientError  # botocore is slow to import: loaded when a copy runs

    body = b"runbook checksum probe\n"
    good = b64(hashlib.sha256(body).digest())
    wrong = b64(hashlib.sha256(b"not the body").digest())
    key = f"{PROBE_PREFIX}{uuid.uuid4().hex}"
    response = target.put_object(Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm=SHA256, ChecksumSHA256=good)
    checksum_api = response.get("ChecksumSHA256") == good
    etag_is_md5 = normalize_etag(response.get("ETag")) == hashlib.md5(body, usedforsecurity=False).hexdigest()
    _delete_quietly(target, bucket, key)
    try:
        target.put_object(Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm=SHA256, ChecksumSHA256=wrong)
        validates = False
        _delete_quietly(target, bucket, key)
    except ClientError as error:
        if error_code(error) not in _BAD_DIGEST_CODES:
            raise
        validates = True
    return TargetCapabilities(
        checksum_api=checksum_api, validates_checksums=validates, probed=True, etag_is_md5=etag_is_md5
    )


def _delete_quietly(target: Any, bucket: str, key: str) -> None:
    try:
        target.delete_object(Bucket=bucket, Key=key)
    except Exception as error:  # noqa: BLE001 - a leftover probe object is ignored by listing anyway
        log.warning("could not delete probe object s3://%s/%s: %s", bucket, key, error)
