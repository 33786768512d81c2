"""How we reach a PostgreSQL server: endpoints parsed from DSNs, the passfile, and the client tools.

Why one module: a password must never reach a command line, a log or another process's
environment, and everything that touches one (DSN parsing, connections, the ``PGPASSFILE`` the
``pg_dump``/``pg_restore`` processes read) is here, in one place to review.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook_lib import redact
from runbook_lib.errors import ParamsError, ToolMissingError
from runbook_lib.process import run_command
from runbook_lib.tools import postgres_bindir

log = logging.getLogger(__name__)

_PASSFILE_PREFIX = "runbook-pgpass-"


@dataclass(frozen=True)
class PgEndpoint:
    """A PostgreSQL server; the password is kept apart from everything logged or put on a command line."""

    params: tuple[tuple[str, str], ...]
    password: str | None = None

    @classmethod
    def from_dsn(cls, dsn: str) -> PgEndpoint:
        """Parse a URL or key=value DSN; ``dbname`` is dropped (the migrator picks the database)."""
        # psycopg is imported where it is used: it loads libpq (~0.35 s), which a CLI that moves no
        # PostgreSQL data should not pay for.
        from psycopg.conninfo import conninfo_to_dict

        try:
            values = {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
        except Exception as error:  # noqa: BLE001 - psycopg raises ProgrammingError; the text may hold the secret
            raise ParamsError(
                "dsn",
                "[REDACTED]",
                "a libpq URL or key=value connection string",
                message=f"cannot parse a PostgreSQL DSN: {type(error).__name__}",
            ) from None
        password = values.pop("password", None)
        values.pop("dbname", None)
        if password:
            redact.register_secret(password)
        return cls(tuple(sorted(values.items())), password or None)

    def conninfo(self, dbname: str) -> str:
        """A libpq conninfo string without the password (safe for argv and logs)."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(**dict(self.params), dbname=dbname)

    def get(self, key: str, default: str = "") -> str:
        return dict(self.params).get(key, default)

    def describe(self, dbname: str) -> str:
        host = self.get("host", "local socket")
        port = self.get("port", "5432")
        return f"{host}:{port}/{dbname}"

    def connect(
        self,
        dbname: str,
        *,
        read_only: bool = False,
        application_name: str = "runbook-migrate",
        connect_timeout: int = 10,
    ) -> Any:
        """An autocommit psycopg connection; ``read_only`` makes every transaction read-only (the source)."""
        import psycopg

        options = "-c default_transaction_read_only=on" if read_only else None
        kwargs: dict[str, Any] = {
            "autocommit": True,
            "application_name": application_name[:63],
            "connect_timeout": connect_timeout,
        }
        if self.password:
            kwargs["password"] = self.password
        if options:
            kwargs["options"] = options
        return psycopg.connect(self.conninfo(dbname), **kwargs)


def with_host_port(dsn: str, host_port: str) -> str:
    """The same DSN pointed at ``host:port`` (credentials and options kept)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    values = {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
    host, _, port = host_port.rpartition(":") if ":" in host_port else (host_port, "", "")
    values["host"] = host
    if port:
        values["port"] = port
    return make_conninfo(**values)


def _passfile_line(endpoint: PgEndpoint) -> str | None:
    if not endpoint.password:
        return None

    def esc(value: str) -> str:
        return value.replace("\\", "\\\\").replace(":", "\\:")

    host = endpoint.get("host") or "*"
    port = endpoint.get("port") or "*"
    user = endpoint.get("user") or "*"
    return ":".join((esc(host), esc(port), "*", esc(user), esc(endpoint.password)))


def _remove_stale_passfiles() -> None:
    """Remove passfile folders of processes that died without cleaning up (a SIGKILL skips ``finally``)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_PASSFILE_PREFIX}*-*"):
        pid_text = folder.name[len(_PASSFILE_PREFIX) :].split("-", 1)[0]
        if not pid_text.isdigit() or not folder.is_dir() or folder.stat().st_uid != os.getuid():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            continue


@contextlib.contextmanager
def passfile_env(*endpoints: PgEndpoint, application_name: str) -> Iterator[dict[str, str]]:
    """Environment for libpq tools: ``PGPASSFILE`` -> a 0600 file in a private temp dir, removed afterwards.

    Why a passfile and not ``PGPASSWORD``: one file serves both servers (source and target have
    different passwords), and the value never enters a process environment other processes of the
    same user could read through ``/proc``.
    """
    lines = [line for line in (_passfile_line(e) for e in endpoints) if line]
    _remove_stale_passfiles()
    folder = Path(tempfile.mkdtemp(prefix=f"{_PASSFILE_PREFIX}{os.getpid()}-"))
    try:
        env = {"PGAPPNAME": application_name[:63], "PGCONNECT_TIMEOUT": "15"}
        if lines:
            path = folder / "pgpass"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write("\n".join(lines) + "\n")
            env["PGPASSFILE"] = str(path)
        yield env
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class PgTools:
    """Where ``pg_dump`` and ``pg_restore`` are, and their major version."""

    pg_dump: str
    pg_restore: str
    major: int

    @classmethod
    def discover(cls) -> PgTools:
        found: dict[str, str] = {}
        for name in ("pg_dump", "pg_restore"):
            path = shutil.which(name)
            if path is None:
                bindir = postgres_bindir()
                candidate = bindir / name if bindir else None
                path = str(candidate) if candidate and candidate.exists() else None
            if path is None:
                raise ToolMissingError(name, f"{name} was not found", hint="apt-get install postgresql-client")
            found[name] = path
        # `pg_dump --version` prints "pg_dump (PostgreSQL) 15.18 (Debian ...)"; the tool has no JSON form.
        words = run_command([found["pg_dump"], "--version"], timeout=30, logger_name=log.name).stdout.split()
        major = int(words[2].split(".")[0]) if len(words) > 2 and words[2].split(".")[0].isdigit() else 0
        return cls(found["pg_dump"], found["pg_restore"], major)
