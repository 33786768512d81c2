"""One run per environment: the lock ``runbook run``, ``tf``, ``migrate`` and a hand-run notebook phase take.

Why: two runs on one environment undo each other - a second PostgreSQL copy ends the first one's restore
sessions and deletes its dump, two object copies interleave one journal, two applies race for one state.
Terraform's own state lock covers one command of one stack; this lock covers a whole run of the environment.

Where it lives (:func:`lock_stores`):

- always a lock file ``<dir>/<env>.lock``, held with ``fcntl.flock`` for the holder's lifetime (the kernel
  drops it when the holder dies) and describing the holder in JSON. ``<dir>`` is ``$RUNBOOK_LOCK_DIR``, else
  ``<sandbox dir>/locks`` for the sandbox (the sandbox *is* that folder), else ``<outputs dir>/.locks``.
- against AWS, when the environment has a Terraform state bucket (``terraform.backend.bucket`` or
  ``bucket`` of ``<env_dir>/backend.hcl``), also the object ``<state key prefix>/runbook-env.lock`` in that
  bucket, written with a conditional put (``If-None-Match: *``), so a run on another host is refused too.
  Before stack 00 has created the bucket there is nothing to write to: the lock is then this host's only.

A refused run gets :class:`~runbook_lib.errors.EnvLockedError` naming the holder, its command and start
time. A stale lock (its holder is gone) is shown by ``runbook lock status`` and cleared by ``runbook lock
release``, which refuses while the holder's pid is alive on this host.

Nested use: holds in one process are counted (a runner that opens a session of the same environment shares
its hold), and the process that takes the lock puts its token in ``RUNBOOK_ENV_LOCK_TOKENS``; a process
started under it (the notebook kernel papermill starts for ``runbook run``) whose token matches the
holder's is let in without taking the lock again.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from runbook_lib import filelock
from runbook_lib.clients import aws_client
from runbook_lib.errors import EnvLockedError, RunbookError
from runbook_lib.params import resolve_outputs_dir, resolve_path
from runbook_lib.paths import sandbox_dir
from runbook_lib.util import utc_now

if TYPE_CHECKING:
    from runbook_lib.params import RunbookParams

log = logging.getLogger("runbook_lib.phases.envlock")

LOCK_DIR_ENV = "RUNBOOK_LOCK_DIR"
TOKENS_ENV = "RUNBOOK_ENV_LOCK_TOKENS"
S3_LOCK_NAME = "runbook-env.lock"


# ----------------------------------------------------------------------------------------------
# Who holds it
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LockHolder:
    """Who holds (or held) an environment's lock: enough to find the process and judge whether it is gone."""

    env: str
    user: str
    host: str
    pid: int
    command: str
    started_at: str
    token: str = ""
    run_id: str | None = None

    @classmethod
    def here(cls, env: str, command: str, run_id: str | None = None) -> LockHolder:
        """This process, now, with a fresh token."""
        return cls(
            env=env,
            user=filelock.current_user(),
            host=socket.gethostname(),
            pid=os.getpid(),
            command=command,
            started_at=utc_now(),
            token=secrets.token_hex(16),
            run_id=run_id,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, env: str) -> LockHolder:
        """A holder from a lock body; an empty or unreadable body gives an ``unknown`` holder, never an error."""
        data = data or {}
        try:
            pid = int(data.get("pid", 0))
        except (TypeError, ValueError):
            pid = 0
        return cls(
            env=str(data.get("env", env)),
            user=str(data.get("user", "?")),
            host=str(data.get("host", "?")),
            pid=pid,
            command=str(data.get("command", "(unknown: the lock record is empty or unreadable)")),
            started_at=str(data.get("started_at", "?")),
            token=str(data.get("token", "")),
            run_id=data.get("run_id"),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def public(self) -> dict[str, Any]:
        """What errors and ``runbook lock status`` show: everything but the token."""
        return {k: v for k, v in asdict(self).items() if k != "token"}

    @property
    def on_this_host(self) -> bool:
        return self.host == socket.gethostname()

    def alive(self) -> bool | None:
        """Whether the holder's process runs: True/False on this host, None when it is on another host."""
        if not self.on_this_host:
            return None
        if self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # another user's live process
            return True
        return True


# ----------------------------------------------------------------------------------------------
# Where it is kept
# ----------------------------------------------------------------------------------------------
class LockStore(Protocol):
    """One place a lock is kept (a file, an S3 object)."""

    where: str

    def try_acquire(self, holder: LockHolder) -> LockHolder | None:
        """Take the lock for ``holder``: None when taken, else whoever holds it."""

    def read(self) -> tuple[bool, LockHolder | None]:
        """(held now, the holder recorded) - a record with ``held`` False is one a dead holder left."""

    def release(self, holder: LockHolder) -> None:
        """Give the lock back if ``holder`` holds it."""

    def clear(self) -> None:
        """Remove the record of a holder that is gone (``runbook lock release``)."""


class BucketMissingError(RunbookError):
    """The state bucket does not exist (yet): nothing to keep a cross-host lock in."""


class FileLockStore:
    """The lock file: ``flock`` held for the holder's lifetime, the holder described in JSON."""

    def __init__(self, path: Path, env: str) -> None:
        self.path = Path(path)
        self.env = env
        self.where = str(self.path)
        self._held: filelock.HeldFile | None = None

    def try_acquire(self, holder: LockHolder) -> LockHolder | None:
        held = filelock.try_lock(self.path, holder.to_dict())
        if held is None:
            return LockHolder.from_dict(filelock.read_body(self.path), self.env)
        self._held = held
        return None

    def read(self) -> tuple[bool, LockHolder | None]:
        body = filelock.read_body(self.path)
        held = filelock.is_locked(self.path)
        return held, (LockHolder.from_dict(body, self.env) if body or held else None)

    def release(self, holder: LockHolder) -> None:
        if self._held is not None:
            self._held.release()
            self._held = None

    def clear(self) -> None:
        if not filelock.clear_if_free(self.path):
            _, holder = self.read()
            raise EnvLockedError(
                self.env,
                holder.public() if holder else {},
                self.where,
                hint="a running process holds this lock file; let it finish or stop it first",
            )


class S3LockStore:
    """An object in the state bucket, created only if absent (``If-None-Match: *``), deleted on release."""

    def __init__(self, client: Any, bucket: str, key: str, env: str) -> None:
        self.client = client
        self.bucket = bucket
        self.key = key
        self.env = env
        self.where = f"s3://{bucket}/{key}"

    def try_acquire(self, holder: LockHolder) -> LockHolder | None:
        from botocore.exceptions import ClientError

        body = json.dumps(holder.to_dict(), sort_keys=True).encode()
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=body, IfNoneMatch="*", ContentType="application/json"
            )
            return None
        except ClientError as error:
            code = _error_code(error)
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                return self.read()[1] or LockHolder.from_dict(None, self.env)
            if code == "NoSuchBucket":
                raise BucketMissingError(f"state bucket {self.bucket} does not exist yet") from None
            raise RunbookError(
                f"cannot take the environment lock {self.where}: {code}: {error}",
                hint=f"the run needs s3:PutObject, s3:GetObject and s3:DeleteObject on {self.where}",
            ) from None

    def read(self) -> tuple[bool, LockHolder | None]:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except ClientError as error:
            if _error_code(error) in ("NoSuchKey", "404", "NoSuchBucket"):
                return False, None
            raise
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        return True, LockHolder.from_dict(data if isinstance(data, dict) else None, self.env)

    def release(self, holder: LockHolder) -> None:
        held, current = self.read()
        if held and current is not None and current.token == holder.token:
            self.client.delete_object(Bucket=self.bucket, Key=self.key)

    def clear(self) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key)


