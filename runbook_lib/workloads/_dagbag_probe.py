"""Runs INSIDE .venv-airflow (MWAA's Airflow), never imported by runbook_lib: fill a DagBag, print JSON.

Why a separate script: Airflow and its pins conflict with the runbook's own environment, so the DAGs are
parsed by the same Airflow MWAA runs, in a subprocess. For a file with an import error it imports the
file once more on its own to read the failing line from the exception (no traceback text is parsed).

Usage: python _dagbag_probe.py DAG_FOLDER  ->  {"airflow": ..., "dags": [...], "errors": [...]}
"""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback
from pathlib import Path


def _error_line(path: str) -> tuple[int | None, str]:
    """(line, message) of the exception importing ``path`` raises, the line being in ``path`` itself."""
    spec = importlib.util.spec_from_file_location("_runbook_probe_module", path)
    if spec is None or spec.loader is None:
        return None, "cannot be loaded as a module"
    try:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    except SyntaxError as error:
        return error.lineno, f"SyntaxError: {error.msg}"
    except BaseException as error:  # noqa: BLE001 - any failure of a DAG file is what we report
        frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == Path(path)]
        line = frames[-1].lineno if frames else None
        return line, f"{type(error).__name__}: {error}".splitlines()[0]
    return None, ""


def main(folder: str) -> int:
    import airflow
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=folder, include_examples=False, safe_mode=False)
    dags = [
        {
            "dag_id": dag.dag_id,
            "file": str(Path(dag.fileloc).resolve()),
            "tasks": len(dag.tasks),
            "schedule": str(dag.timetable.summary),
            "tags": sorted(dag.tags or []),
            "catchup": bool(dag.catchup),
        }
        for dag in bag.dags.values()
    ]
    errors = []
    for file, text in sorted(bag.import_errors.items()):
        line, message = _error_line(file)
        last = [part for part in str(text).strip().splitlines() if part.strip()]
        errors.append({"file": str(Path(file).resolve()), "line": line,
                       "message": message or (last[-1].strip() if last else "import error")})
    print(json.dumps({"airflow": airflow.__version__, "dags": dags, "errors": errors}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
