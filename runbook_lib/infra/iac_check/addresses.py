"""Which module a resource address belongs to: address parsing and the ``module`` calls of a directory.

The table counts resources per ``modules/<name>``; a state or plan only knows addresses such as
``module.glue[0].module.scripts_bucket.aws_s3_bucket.this[0]``, so the calls are followed from the
stack directory down to the module directory that declares the resource.
"""

from __future__ import annotations

import logging
from pathlib import Path

from runbook_lib.infra.iac_check.units import LOGGER_NAME, unit_of_file

log = logging.getLogger(LOGGER_NAME)


def module_path(address: str) -> list[str]:
    """Module call names of an address: ``module.a[0].module.b.aws_x.y["k.z"]`` -> ``["a", "b"]``."""
    names: list[str] = []
    rest = address
    while rest.startswith("module."):
        rest = rest[len("module.") :]
        end = 0
        while end < len(rest) and rest[end] not in ".[":
            end += 1
        names.append(rest[:end])
        rest = rest[end:]
        if rest.startswith("["):
            depth, in_string, i = 0, False, 0
            while i < len(rest):
                ch = rest[i]
                if ch == '"' and (i == 0 or rest[i - 1] != "\\"):
                    in_string = not in_string
                elif not in_string and ch == "[":
                    depth += 1
                elif not in_string and ch == "]":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            rest = rest[i + 1 :]
        rest = rest[1:] if rest.startswith(".") else rest
    return names


def strip_instance_keys(address: str) -> str:
    """The address without ``[index]``/``["key"]`` parts: what two environments' instances share."""
    out, depth, in_string = [], 0, False
    for i, ch in enumerate(address):
        if ch == '"' and depth and address[i - 1] != "\\":
            in_string = not in_string
        elif not in_string and ch == "[":
            depth += 1
            continue
        elif not in_string and ch == "]":
            depth -= 1
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out)


def module_calls(directory: Path) -> dict[str, Path]:
    """``module "name" { source = "../x" }`` blocks of a directory: name -> resolved local source dir."""
    import hcl2  # builds its lark parser on import (~0.2 s); only the attribution needs it

    calls: dict[str, Path] = {}
    for tf in sorted(directory.glob("*.tf")):
        if tf.name.endswith("override.tf"):
            continue
        try:
            with tf.open() as handle:
                parsed = hcl2.load(handle)
        except Exception as error:  # noqa: BLE001 - validate reports syntax errors; attribution just degrades
            log.debug("cannot parse %s: %s", tf, error)
            continue
        for block in parsed.get("module", []):
            for name, body in block.items():
                source = str(body.get("source", "")).strip('"')
                if source.startswith(("./", "../")):
                    calls[name.strip('"')] = (directory / source).resolve()
    return calls


class ModuleMap:
    """Attributes resource addresses of a stack to the ``modules/<name>`` directory that declares them."""

    def __init__(self, tf_root: Path) -> None:
        self.tf_root = tf_root.resolve()
        self._calls: dict[Path, dict[str, Path]] = {}

    def _calls_of(self, directory: Path) -> dict[str, Path]:
        if directory not in self._calls:
            self._calls[directory] = module_calls(directory)
        return self._calls[directory]

    def unit_for(self, stack: str, address: str) -> str:
        """``module:<name>`` of the innermost module, or ``stack:<stack>`` for a root resource."""
        directory = (self.tf_root / "stacks" / stack).resolve()
        for name in module_path(address):
            target = self._calls_of(directory).get(name)
            if target is None:
                return f"stack:{stack}"
            directory = target
        try:
            rel = directory.relative_to(self.tf_root)
        except ValueError:
            return f"stack:{stack}"
        return unit_of_file(str(rel / "x.tf"))
