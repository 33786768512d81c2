"""How a document and its ``_id`` are keyed, shown and hashed (type-exact, through BSON).

Why BSON and not Python equality: ``1`` and ``1.0`` are equal in Python but different ``_id``
values in MongoDB, and a changed field order or type is a changed document; encoding to BSON keeps
both apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any


def hash64(raw: bytes) -> int:
    """First 64 bits of the sha256 of some bytes (a document's BSON)."""
    return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big")


def doc_hash64(document: Mapping[str, Any]) -> int:
    """First 64 bits of sha256 of the document's BSON (field order and types included)."""
    import bson

    return hash64(bson.encode(document))


def collection_checksum(hashes: Iterable[int]) -> str:
    """Order-independent: the sum of the document hashes modulo 2**64, as 16 hex digits."""
    return f"{sum(hashes) % (1 << 64):016x}"


def id_key(value: Any) -> bytes:
    """A hashable, type-exact key for an ``_id`` (``1`` and ``1.0`` stay apart)."""
    import bson

    return bson.encode({"_id": value})


def id_text(value: Any) -> str:
    """An ``_id`` as extended JSON, for reports and error messages."""
    from bson import json_util

    return json_util.dumps(value)
