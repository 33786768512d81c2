"""What is where: a source/target bucket pair, and the listings of both sides.

Keys are used exactly as listed (botocore lists with ``EncodingType=url`` and decodes), so spaces,
unicode, ``+``, ``%``, ``=`` and deep prefixes survive. Our own probe objects are never listed.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from runbook_lib.migrate.objects.checksums import PROBE_PREFIX, normalize_etag


@dataclass(frozen=True)
class BucketPair:
    """Copy ``source_bucket``/``prefix`` to ``target_bucket`` under the same keys.

    Not the params model ``runbook_lib.params.BucketMapping``: this is what the migrator runs on,
    built from it (or from a plain tuple).
    """

    source_bucket: str
    target_bucket: str
    prefix: str = ""

    @property
    def unit(self) -> str:
        suffix = f"/{self.prefix}" if self.prefix else ""
        return f"{self.source_bucket}{suffix} -> {self.target_bucket}{suffix}"

    @property
    def slug(self) -> str:
        """A file-name-safe, unique name for this pair's journal."""
        digest = hashlib.sha256(self.prefix.encode()).hexdigest()[:8]
        return f"{self.source_bucket}--{self.target_bucket}--{digest}"


@dataclass(frozen=True)
class ListedObject:
    key: str
    size: int
    etag: str


def list_objects(client: Any, bucket: str, prefix: str) -> dict[str, ListedObject]:
    """Every object under ``prefix`` by key, leaving out our probe objects."""
    paginator = client.get_paginator("list_objects_v2")
    objects: dict[str, ListedObject] = {}
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.startswith(PROBE_PREFIX):
                continue
            objects[key] = ListedObject(key, int(item["Size"]), normalize_etag(item.get("ETag")))
    return objects


def list_both(source: Any, target: Any, pair: BucketPair) -> tuple[dict[str, ListedObject], dict[str, ListedObject]]:
    """Source and target listings of ``pair``, taken at the same time (two servers, two round-trip chains).

    Why in parallel: a listing is a chain of 1,000-key pages, each waiting for the previous one's
    continuation token; for a bucket of small objects the two chains are a noticeable share of a
    ``verify()`` that reads nothing else.
    """
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="s3-list") as pool:
        source_listing = pool.submit(list_objects, source, pair.source_bucket, pair.prefix)
        target_listing = pool.submit(list_objects, target, pair.target_bucket, pair.prefix)
        return source_listing.result(), target_listing.result()
