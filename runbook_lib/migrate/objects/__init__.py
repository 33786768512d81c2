"""Objects from an S3-compatible store (MinIO) to Amazon S3: streamed, checksummed, resumable (``S3Migrator``).

Imported by ``migrate.registry``, ``phases``, ``cli``, tests and benchmarks; imports ``migrate.base``,
``migrate.at_scale.datasync`` (the path advice), ``endpoints`` and the leaves. Start at ``migrator.py``.
"""

from runbook_lib.migrate.objects.checks import rejected_key_reason
from runbook_lib.migrate.objects.checksums import (
    CONTENT_FIELDS,
    PROBE_PREFIX,
    SERVER_CONFIRMED,
    SHA256,
    ObjectChecksum,
    TargetCapabilities,
    attrs_digest,
    composite_checksum,
    content_attrs,
    full_checksum,
    multipart_etag,
    normalize_etag,
)
from runbook_lib.migrate.objects.client import (
    DEFAULT_SOURCE_PROFILE,
    EXPECT_CONTINUE_MIN_BYTES,
    SOCKET_BLOCKSIZE,
    SOURCE_ENDPOINT_ENV,
    SOURCE_PROFILE_ENV,
    raise_socket_blocksize,
    s3_client,
)
from runbook_lib.migrate.objects.copy_run import META_SHA256
from runbook_lib.migrate.objects.journal import Journal, JournalEntry
from runbook_lib.migrate.objects.listing import BucketPair, ListedObject
from runbook_lib.migrate.objects.migrator import S3Migrator
from runbook_lib.migrate.objects.sizes import (
    DEFAULT_MULTIPART_THRESHOLD,
    DEFAULT_PART_SIZE,
    MAX_KEY_BYTES,
    MAX_OBJECT_SIZE,
    MAX_PARTS,
    MIN_PART_SIZE,
    MiB,
    part_size_for,
)
from runbook_lib.migrate.objects.verify import VERIFY_MODES

__all__ = [
    "CONTENT_FIELDS",
    "DEFAULT_MULTIPART_THRESHOLD",
    "DEFAULT_PART_SIZE",
    "DEFAULT_SOURCE_PROFILE",
    "EXPECT_CONTINUE_MIN_BYTES",
    "MAX_KEY_BYTES",
    "MAX_OBJECT_SIZE",
    "MAX_PARTS",
    "META_SHA256",
    "MIN_PART_SIZE",
    "PROBE_PREFIX",
    "SERVER_CONFIRMED",
    "SHA256",
    "SOCKET_BLOCKSIZE",
    "SOURCE_ENDPOINT_ENV",
    "SOURCE_PROFILE_ENV",
    "VERIFY_MODES",
    "BucketPair",
    "Journal",
    "JournalEntry",
    "ListedObject",
    "MiB",
    "ObjectChecksum",
    "S3Migrator",
    "TargetCapabilities",
    "attrs_digest",
    "composite_checksum",
    "content_attrs",
    "full_checksum",
    "multipart_etag",
    "normalize_etag",
    "part_size_for",
    "raise_socket_blocksize",
    "rejected_key_reason",
    "s3_client",
]
