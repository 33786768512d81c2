"""Read an environment's ``.tfvars`` file: its values, and the comment an operator wrote beside each.

Why the comments matter: the sandbox tfvars switch off, with ``enable_* = false``, exactly
what the AWS stand-in cannot create, and the comment next to each flag is the reason. Post-apply
verification and ``runbook iac check`` quote that reason when they report what was not applied
or which security check the sandbox waives, so the reason is written once, in the tfvars.

Values come from python-hcl2 (the same parser :mod:`runbook_lib.terraform.backend` uses for backends).
HCL keeps no comments in any machine-readable form, so comments are taken from the source
lines: the ``#`` text after a ``name = value`` on the same line, else the block of ``#`` lines
directly above it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.errors import ParamsError


@dataclass(frozen=True)
class TfVars:
    """One tfvars file: ``values`` (HCL types as Python, strings unquoted) and ``comments`` by key.

    A nested key (``openmetadata = { db_multi_az = false # why }``) is in ``comments`` under
    its own name (``db_multi_az``) and under its dotted path (``openmetadata.db_multi_az``).
    """

    path: Path
    values: Mapping[str, Any] = field(default_factory=dict)
    comments: Mapping[str, str] = field(default_factory=dict)

    def get(self, dotted: str, default: Any = None) -> Any:
        """A value by dotted path (``openmetadata.db_multi_az``); ``default`` when absent."""
        node: Any = self.values
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    def flags(self, prefix: str = "enable_") -> dict[str, bool]:
        """Top-level boolean variables whose name starts with ``prefix`` (``enable_*``, ``create_*``)."""
        return {k: v for k, v in self.values.items() if k.startswith(prefix) and isinstance(v, bool)}

    def comment(self, key: str) -> str:
        """The comment written for ``key`` (plain or dotted), or ``""``."""
        return self.comments.get(key, "")


def _unquote(value: Any) -> Any:
    """python-hcl2 >= 5 keeps the quotes of string literals (and quoted map keys); drop them."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, Mapping):
        return {_unquote(k): _unquote(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


def _strip_comment(line: str) -> tuple[str, str]:
    """(code, comment) of one line; a ``#`` inside a double-quoted string is not a comment."""
    in_string = False
    escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and in_string:
            escaped = True
        elif char == '"':
            in_string = not in_string
        elif char == "#" and not in_string:
            return line[:index], line[index + 1 :].strip()
        elif char == "/" and not in_string and line[index : index + 2] == "//":
            return line[:index], line[index + 2 :].strip()
    return line, ""


def extract_comments(text: str) -> dict[str, str]:
    """Comments by attribute name (and dotted path inside ``{ }`` objects) from tfvars source text.

    A line's own trailing comment wins; otherwise the block of ``#`` lines above applies to every
    line of the group that follows it, up to the next blank line.
    """
    comments: dict[str, str] = {}
    pending: list[str] = []  # the comment block above the current group of lines
    last_was_comment = False
    path: list[str] = []
    for raw in text.splitlines():
        code, comment = _strip_comment(raw)
        stripped = code.strip()
        if not stripped:
            if comment:
                pending = [*pending, comment] if last_was_comment else [comment]
                last_was_comment = True
            else:
                pending, last_was_comment = [], False
            continue
        last_was_comment = False
        if stripped.startswith(("}", "]")):
            if path and stripped.startswith("}"):
                path.pop()
            continue
        if "=" not in stripped:
            continue
        key = stripped.split("=", 1)[0].strip().strip('"')
        if not key.replace("_", "").replace("-", "").isalnum():
            continue
        text_for_key = comment or " ".join(pending)
        if text_for_key:
            comments[".".join([*path, key])] = text_for_key
            if path:
                comments.setdefault(key, text_for_key)
            else:
                comments[key] = text_for_key
        if stripped.endswith("{"):
            path.append(key)
            pending = []  # a block's members do not inherit the comment above the block
    return comments


def read_tfvars(path: str | Path) -> TfVars:
    """Parse a ``.tfvars`` file into values and comments.

    Raises:
        ParamsError: the file is missing or is not valid HCL.
    """
    import hcl2  # lazy: declared dependency, only needed here and for backend detection

    path = Path(path)
    if not path.is_file():
        raise ParamsError("tfvars", str(path), "an existing .tfvars file")
    text = path.read_text()
    try:
        values = hcl2.loads(text)
    except Exception as error:  # noqa: BLE001 - the parser raises several unrelated types
        raise ParamsError("tfvars", str(path), "valid HCL", message=f"cannot parse {path}: {error}") from None
    return TfVars(path=path, values=_unquote(values), comments=extract_comments(text))
