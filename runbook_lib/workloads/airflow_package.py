"""What MWAA installs besides the DAGs: ``requirements.txt`` (with the ``--constraint`` line MWAA requires) and
``plugins.zip``.

Why resolved offline: MWAA resolves ``requirements.txt`` against the official constraints file of its Airflow
version when the environment updates, and a conflict there fails the update far from here. The constraints
file cannot be downloaded on this machine, so the runbook pins each provider to the version validated in
``.venv-airflow`` and asks that venv's pip (``install --dry-run --report``) to resolve the requirements with
the venv's own ``pip freeze`` as constraints: any conflict with the Airflow that MWAA runs fails here.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook_lib.errors import OrchestrationError
from runbook_lib.process import run_command
from runbook_lib.util import sha256_file
from runbook_lib.workloads.airflow_env import AirflowVenv, MwaaPins

#: A fixed timestamp for every zip entry: the same plugins give the same plugins.zip (and sha256).
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Requirements:
    """The generated ``requirements.txt`` and how its resolution against the pinned Airflow went."""

    path: Path
    pins: dict[str, str]
    would_install: tuple[str, ...]  # packages pip would add or change in the validated venv (empty: all satisfied)
    constraint_line: str

    def to_frame(self) -> Any:
        import pandas as pd

        rows = [{"package": name, "version": version, "resolved": "satisfied by the validated venv"
                 if name not in self.would_install else "pip would install/change it"}
                for name, version in sorted(self.pins.items())]
        return pd.DataFrame(rows)


def _distribution_names(requirements_in: Path) -> list[str]:
    if not requirements_in.is_file():
        raise OrchestrationError(str(requirements_in), "requirements file does not exist",
                                 hint="set orchestration.airflow.requirements_in")
    names = []
    for line in requirements_in.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line.split("==")[0].split(">=")[0].strip().lower())
    return names


def _installed(venv: AirflowVenv) -> dict[str, str]:
    """``pip list --format json`` of the venv: name -> version (the environment the DAGs were validated in)."""
    result = run_command([str(venv.python), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
                         logger_name=__name__)
    return {item["name"].lower(): item["version"] for item in json.loads(result.stdout)}


def build_requirements(requirements_in: Path, needed: set[str], venv: AirflowVenv, pins: MwaaPins,
                       out_dir: Path) -> Requirements:
    """Write ``requirements.txt``: the constraint line, then each provider pinned to the validated version.

    ``needed`` (the providers the DAGs import) must all be listed in ``requirements_in`` (or be part of
    Airflow's core install): a DAG that imports an unlisted provider is an error naming it.
    """
    listed = _distribution_names(requirements_in)
    installed = _installed(venv)
    missing = sorted(n for n in needed if n not in listed)
    if missing:
        raise OrchestrationError(str(requirements_in), f"the DAGs import {', '.join(missing)}, which it does not list",
                                 hint="add them to the requirements file")
    unknown = [n for n in listed if n not in installed]
    if unknown:
        raise OrchestrationError(str(requirements_in), f"{', '.join(unknown)} not installed in {venv.path}",
                                 hint="add them to scripts/airflow-venv.txt and run `make airflow`")
    pinned = {name: installed[name] for name in listed}
    constraint_line = f'--constraint "{pins.constraint_url}"'
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "requirements.txt"
    path.write_text("\n".join([constraint_line, *(f"{n}=={v}" for n, v in sorted(pinned.items()))]) + "\n")
    would_install = resolve_offline(path, venv, pins, out_dir)
    return Requirements(path, pinned, would_install, constraint_line)


def resolve_offline(requirements: Path, venv: AirflowVenv, pins: MwaaPins, work: Path) -> tuple[str, ...]:
    """Resolve ``requirements`` with the venv's pip against the venv's freeze (our local stand-in for the
    official constraints); raise with pip's own words on a conflict. Returns what pip would install."""
    freeze = run_command([str(venv.python), "-m", "pip", "freeze", "--disable-pip-version-check"],
                         logger_name=__name__).stdout
    local_constraints = work / "constraints-local.txt"
    local_constraints.write_text(freeze)
    body = [line for line in requirements.read_text().splitlines() if not line.startswith("--constraint")]
    local_requirements = work / "requirements-local.txt"
    local_requirements.write_text("\n".join([f"apache-airflow=={pins.airflow_version}", *body]) + "\n")
    report = work / "pip-report.json"
    result = run_command(
        [str(venv.python), "-m", "pip", "install", "--dry-run", "--quiet", "--disable-pip-version-check",
         "--report", str(report), "-c", str(local_constraints), "-r", str(local_requirements)],
        check=False, logger_name=__name__, timeout=600,
    )
    if not result.ok:
        reason = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("WARNING")]
        raise OrchestrationError(str(requirements), f"does not resolve against Airflow {pins.airflow_version}: "
                                 + (reason[-1].strip() if reason else f"pip exited {result.returncode}"),
                                 hint="pin the provider to a version compatible with MWAA's constraints")
    data = json.loads(report.read_text())
    return tuple(sorted(item["metadata"]["name"].lower() for item in data.get("install", [])))


@dataclass(frozen=True)
class PluginsZip:
    """``plugins.zip``: its members (at the zip's root, as MWAA expects) and sha256."""

    path: Path
    members: tuple[str, ...]
    sha256: str


def build_plugins_zip(plugins_dir: Path, out_dir: Path) -> PluginsZip:
    """Zip ``plugins_dir`` with fixed timestamps after compiling each ``.py`` (a syntax error names its line)."""
    if not plugins_dir.is_dir():
        raise OrchestrationError(str(plugins_dir), "plugins folder does not exist",
                                 hint="set orchestration.airflow.plugins_dir")
    files = sorted(p for p in plugins_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        if path.suffix == ".py":
            try:
                compile(path.read_text(), str(path), "exec")
            except SyntaxError as error:
                raise OrchestrationError(f"{path}:{error.lineno}", f"SyntaxError: {error.msg}",
                                         hint="fix the plugin") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "plugins.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(str(path.relative_to(plugins_dir)), date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
    members = tuple(str(p.relative_to(plugins_dir)) for p in files)
    return PluginsZip(target, members, sha256_file(target))
