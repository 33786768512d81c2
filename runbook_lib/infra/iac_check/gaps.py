"""Why something of the production plan is not in the sandbox: the gap documents, then the tfvars.

Each production-plan address the sandbox lacks is listed with a reason: first a row of a
``terraform_infra/SANDBOX_GAPS_*.md`` table that names the resource, else the variable that prod and
sandbox tfvars set differently and that shares the most words with the address (a heuristic, and
the reason says "likely").
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from runbook_lib.infra.iac_check.addresses import strip_instance_keys
from runbook_lib.terraform.tfvars import TfVars


@dataclass(frozen=True)
class NotApplied:
    """A resource of the production plan that is not applied-and-verified in the sandbox, and why."""

    stack: str
    address: str
    type: str
    reason: str
    variable: str = ""


_STOP = frozenset(
    {
        "enable",
        "create",
        "this",
        "aws",
        "the",
        "of",
        "module",
        "use",
        # words too generic to tie a variable to a resource
        "service",
        "policy",
        "role",
        "iam",
        "group",
        "rule",
        "instance",
        "bucket",
        "s3",
        "config",
        "configuration",
        "id",
        "arn",
        "name",
        "count",
        "day",
        "size",
        "type",
    }
)


def _tokens(text: str) -> set[str]:
    words = re.split(r"[^a-z0-9]+", text.lower())
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words if w and w not in _STOP}


def _differing(prod: TfVars, sandbox: TfVars) -> list[tuple[str, bool]]:
    """Top-level variables set differently (or in one environment only): (name, switched off in the sandbox).

    A flag the sandbox sets ``false`` and prod leaves to the module default counts as switched off.
    """
    skip = {
        "tags",
        "region",
        "state_key_prefix",
        "remote_state_config",
        "remote_state_backend",
        "name_prefix",
    }
    out = []
    for name in sorted(set(prod.values) | set(sandbox.values)):
        value, other = prod.values.get(name), sandbox.values.get(name)
        if name in skip or other == value:
            continue
        out.append((name, other is False and value in (True, None)))
    return out


@dataclass(frozen=True)
class GapRow:
    """One row of a ``SANDBOX_GAPS_*.md`` table: which stacks, switches, resources, and why."""

    doc: str
    stacks: str
    switches: tuple[str, ...]
    resources: tuple[str, ...]
    reason: str

    def covers(self, stack: str, address: str) -> bool:
        number = stack.split("_", 1)[0]
        if stack not in self.stacks and not re.search(rf"\b{re.escape(number)}\b", self.stacks):
            return False
        base = strip_instance_keys(address)
        for pattern in self.resources:
            pattern = strip_instance_keys(pattern)
            if pattern.endswith(".*"):
                stem = pattern[:-2]
                if base.startswith(stem + ".") or f".{stem}." in base:
                    return True
            elif base == pattern or base.endswith("." + pattern):
                return True
        return False


def parse_gap_docs(tf_root: Path) -> list[GapRow]:
    """Table rows of every ``terraform_infra/SANDBOX_GAPS_*.md`` that name resources (in backticks)."""
    rows: list[GapRow] = []
    for doc in sorted(tf_root.glob("SANDBOX_GAPS_*.md")):
        for line in doc.read_text().splitlines():
            if not line.startswith("|") or set(line) <= set("|-: "):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 3:
                continue
            ticks = [re.findall(r"`([^`]+)`", c) for c in cells]
            resources = tuple(
                t for cell in ticks[1:] for t in cell if ("aws_" in t or t.startswith("module.")) and "=" not in t
            )
            switches = tuple(t for cell in ticks[1:] for t in cell if "=" in t)
            if resources:
                rows.append(GapRow(doc.name, cells[0], switches, resources, cells[-1]))
    return rows


def explain_missing(
    stack: str, address: str, prod: TfVars | None, sandbox: TfVars | None, gap_rows: Sequence[GapRow] = ()
) -> tuple[str, str]:
    """(reason, variable) for a production-plan address the sandbox does not have.

    First a ``SANDBOX_GAPS_*.md`` row that names the resource (its switch and its "why"). Else the
    variable prod and sandbox tfvars set differently that shares most words with the address
    (words of the resource type count double), its sandbox comment quoted. The fallback is a
    heuristic: it names a *likely* cause, and says so.
    """
    for row in gap_rows:
        if row.covers(stack, address):
            switch = ", ".join(row.switches) or "see the row"
            return f"{switch} ({row.doc}): {row.reason}", row.switches[0].split("=")[0].strip() if row.switches else ""
    if prod is None or sandbox is None:
        return "no tfvars to compare", ""
    base = strip_instance_keys(address)
    resource_part = base.rsplit(".", 2)[-2] if base.count(".") >= 1 else base
    type_words, path_words = _tokens(resource_part), _tokens(base)
    best: tuple[int, int, str] | None = None
    for name, switched_off in _differing(prod, sandbox):
        words = _tokens(name)
        score = 2 * len(words & type_words) + len(words & path_words)
        if score == 0:
            continue
        rank = (score, 1 if switched_off else 0, name)
        if best is None or rank[:2] > best[:2]:
            best = rank
    if best is None:
        return "not created with the sandbox tfvars (no differing variable matches this address)", ""
    name = best[2]
    comment = sandbox.comment(name)
    value = sandbox.values.get(name, "(not set: module default)")
    reason = f"likely {name} = {value if isinstance(value, str) else json.dumps(value)} in the sandbox"
    return (reason + (f": {comment}" if comment else "")), name
