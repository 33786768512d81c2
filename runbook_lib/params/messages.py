"""Pydantic's validation errors turned into one :class:`~runbook_lib.errors.ParamsError`.

Why: the notebook, the CLI and the tests all point at the exact line to fix, so the error's ``key`` is
the dotted path of the offending value (``aws.allowed_account_ids[0]``), its ``value`` is what was
given and its ``allowed`` says what would have been accepted: an :class:`Allowed` phrase, Literal
choices, numeric bounds, or the keys of a section.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ValidationError

from runbook_lib import redact
from runbook_lib.errors import ParamsError
from runbook_lib.params.formats import Allowed


def params_error_from_validation(error: ValidationError, model: type[BaseModel]) -> ParamsError:
    """Turn pydantic's first error into a ParamsError naming the dotted key; count the others."""
    problems = error.errors(include_url=False)
    first = problems[0]
    loc = tuple(first.get("loc", ()))
    ctx = first.get("ctx") or {}
    kind = first.get("type", "")
    if kind == "params_rule" and "key" in ctx:
        key = ctx["key"]
        value = ctx.get("value")
    else:
        key = dotted_key(loc) or "<root>"
        value = None if kind == "missing" else first.get("input")
    if kind == "extra_forbidden":
        allowed: str | list[str] = _fields_at(model, loc[:-1])
        message = f"unknown key {key}"
    elif kind == "missing":
        allowed = f"required ({_describe(model, loc)})"
        message = f"missing required key {key}"
    else:
        allowed = ctx.get("allowed") or _describe(model, loc) or first.get("msg", "")
        message = f"bad parameter {key}={redact.redact_obj(value)!r}"
    if len(problems) > 1:
        others = [dotted_key(tuple(p.get("loc", ()))) or "<root>" for p in problems[1:]]
        message += f" (and {len(others)} more: {', '.join(others[:5])}{' …' if len(others) > 5 else ''})"
    return ParamsError(key, redact.redact_obj(value), allowed, message=message)


def dotted_key(loc: Sequence[Any]) -> str:
    """``('aws', 'allowed_account_ids', 0)`` -> ``aws.allowed_account_ids[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _peel(annotation: Any) -> tuple[Any, list[Any]]:
    """The core type under Annotated/Optional wrappers, and the Annotated metadata met on the way, outermost first."""
    metadata: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            args = typing.get_args(annotation)
            metadata.extend(args[1:])
            annotation = args[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation, metadata


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated/Optional to the core type."""
    return _peel(annotation)[0]


def _walk(model: type[BaseModel], loc: Sequence[Any]) -> tuple[Any, Any]:
    """The (annotation, FieldInfo) at ``loc`` below ``model``; (None, None) where it cannot be followed."""
    annotation: Any = model
    field_info = None
    for part in loc:
        core = _unwrap(annotation)
        if isinstance(part, int):
            if typing.get_origin(core) is list:
                annotation = typing.get_args(core)[0]
                continue
            return None, None
        if isinstance(core, type) and issubclass(core, BaseModel) and part in core.model_fields:
            field_info = core.model_fields[part]
            annotation = field_info.annotation
            # keep metadata (Annotated constraints) attached
            if field_info.metadata:
                annotation = Annotated[(annotation, *field_info.metadata)]
            continue
        return None, None
    return annotation, field_info


def _fields_at(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    annotation, _ = _walk(model, loc)
    core = _unwrap(annotation) if annotation is not None else None
    if isinstance(core, type) and issubclass(core, BaseModel):
        return list(core.model_fields)
    return []


def _describe(model: type[BaseModel], loc: Sequence[Any]) -> str:
    """What the field at ``loc`` accepts: an :class:`Allowed` phrase, Literal choices, bounds, or its type."""
    annotation, _ = _walk(model, loc)
    if annotation is None:
        return ""
    core, metadata = _peel(annotation)
    bounds: list[str] = []
    for meta in metadata:
        if isinstance(meta, Allowed):
            return meta.text
        for attr, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            if getattr(meta, attr, None) is not None:
                bounds.append(f"{sign} {getattr(meta, attr)}")
    if typing.get_origin(core) is Literal:
        return "one of " + ", ".join(map(str, typing.get_args(core)))
    if isinstance(core, type) and issubclass(core, BaseModel):
        return f"a mapping with keys {', '.join(core.model_fields)}"
    if typing.get_origin(core) is list:
        return "a list"
    type_name = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false"}.get(
        getattr(core, "__name__", ""), getattr(core, "__name__", str(core))
    )
    return f"{type_name} {' and '.join(bounds)}".strip()
