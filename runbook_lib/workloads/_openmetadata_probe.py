"""Runs INSIDE .venv-openmetadata, never imported by runbook_lib: validate workflow configs with the
``openmetadata-ingestion`` package's own pydantic models (``OpenMetadataWorkflowConfig``).

Usage: python _openmetadata_probe.py CONFIG.json...  ->  one JSON line: [{"file", "ok", "errors": [...]}]
"""

from __future__ import annotations

import json
import sys
from importlib import metadata


def main(paths: list[str]) -> int:
    from metadata.generated.schema.metadataIngestion.workflow import OpenMetadataWorkflowConfig
    from pydantic import ValidationError

    results = []
    for path in paths:
        with open(path) as handle:
            document = json.load(handle)
        try:
            OpenMetadataWorkflowConfig.model_validate(document)
            results.append({"file": path, "ok": True, "errors": []})
        except ValidationError as error:
            errors = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5]]
            results.append({"file": path, "ok": False, "errors": errors})
    print(json.dumps({"version": metadata.version("openmetadata-ingestion"), "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
