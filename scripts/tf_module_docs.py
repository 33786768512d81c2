"""Inputs and outputs tables of every Terraform module's README, generated from its code.

Why: the tables in ``terraform_infra/modules/<name>/README.md`` went stale whenever a variable or output
changed. terraform-docs is the usual tool but is not installable here, so this script renders the same
two tables from the module's ``*.tf`` files (read with python-hcl2, symlinked shared inputs included)
between the ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->`` markers. Text outside the markers
is left alone.

Usage::

    python scripts/tf_module_docs.py            # rewrite every stale README
    python scripts/tf_module_docs.py --check    # exit 1 and name the stale READMEs, write nothing
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
DEFAULT_MODULES_DIR = Path(__file__).resolve().parent.parent / "terraform_infra" / "modules"
#: Longer type expressions are shortened to ``object({...})`` so the table stays readable.
MAX_TYPE_CHARS = 60


@dataclass(frozen=True)
class Input:
    """One ``variable`` block: what a caller passes."""

    name: str
    description: str
    type: str
    default: str | None  # rendered HCL; None when the input is required


@dataclass(frozen=True)
class Output:
    """One ``output`` block: what a caller can read."""

    name: str
    description: str


def _expression(value: str) -> str:
    """python-hcl2 wraps expressions in ``${...}``; drop the wrapper."""
    if value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return value


def _text(value: Any) -> str:
    """A description as one line of plain text: quotes, escapes and heredoc markers removed."""
    text = str(value or "")
    heredoc = re.match(r'^"?<<-?(\w+)\n(.*)\n\s*\1"?$', text, re.DOTALL)
    if heredoc:
        text = textwrap.dedent(heredoc.group(2))
    elif len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        try:
            text = json.loads(text)
        except json.JSONDecodeError:
            text = text[1:-1]
    return " ".join(text.split())


def _hcl(value: Any) -> str:
    """A default value rendered as HCL, the way terraform-docs shows it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_hcl(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{str(k).strip(chr(34))} = {_hcl(v)}" for k, v in value.items() if k != "__is_block__"]
        return "{" + ", ".join(items) + "}"
    return _expression(str(value))


def _type(value: Any) -> str:
    text = _expression(str(value)) if value is not None else "any"
    if len(text) > MAX_TYPE_CHARS:
        text = re.sub(r"object\(\{.*\}\)", "object({...})", text)
    return text


def _blocks(module_dir: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    """``(name, body)`` of every ``kind`` block in the module's ``*.tf`` files (symlinks included)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for tf in sorted(module_dir.glob("*.tf")):
        with tf.open() as handle:
            parsed = hcl2.load(handle)
        for block in parsed.get(kind, []):
            for name, body in block.items():
                found.append((name.strip('"'), body))
    return found


def read_module(module_dir: Path) -> tuple[list[Input], list[Output]]:
    """The inputs and outputs of a module, sorted by name as terraform-docs sorts them."""
    inputs = [
        Input(
            name=name,
            description=_text(body.get("description")),
            type=_type(body.get("type")),
            default=_hcl(body["default"]) if "default" in body else None,
        )
        for name, body in _blocks(module_dir, "variable")
    ]
    outputs = [
        Output(name=name, description=_text(body.get("description"))) for name, body in _blocks(module_dir, "output")
    ]
    return sorted(inputs, key=lambda i: i.name), sorted(outputs, key=lambda o: o.name)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(inputs: Sequence[Input], outputs: Sequence[Output]) -> str:
    """The block between the markers: an Inputs and an Outputs table."""
    lines = [BEGIN, "## Inputs", ""]
    if inputs:
        lines += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        for i in inputs:
            default = "n/a" if i.default is None else f"`{_cell(i.default)}`"
            required = "yes" if i.default is None else "no"
            lines.append(f"| `{i.name}` | {_cell(i.description)} | `{_cell(i.type)}` | {default} | {required} |")
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    if outputs:
        lines += ["| Name | Description |", "|------|-------------|"]
        lines += [f"| `{o.name}` | {_cell(o.description)} |" for o in outputs]
    else:
        lines.append("No outputs.")
    lines.append(END)
    return "\n".join(lines)


def updated_readme(readme: str, block: str) -> str:
    """The README with ``block`` between its markers, or appended (with markers) when it has none."""
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    if pattern.search(readme):
        return pattern.sub(lambda _: block, readme, count=1)
    return readme.rstrip("\n") + "\n\n" + block + "\n"


def module_dirs(modules_dir: Path) -> list[Path]:
    """Every module: a directory with ``.tf`` files."""
    return sorted(d for d in modules_dir.iterdir() if d.is_dir() and any(d.glob("*.tf")))


def stale_readmes(modules_dir: Path, *, write: bool) -> list[Path]:
    """READMEs whose tables differ from the code; with ``write`` they are rewritten."""
    stale: list[Path] = []
    for module_dir in module_dirs(modules_dir):
        readme = module_dir / "README.md"
        current = readme.read_text() if readme.exists() else f"# {module_dir.name}\n"
        wanted = updated_readme(current, render(*read_module(module_dir)))
        if wanted != current:
            stale.append(readme)
            if write:
                readme.write_text(wanted)
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale READMEs (exit 1 if any)")
    parser.add_argument("--modules-dir", type=Path, default=DEFAULT_MODULES_DIR, help="terraform_infra/modules")
    args = parser.parse_args(argv)
    stale = stale_readmes(args.modules_dir, write=not args.check)
    for readme in stale:
        print(f"{'stale' if args.check else 'updated'}: {readme}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
