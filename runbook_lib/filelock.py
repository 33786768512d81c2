"""An advisory lock on a file that also says who holds it: ``fcntl.flock`` for exclusion, a JSON body for people.

Why ``flock``: the kernel drops it when the holder dies (``kill -9``, a crashed notebook kernel), so a lock a
dead process left behind never blocks anyone; the body only *describes* the holder (user@host, pid, command,
since when) so that whoever is refused can be told whom to wait for. The file is never deleted (deleting a
lock file lets two processes lock two different files); a free lock is an unlocked file, its body emptied
on release. A leaf: imports nothing of ours (the environment lock and the Terraform runner both use it).
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


def current_user() -> str:
    """This process's user name, as a lock body records it (the uid where there is no passwd entry)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return str(os.getuid())


class HeldFile:
    """A lock file this process holds; :meth:`release` (or process exit) frees it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def write_body(self, body: Mapping[str, Any]) -> None:
        """Replace the description of the holder."""
        if self._fd is None:
            raise RuntimeError(f"{self.path} is not held")
        data = json.dumps(dict(body), sort_keys=True).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)
        os.fsync(self._fd)

    def release(self) -> None:
        """Empty the body and unlock; a second call does nothing."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> HeldFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def try_lock(path: str | Path, body: Mapping[str, Any] | None = None) -> HeldFile | None:
    """Lock ``path`` now (creating it and its folder) and write ``body``; None when another holder has it.

    Two opens of one file conflict even inside one process (``flock`` locks belong to the open file), so
    two threads or two objects of this process are kept apart too. The descriptor is not inherited by
    child processes (Python opens files non-inheritable), so a child never keeps the lock alive.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    held = HeldFile(path, fd)
    if body is not None:
        held.write_body(body)
    return held


def wait_lock(
    path: str | Path,
    body: Mapping[str, Any] | None = None,
    *,
    timeout_s: float,
    poll_s: float = 0.2,
    on_wait: Callable[[dict[str, Any] | None], None] | None = None,
) -> HeldFile | None:
    """Like :func:`try_lock`, but wait up to ``timeout_s``; ``on_wait`` is told the holder once. None on timeout."""
    deadline = time.monotonic() + timeout_s
    told = False
    while True:
        held = try_lock(path, body)
        if held is not None:
            return held
        if not told and on_wait is not None:
            on_wait(read_body(path))
            told = True
        if time.monotonic() >= deadline:
            return None
        time.sleep(min(poll_s, max(deadline - time.monotonic(), 0.01)))


def read_body(path: str | Path) -> dict[str, Any] | None:
    """The holder's description, or None (no file, empty, or not JSON: a writer may be mid-write)."""
    try:
        text = Path(path).read_text()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def is_locked(path: str | Path) -> bool:
    """Whether some open file (this process's or another's) holds the lock now."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def clear_if_free(path: str | Path) -> bool:
    """Empty the body of a lock nobody holds (a record a dead holder left); False when it is held."""
    if not Path(path).exists():
        return True
    held = try_lock(path)
    if held is None:
        return False
    held.release()  # empties the body
    return True
