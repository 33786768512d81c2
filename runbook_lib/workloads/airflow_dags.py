"""Validate the platform's DAGs under MWAA's Airflow, and list what they need (providers, connections, variables).

Why a subprocess: the DagBag is filled by ``_dagbag_probe.py`` inside ``.venv-airflow`` (the version stack 05
pins), so an import that works on the old Airflow but not on MWAA's is caught here, with its file and line.
What each DAG references is read from the source with ``ast`` (no Airflow needed): every connection id and
variable must be mapped before anything is uploaded.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.errors import OrchestrationError
from runbook_lib.process import run_command
from runbook_lib.workloads.airflow_env import AirflowVenv

PROBE = Path(__file__).with_name("_dagbag_probe.py")
#: Template references: ``{{ var.value.name }}`` / ``{{ var.json.name }}`` and ``{{ conn.name }}``.
_TEMPLATE_VAR = re.compile(r"\bvar\.(?:value|json)\.([A-Za-z0-9_]+)")
_TEMPLATE_CONN = re.compile(r"\bconn\.([A-Za-z0-9_]+)")


@dataclass(frozen=True)
class DagFileResult:
    """One DAG file as MWAA's Airflow parsed it."""

    file: str
    dag_ids: tuple[str, ...]
    tasks: int
    ok: bool
    line: int | None = None
    error: str = ""


@dataclass
class DagValidation:
    """The DagBag of a folder: per-file results, the Airflow that parsed it, and how long it took."""

    folder: Path
    airflow_version: str
    files: list[DagFileResult]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    @property
    def errors(self) -> list[DagFileResult]:
        return [f for f in self.files if not f.ok]

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([
            {"file": f.file, "dag_ids": ", ".join(f.dag_ids), "tasks": f.tasks, "status": "ok" if f.ok else "error",
             "line": f.line, "error": f.error, "airflow": self.airflow_version}
            for f in self.files
        ])


def require_dag_folder(folder: Path) -> Path:
    """The folder, or a one-line error naming it."""
    if not folder.is_dir():
        raise OrchestrationError(
            str(folder), "DAG folder does not exist", hint="set orchestration.airflow.dags_dir"
        )
    return folder


def dag_files(folder: Path) -> list[Path]:
    """The ``.py`` files Airflow would parse (not in ``__pycache__``), sorted."""
    return sorted(p for p in require_dag_folder(folder).rglob("*.py") if "__pycache__" not in p.parts)


def validate_dags(folder: Path, venv: AirflowVenv, *, timeout_s: float = 300) -> DagValidation:
    """Fill a DagBag from ``folder`` in the Airflow venv; every file gets a row, failed ones with their line."""
    import tempfile
    import time

    folder = require_dag_folder(folder).resolve()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="runbook-airflow-") as home:
        env = {
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__DAGS_FOLDER": str(folder),  # on sys.path, as on MWAA: DAGs import helpers
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        result = run_command([str(venv.python), str(PROBE), str(folder)], env=env, timeout=timeout_s, check=False,
                             logger_name=__name__)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not result.ok or not lines:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise OrchestrationError(str(folder), f"the DagBag probe failed: {tail[0]}", hint="run `make airflow`")
    report = json.loads(lines[-1])
    by_file: dict[str, list[dict[str, Any]]] = {}
    for dag in report["dags"]:
        by_file.setdefault(dag["file"], []).append(dag)
    errors = {e["file"]: e for e in report["errors"]}
    files = []
    for path in dag_files(folder):
        key = str(path.resolve())
        relative = str(path.relative_to(folder))
        if key in errors:
            files.append(DagFileResult(relative, (), 0, False, errors[key]["line"], errors[key]["message"]))
        else:
            dags = by_file.get(key, [])
            files.append(DagFileResult(relative, tuple(sorted(d["dag_id"] for d in dags)),
                                       sum(d["tasks"] for d in dags), True))
    return DagValidation(folder, report["airflow"], files, round(time.monotonic() - started, 2))


@dataclass
class DagReferences:
    """What the DAG files name: provider distributions, connection ids, variable keys (from the source)."""

    providers: set[str] = field(default_factory=set)
    connections: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)


def dag_references(folder: Path) -> DagReferences:
    """Scan every DAG file's syntax tree: ``airflow.providers.*`` imports, ``*conn_id``/``*config_id`` keyword
    arguments, ``Variable.get("...")`` calls and ``{{ var.value.* }}`` / ``{{ conn.* }}`` templates."""
    refs = DagReferences()
    for path in dag_files(folder):
        try:
            tree = ast.parse(path.read_text(), filename=str(path))
        except SyntaxError:
            continue  # validate_dags reports it with its line
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("airflow.providers."):
                refs.providers.add(_provider_distribution(node.module or ""))
            elif isinstance(node, ast.keyword) and node.arg and node.arg.endswith(("conn_id", "config_id")):
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    refs.connections.add(node.value.value)
            elif isinstance(node, ast.Call) and _is_variable_get(node) and node.args:
                if isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    refs.variables.add(node.args[0].value)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "{{" in node.value:
                refs.variables.update(_TEMPLATE_VAR.findall(node.value))
                refs.connections.update(_TEMPLATE_CONN.findall(node.value))
    return refs


def _is_variable_get(node: ast.Call) -> bool:
    func = node.func
    return isinstance(func, ast.Attribute) and func.attr == "get" and getattr(func.value, "id", "") == "Variable"


#: Provider packages whose import path has two words (``airflow.providers.apache.kafka`` ...).
_TWO_WORD = ("apache", "common", "microsoft", "cncf", "atlassian", "dbt")


def _provider_distribution(module: str) -> str:
    parts = module.split(".")[2:]
    words = parts[:2] if parts and parts[0] in _TWO_WORD else parts[:1]
    return "apache-airflow-providers-" + "-".join(words)
