"""Sizes in bytes: S3's limits, how an object is cut into parts, and the byte-counting progress bar.

Why one module: the copy, the verify and the client all count in the same MiB and cut streams at
the same part boundaries; a composite checksum computed on one side only matches the other when
both cut the object the same way (:func:`read_exactly` at :func:`part_size_for`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runbook_lib.migrate.base import ProgressFactory

MiB = 1024 * 1024
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


def part_size_for(size: int, base: int = DEFAULT_PART_SIZE) -> int:
    """The part size for an object: ``base``, grown in whole MiB so the object fits in 10,000 parts."""
    needed = -(-size // MAX_PARTS)
    if needed <= base:
        return base
    return -(-needed // MiB) * MiB


def read_exactly(stream: Any, size: int) -> bytes:
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


def byte_bar(progress: ProgressFactory, total: int, desc: str) -> Any:
    """A tqdm-like bar counting ``total`` bytes, shown in KiB/MiB/GiB."""
    return progress(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc)


def close_bar(bar: Any) -> None:
    """Close a bar if it can be closed (a stand-in without ``close`` is fine)."""
    close: Callable[[], None] | None = getattr(bar, "close", None)
    if close is not None:
        close()