def _error_code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


# ----------------------------------------------------------------------------------------------
# The lock
# ----------------------------------------------------------------------------------------------
@dataclass
class _Hold:
    holder: LockHolder
    taken: list[LockStore]
    count: int


_HELD: dict[str, _Hold] = {}
_REGISTRY = threading.Lock()


class EnvLock:
    """The lock of one environment: :meth:`acquire` / :meth:`release`, or ``with env_lock(...):``.

    Args:
        env: the environment's name.
        stores: where the lock is kept (:func:`lock_stores`); the first one identifies the lock in this process.
        command: what the holder runs, shown to whoever is refused (``runbook tf apply --stack 02 --env dev``).
        run_id: the run, when there is one.
    """

    def __init__(self, env: str, stores: Sequence[LockStore], *, command: str, run_id: str | None = None) -> None:
        if not stores:
            raise ValueError("an environment lock needs at least one store")
        self.env = env
        self.stores = list(stores)
        self.holder = LockHolder.here(env, command, run_id)
        self.inherited = False
        self._active = False

    @property
    def key(self) -> str:
        return f"{self.env}|{self.stores[0].where}"

    def acquire(self) -> EnvLock:
        """Take the lock, share this process's hold, or enter under a parent process's (token) hold.

        Raises:
            EnvLockedError: another process holds the lock.
        """
        if self._active:
            return self
        with _REGISTRY:
            hold = _HELD.get(self.key)
            if hold is not None:
                hold.count += 1
                self.holder = hold.holder
                self._active = True
                return self
            tokens = _inherited_tokens()
            taken: list[LockStore] = []
            try:
                for store in self.stores:
                    try:
                        other = store.try_acquire(self.holder)
                    except BucketMissingError as error:
                        log.warning("%s: the environment lock is this host's only", error.message)
                        continue
                    if other is None:
                        taken.append(store)
                    elif other.token and other.token in tokens:
                        self.inherited = True  # a parent process (the runner of this kernel) holds it
                    else:
                        raise EnvLockedError(self.env, other.public(), store.where)
            except BaseException:
                for store in reversed(taken):
                    _quietly(store.release, self.holder)
                raise
            _HELD[self.key] = _Hold(self.holder, taken, 1)
            if taken:
                _add_token(self.holder.token)
            self._active = True
        log.info(
            "environment %s locked for `%s`%s", self.env, self.holder.command, " (inherited)" if self.inherited else ""
        )
        return self

    def release(self) -> None:
        """Give the lock back (the last hold of this process releases it); a second call does nothing."""
        if not self._active:
            return
        self._active = False
        with _REGISTRY:
            hold = _HELD.get(self.key)
            if hold is None:
                return
            hold.count -= 1
            if hold.count > 0:
                return
            del _HELD[self.key]
            for store in reversed(hold.taken):
                _quietly(store.release, hold.holder)
            if hold.taken:
                _drop_token(hold.holder.token)
        log.info("environment %s unlocked", self.env)

    def __enter__(self) -> EnvLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _quietly(func: Any, *args: Any) -> None:
    try:
        func(*args)
    except Exception as error:  # noqa: BLE001 - releasing must not hide the error that ended the run
        log.warning("could not release the environment lock: %s", error)


