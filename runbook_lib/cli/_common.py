"""Helpers shared by the sub-command modules."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Dataclasses, paths and enums to plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "value") and value.__class__.__module__ != "builtins" and hasattr(value, "name"):
        return value.value
    if hasattr(value, "__fspath__"):
        return str(value)
    return value


def print_json(value: Any) -> None:
    print(json.dumps(to_jsonable(value), indent=2, sort_keys=True, default=str))


def print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """A plain fixed-width table for terminals (notebooks use pandas)."""
    widths = {c: max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))


def add_switch(parser: argparse.ArgumentParser, flag: str, *, default: bool, help: str) -> None:
    """An on/off option spelled both ways (``--resume`` / ``--no-resume``); say the default in ``help``."""
    parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=help)
