"""Which Airflow MWAA runs (read from stack 05's Terraform) and the virtualenv that runs the same Airflow here.

Why from the Terraform and not a param: the version the DAGs are validated under must be the one the MWAA
environment is created with; reading ``airflow_version`` where stack 05 sets it (or the mwaa module's default)
keeps the two from drifting. ``.venv-airflow`` is built by ``make airflow`` from ``scripts/airflow-venv.txt``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook_lib.errors import OrchestrationError
from runbook_lib.paths import project_root

#: MWAA's Python for each Airflow version it offers on the 2.9/2.10 lines (the module's validation allows these).
#: The constraints URL MWAA requires names this Python.
MWAA_PYTHON = {"2.9.2": "3.11", "2.10.1": "3.11", "2.10.3": "3.11"}
CONSTRAINTS_URL = "https://raw.githubusercontent.com/apache/airflow/constraints-{airflow}/constraints-{python}.txt"


@dataclass(frozen=True)
class MwaaPins:
    """What stack 05 pins for the MWAA environment."""

    airflow_version: str
    python_version: str
    source: str  # where the version was read: the stack's module block or the module's default

    @property
    def constraint_url(self) -> str:
        return CONSTRAINTS_URL.format(airflow=self.airflow_version, python=self.python_version)


def _unquote(value: Any) -> Any:
    return value[1:-1] if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' else value


def _load_hcl(path: Path) -> dict[str, Any]:
    import hcl2  # lazy: builds its parser on import

    with path.open() as handle:
        return hcl2.load(handle)


def mwaa_pins(stacks_dir: Path | None = None, stack: str = "05_orchestration_observability") -> MwaaPins:
    """The Airflow version of stack 05's ``module "mwaa"``: its ``airflow_version`` argument, else the default."""
    root = project_root() / "terraform_infra"
    stack_main = (stacks_dir or root / "stacks") / stack / "main.tf"
    if not stack_main.is_file():
        raise OrchestrationError(str(stack_main), "stack 05's main.tf does not exist", hint="run from the repository")
    for block in _load_hcl(stack_main).get("module", []):
        for name, body in block.items():
            if _unquote(name) != "mwaa":
                continue
            if "airflow_version" in body:
                return _pins(str(_unquote(body["airflow_version"])), f"{stack_main}: module mwaa airflow_version")
            source_dir = (stack_main.parent / str(_unquote(body["source"]))).resolve()
            for variable in _load_hcl(source_dir / "variables.tf").get("variable", []):
                for var_name, spec in variable.items():
                    if _unquote(var_name) == "airflow_version":
                        return _pins(str(_unquote(spec["default"])), f"{source_dir.name}/variables.tf default")
    raise OrchestrationError(str(stack_main), "no module \"mwaa\" with an airflow_version", hint="check stack 05")


def _pins(version: str, source: str) -> MwaaPins:
    if version not in MWAA_PYTHON:
        raise OrchestrationError(
            "airflow_version", f"{version!r} is not a version this runbook knows MWAA's Python for",
            hint=f"use one of {', '.join(MWAA_PYTHON)} (or add MWAA's Python for it to MWAA_PYTHON)",
        )
    return MwaaPins(version, MWAA_PYTHON[version], source)


@dataclass(frozen=True)
class AirflowVenv:
    """The virtualenv with MWAA's Airflow: its python, and the Airflow version actually installed there."""

    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def require(self, pins: MwaaPins) -> str:
        """The installed Airflow version; an error naming ``make airflow`` if missing or not the pinned one."""
        from runbook_lib.process import run_command

        if not self.python.is_file():
            raise OrchestrationError(str(self.path), "the Airflow virtualenv does not exist", hint="run `make airflow`")
        probe = "import json, importlib.metadata as m; print(json.dumps(m.version('apache-airflow')))"
        result = run_command([str(self.python), "-c", probe], check=False, logger_name=__name__)
        if not result.ok:
            raise OrchestrationError(str(self.path), "apache-airflow is not installed there", hint="run `make airflow`")
        installed = json.loads(result.stdout.strip().splitlines()[-1])
        if installed != pins.airflow_version:
            raise OrchestrationError(
                str(self.path), f"has Airflow {installed}, stack 05 pins {pins.airflow_version} ({pins.source})",
                hint="update scripts/airflow-venv.txt and run `make airflow`",
            )
        return str(installed)


def airflow_venv(path: Path | str) -> AirflowVenv:
    """The venv at ``path`` (relative to the project root)."""
    path = Path(path)
    return AirflowVenv(path if path.is_absolute() else project_root() / path)

