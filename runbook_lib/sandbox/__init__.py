"""The local sandbox: both sides of the migration on one machine.

Why: there is no AWS account here (nor, on many operator laptops, a safe one to
rehearse in). The sandbox stands in for the self-hosted platform (the source)
and for the AWS account (the target) so every phase can run end to end:

====================  ===========  ==============================================
service               role         what runs
====================  ===========  ==============================================
aws                   AWS stand-in moto server (every AWS API the stacks call)
s3-source             source       2nd moto server: the S3-compatible store for MinIO
postgres-source       source       PostgreSQL 15 (real)
postgres-target       target       PostgreSQL 15 (real): where the RDS endpoint binds
kafka-source          source       Tansu Kafka-protocol broker (real, not Apache Kafka)
kafka-target          target       Tansu broker: where the MSK bootstrap brokers bind
mongo-source          source       MOCK: mongomock, file-backed (no server installs here)
mongo-target          target       MOCK: mongomock, where the DocumentDB endpoint binds
====================  ===========  ==============================================

State lives in ``.sandbox/state.json`` (mode 0600: it holds the generated
PostgreSQL passwords); ``bindings.json`` beside it maps what moto reports for
RDS, MSK and DocumentDB to the local target (read by ``runbook_lib.endpoints``).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from runbook_lib import bindings as bindings_file
from runbook_lib.errors import ParamsError, SandboxDownError, SandboxError
from runbook_lib.paths import sandbox_dir
from runbook_lib.sandbox import services as svc
from runbook_lib.sandbox.services import ServiceSpec
from runbook_lib.util import atomic_write_text

log = logging.getLogger("runbook_lib.sandbox")

SCALES = ("small", "medium", "large")

#: (name, role, kind, stands for) in start order.
SERVICES: tuple[tuple[str, str, str, str], ...] = (
    ("aws", "aws-stand-in", "moto", "the AWS account (every AWS API)"),
    ("s3-source", "source", "moto", "MinIO (S3-compatible object store)"),
    ("postgres-source", "source", "postgres", "self-hosted PostgreSQL"),
    ("postgres-target", "target", "postgres", "Amazon RDS for PostgreSQL"),
    ("kafka-source", "source", "tansu", "self-hosted Kafka"),
    ("kafka-target", "target", "tansu", "Amazon MSK"),
    ("mongo-source", "source", "mongomock", "self-hosted MongoDB"),
    ("mongo-target", "target", "mongomock", "Amazon DocumentDB"),
)

_STARTERS = {"moto": svc.start_moto, "postgres": svc.start_postgres, "tansu": svc.start_tansu,
             "mongomock": svc.start_mongomock}
_HEALTH = {"moto": svc.moto_healthy, "postgres": svc.postgres_healthy, "tansu": svc.tansu_healthy,
           "mongomock": svc.mongomock_healthy}


@dataclass
class ServiceStatus:
    """What ``status`` reports for one service."""

    name: str
    role: str
    kind: str
    stands_for: str
    address: str
    port: int | None
    url: str
    health: str  # "healthy", "unhealthy"
    pid: int | None
    mocked: bool
    secret_ref: str | None = None
    log_file: str | None = None


@dataclass
class SandboxState:
    """The running sandbox as recorded on disk."""

    root: str
    scale: str
    started_at: float
    services: dict[str, ServiceSpec] = field(default_factory=dict)
    seeded: dict[str, int] = field(default_factory=dict)

    @property
    def state_file(self) -> Path:
        return Path(self.root) / "state.json"

    def save(self) -> None:
        payload = {"root": self.root, "scale": self.scale, "started_at": self.started_at, "seeded": self.seeded,
                   "services": {k: asdict(v) for k, v in self.services.items()}}
        atomic_write_text(self.state_file, json.dumps(payload, indent=2), mode=0o600)
        write_bindings(self)

    def service(self, name: str) -> ServiceSpec:
        try:
            return self.services[name]
        except KeyError:
            raise ParamsError("service", name, sorted(self.services)) from None

    def url(self, name: str, *, with_secret: bool = False, dbname: str = "postgres") -> str:
        """The connection URL of a service; passwords only when ``with_secret``."""
        spec = self.service(name)
        if spec.kind == "moto":
            return f"http://{spec.address}"
        if spec.kind == "postgres":
            return svc.postgres_dsn(spec, dbname, with_password=with_secret)
        if spec.kind == "tansu":
            return f"kafka://{spec.address}"
        return f"mongomock://{spec.data_dir}"


def load_state(root: Path | None = None) -> SandboxState | None:
    """The recorded sandbox state, or None when no sandbox was started from this folder."""
    state_file = Path(root or sandbox_dir()) / "state.json"
    if not state_file.exists():
        return None
    raw = json.loads(state_file.read_text())
    services = {k: ServiceSpec(**v) for k, v in raw.pop("services").items()}
    return SandboxState(services=services, **raw)


def require_running(what: str = "this command") -> SandboxState:
    """The state of a running sandbox, else ``SandboxDownError``."""
    state = load_state()
    if state is None or not any(svc.pid_alive(s.pid) for s in state.services.values() if s.pid):
        raise SandboxDownError(what)
    return state


def write_bindings(state: SandboxState) -> Path:
    """Map what moto reports for RDS, MSK and DocumentDB to the local target services.

    Keys are service families; ``*`` binds every endpoint of that family (moto
    gives every RDS instance an address under ``rds.amazonaws.com``).
    """
    bindings = {
        "aws_endpoint_url": state.url("aws") if "aws" in state.services else None,
        "rds": {"*": state.services["postgres-target"].address} if "postgres-target" in state.services else {},
        "msk": {"*": state.services["kafka-target"].address} if "kafka-target" in state.services else {},
        "docdb": {"*": state.url("mongo-target")} if "mongo-target" in state.services else {},
        "sources": {name: state.url(name) for name, spec in state.services.items() if spec.role == "source"},
    }
    return bindings_file.write_bindings(bindings, Path(state.root))


def _status_of(state: SandboxState, spec: ServiceSpec) -> ServiceStatus:
    healthy = _HEALTH[spec.kind](spec)
    return ServiceStatus(
        name=spec.name, role=spec.role, kind=spec.kind, stands_for=spec.stands_for, address=spec.address,
        port=spec.port, url=state.url(spec.name), health="healthy" if healthy else "unhealthy", pid=spec.pid,
        mocked=spec.mocked, secret_ref=f"sandbox:{spec.name}" if spec.kind == "postgres" else None,
        log_file=spec.log_file,
    )


def status() -> list[ServiceStatus]:
    """Every service with role, address, URL and health; ``SandboxDownError`` when none runs."""
    state = require_running("`runbook sandbox status`")
    return [_status_of(state, spec) for spec in state.services.values()]


def up(
    scale: str = "small", *, base_port: int | None = None, seed: bool = True, services: Sequence[str] | None = None
) -> SandboxState:
    """Start every service not already healthy, then seed the source once.

    Safe to run twice: healthy services are kept, and a seeded source is not
    seeded again. Asking for another scale than the one seeded is an error.

    Args:
        services: start only these (names of :data:`SERVICES`), e.g. ``("aws",)`` for a test that
            needs only the AWS stand-in: no PostgreSQL, broker or seed to wait for. The seed writes to
            every source, so a partial sandbox is started with ``seed=False``.
    """
    if scale not in SCALES:
        raise ParamsError("--scale", scale, SCALES)
    names = [name for name, *_ in SERVICES]
    chosen = set(names if services is None else services)
    unknown = sorted(chosen - set(names))
    if unknown:
        raise ParamsError("services", unknown[0], names)
    if seed and chosen != set(names):
        raise ParamsError("seed", seed, "False when only some services start (the seed writes to every source)")
    root = sandbox_dir()
    state = load_state(root)
    if state is not None and state.seeded and state.scale != scale:
        raise SandboxError(f"the sandbox is already seeded at scale {state.scale!r}",
                           hint=f"run `runbook sandbox down` first to start again at {scale!r}")
    if state is None:
        state = SandboxState(root=str(root), scale=scale, started_at=time.time())
    state.scale = scale
    for index, (name, role, kind, stands_for) in enumerate(SERVICES):
        if name not in chosen:
            continue
        spec = state.services.get(name)
        if spec is not None and _HEALTH[kind](spec):
            continue
        if spec is not None and spec.pid and svc.pid_alive(spec.pid):
            _stop_one(spec)
        spec = spec or ServiceSpec(name=name, role=role, kind=kind, stands_for=stands_for)
        if kind != "mongomock":
            wanted = base_port + index if base_port is not None else None
            spec.port = svc.claim_port(name, wanted)
        state.services[name] = spec
        _STARTERS[kind](spec, root)
        state.save()
    state.save()
    if seed and not state.seeded:
        from runbook_lib.sandbox.seed import seed_sources

        state.seeded = seed_sources(state, scale)
        state.save()
    return state


def _stop_one(spec: ServiceSpec) -> bool:
    if spec.kind == "postgres":
        return svc.stop_postgres(spec)
    if spec.kind == "moto" and spec.pid:
        return svc.stop_process_group(spec.pid, "moto")  # sandbox_shims.moto_server (or an older moto.server)
    if spec.kind == "tansu" and spec.pid:
        return svc.stop_process_group(spec.pid, "tansu")
    return False


@dataclass
class DownReport:
    stopped: list[str]
    ports_still_listening: list[int]
    removed: str | None


def down(*, keep_data: bool = False) -> DownReport:
    """Stop what ``up`` started (only recorded pids whose command line is still ours) and remove its data."""
    root = sandbox_dir()
    state = load_state(root)
    if state is None:
        raise SandboxDownError("`runbook sandbox down`")
    stopped = [name for name, spec in state.services.items() if _stop_one(spec)]
    ports = [s.port for s in state.services.values() if s.port]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(svc.port_is_listening(p) for p in ports):
        time.sleep(0.2)
    still = [p for p in ports if svc.port_is_listening(p)]
    removed = None
    if not keep_data:
        shutil.rmtree(svc.pg_data_root(root), ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
        removed = str(root)
    return DownReport(stopped, still, removed)


__all__ = ["SCALES", "SERVICES", "SandboxState", "ServiceStatus", "DownReport", "up", "down", "status", "load_state",
           "require_running", "sandbox_dir"]
