"""Small helpers every layer uses, defined once: the timestamp format, a file's sha256, sizes for people,
and the atomic write behind every checkpoint, ledger and state file.

A leaf: imports nothing of ours. One timestamp format for the whole run (ISO 8601, UTC, seconds, ``Z``),
so the manifest, gate records and plan reviews of one evidence folder compare as strings.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

#: Temporary files of an atomic write start with ``.<name>`` and carry this mark (the ledger ignores them).
TMP_MARK = ".tmp-"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> str:
    """Now, UTC, as ``2026-12-03T17:54:49Z`` (the one timestamp format of evidence and gate records)."""
    return format_utc(datetime.now(UTC))


def format_utc(moment: datetime) -> str:
    """``moment`` in the runbook's timestamp format (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def sha256_file(path: str | Path) -> str:
    """sha256 of a file, streamed in 1 MiB blocks (plan files and dumps can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def human_bytes(n: float) -> str:
    """``1536`` -> ``"1.5 KiB"``: sizes as an operator reads them in tables and messages."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover - the loop returns


def atomic_write_bytes(path: str | Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, fsync, then rename.

    Why: a checkpoint or ledger file that a kill leaves half-written would make the next run resume from
    garbage; a rename is atomic on POSIX, so readers see the old file or the new one, never a torn one.

    Args:
        path: the file to (re)write; its folder is created.
        data: the whole new content.
        mode: permission bits for the new file (e.g. ``0o600`` for files holding generated passwords).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TMP_MARK}", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str, *, mode: int | None = None) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)
