"""What a run records of its parameters: canonical JSON and its hash, a redacted copy, what changed.

Why: evidence names the exact parameters a run used (by hash, and redacted in the manifest), and a
resumed run must prove it continues with the same ones (:func:`diff_keys` names what differs).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from runbook_lib import redact
from runbook_lib.params.model import RunbookParams


def canonical_json(params: RunbookParams) -> str:
    """The parameters as canonical JSON (sorted keys, no spaces): the input of :func:`params_hash`."""
    return json.dumps(params.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def params_hash(params: RunbookParams) -> str:
    """sha256 of the canonical JSON; a resumed run must have the same hash as the run it continues."""
    return hashlib.sha256(canonical_json(params).encode("utf-8")).hexdigest()


def redacted_dict(params: RunbookParams) -> dict[str, Any]:
    """The parameters as plain JSON values, passed through the redactor, for the evidence manifest."""
    return redact.redact_obj(params.model_dump(mode="json"))


def diff_keys(old: Any, new: Any, path: str = "") -> list[str]:
    """Dotted keys whose values differ between two JSON-like parameter dicts (for resume refusals)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            child = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                out.append(child)
            else:
                out.extend(diff_keys(old[key], new[key], child))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            out.extend(diff_keys(a, b, f"{path}[{index}]"))
        return out
    return [] if old == new else [path or "<root>"]