def _inherited_tokens() -> set[str]:
    return {t for t in os.environ.get(TOKENS_ENV, "").split(",") if t}


def _add_token(token: str) -> None:
    tokens = [t for t in os.environ.get(TOKENS_ENV, "").split(",") if t]
    os.environ[TOKENS_ENV] = ",".join([*tokens, token])


def _drop_token(token: str) -> None:
    tokens = [t for t in os.environ.get(TOKENS_ENV, "").split(",") if t and t != token]
    if tokens:
        os.environ[TOKENS_ENV] = ",".join(tokens)
    else:
        os.environ.pop(TOKENS_ENV, None)


# ----------------------------------------------------------------------------------------------
# From the params
# ----------------------------------------------------------------------------------------------
def lock_dir(params: RunbookParams, params_dir: Path | None = None) -> Path:
    """``$RUNBOOK_LOCK_DIR``, else ``<sandbox dir>/locks`` for the sandbox, else ``<outputs dir>/.locks``."""
    override = os.environ.get(LOCK_DIR_ENV)
    if override:
        return Path(override)
    if params.is_sandbox:
        return sandbox_dir() / "locks"
    return resolve_outputs_dir(params, params_dir) / ".locks"


def state_bucket(params: RunbookParams) -> tuple[str, str, str | None] | None:
    """(bucket, lock object key, region) of the environment's Terraform state, or None if it has none."""
    backend = params.terraform.backend
    if backend is not None:
        return backend.bucket, f"{backend.key_prefix.rstrip('/')}/{S3_LOCK_NAME}", backend.region
    if params.terraform.env_dir is None:
        return None
    hcl = resolve_path(params.terraform.env_dir) / "backend.hcl"
    if not hcl.is_file():
        return None
    import hcl2  # lazy: only for environments with a backend.hcl

    with hcl.open() as handle:
        parsed = hcl2.load(handle)
    bucket = _hcl_string(parsed.get("bucket"))
    if not bucket:
        return None
    return bucket, f"{params.env}/{S3_LOCK_NAME}", _hcl_string(parsed.get("region"))


def _hcl_string(value: Any) -> str | None:
    if isinstance(value, list):  # older python-hcl2 wraps attribute values in lists
        value = value[0] if value else None
    return value.strip('"') if isinstance(value, str) else None


def lock_stores(params: RunbookParams, params_dir: Path | None = None) -> list[LockStore]:
    """The lock file, and against AWS the object in the state bucket (see the module docstring)."""
    stores: list[LockStore] = [FileLockStore(lock_dir(params, params_dir) / f"{params.env}.lock", params.env)]
    if not params.is_sandbox:
        target = state_bucket(params)
        if target is not None:
            bucket, key, region = target
            client = aws_client("s3", params.aws, region=region or params.aws.region)
            stores.append(S3LockStore(client, bucket, key, params.env))
    return stores


def env_lock(
    params: RunbookParams, *, command: str, run_id: str | None = None, params_dir: Path | None = None
) -> EnvLock:
    """The environment lock of ``params.env`` (not yet taken: ``with env_lock(...):`` or ``.acquire()``)."""
    return EnvLock(params.env, lock_stores(params, params_dir), command=command, run_id=run_id)


# ----------------------------------------------------------------------------------------------
# A phase run by hand in JupyterLab
# ----------------------------------------------------------------------------------------------
_SESSION_LOCKS: dict[str, EnvLock] = {}


def hold_for_session(
    params: RunbookParams, *, phase: str, run_id: str | None = None, params_dir: Path | None = None
) -> EnvLock:
    """The lock a notebook session holds until ``done()``/``failed()`` (or the kernel ends).

    Under ``runbook run`` the runner's token lets the kernel in; run by hand, the session takes the lock
    itself. Opening the session again in the same kernel keeps the one hold.
    """
    lock = _SESSION_LOCKS.get(params.env)
    if lock is None:
        lock = env_lock(params, command=f"notebook phase {phase}", run_id=run_id, params_dir=params_dir).acquire()
        _SESSION_LOCKS[params.env] = lock
    return lock


def release_session(env: str) -> None:
    """Release the session's hold of ``env`` (a no-op when it has none)."""
    lock = _SESSION_LOCKS.pop(env, None)
    if lock is not None:
        lock.release()


# ----------------------------------------------------------------------------------------------
# runbook lock status | release
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LockState:
    """One store of an environment's lock as ``runbook lock status`` shows it."""

    where: str
    state: str  # "free" | "held" | "stale"
    holder: dict[str, Any] | None
    alive: bool | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def lock_status(params: RunbookParams, params_dir: Path | None = None) -> list[LockState]:
    """Each store: ``free``; ``held`` (a live holder, or one on another host); ``stale`` (its holder is gone).

    A lock file is held exactly while its ``flock`` is (the kernel drops it with the holder); an S3 object
    is stale when its holder was on this host and that pid is gone.
    """
    out: list[LockState] = []
    for store in lock_stores(params, params_dir):
        held, holder = store.read()
        alive = holder.alive() if holder is not None else None
        if holder is None and not held:
            state = "free"
        elif isinstance(store, FileLockStore):
            state = "held" if held else "stale"
        else:
            state = "stale" if alive is False else "held"
        out.append(LockState(store.where, state, holder.public() if holder else None, alive))
    return out


def release_stale(params: RunbookParams, *, force: bool = False, params_dir: Path | None = None) -> list[str]:
    """Clear what a holder that is gone left; returns the locations cleared.

    Refuses (:class:`EnvLockedError`) a lock whose holder is alive on this host (a held lock file, or an
    S3 object whose holder pid runs here) and, without ``force``, an S3 object held from another host,
    whose process cannot be checked from here.
    """
    cleared: list[str] = []
    for state, store in zip(lock_status(params, params_dir), lock_stores(params, params_dir), strict=True):
        if state.state == "free":
            continue
        holder = state.holder or {}
        if state.state == "held" and (isinstance(store, FileLockStore) or state.alive is True):
            raise EnvLockedError(
                params.env,
                holder,
                store.where,
                message=f"the lock of {params.env!r} is held by a live process (pid {holder.get('pid', '?')} "
                f"on {holder.get('host', '?')}): `{holder.get('command', '?')}`",
                hint="let it finish, or stop that process; a live holder's lock is never released",
            )
        if state.state == "held" and not force:  # an S3 lock held from another host
            raise EnvLockedError(
                params.env,
                holder,
                store.where,
                message=f"the lock of {params.env!r} is held from another host ({holder.get('host', '?')}), "
                "whose process cannot be checked from here",
                hint=f"make sure `{holder.get('command', '?')}` on {holder.get('host', '?')} has ended, then "
                f"`runbook lock release --env {params.env} --force`",
            )
        store.clear()
        cleared.append(store.where)
        log.warning("cleared the lock %s left by %s", store.where, holder or "an unknown holder")
    return cleared


__all__ = [
    "EnvLock",
    "FileLockStore",
    "LockHolder",
    "LockState",
    "LockStore",
    "S3LockStore",
    "env_lock",
    "hold_for_session",
    "lock_dir",
    "lock_status",
    "lock_stores",
    "release_session",
    "release_stale",
    "state_bucket",
]
