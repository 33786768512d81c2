"""Destroy order: which stacks read which (``terraform_remote_state``), and the waves that follow from it.

Stacks no remaining stack reads go together: each destroy mostly waits on the API, so a wave of
two takes as long as its slowest stack.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

_REMOTE_STATE_RE = re.compile(r'data\s+"terraform_remote_state"\s+"([A-Za-z0-9_-]+)"')
#: ``stacks = ["01_network_iam", ...]`` of a ``modules/stack_outputs`` call: the earlier states it reads.
_UPSTREAM_LIST_RE = re.compile(r"\b(?:upstream_)?stacks\s*=\s*\[([^\]]*)\]")


def stack_dependencies(stacks_dir: Path, stacks: Sequence[str]) -> dict[str, set[str]]:
    """Which earlier stacks each stack reads: ``terraform_remote_state "network_iam"`` -> ``01_network_iam``,
    or the full names in ``stacks = [...]`` of the ``stack_outputs`` module call that reads them for it.

    The first stack (the state backend, which holds every other stack's state) is a dependency of all.
    """
    by_suffix = {stack.split("_", 1)[-1]: stack for stack in stacks}
    first = stacks[0] if stacks else None
    deps: dict[str, set[str]] = {}
    for stack in stacks:
        found: set[str] = set()
        for tf in sorted((stacks_dir / stack).glob("*.tf")):
            text = tf.read_text()
            for name in _REMOTE_STATE_RE.findall(text):
                if name in by_suffix and by_suffix[name] != stack:
                    found.add(by_suffix[name])
            for listed in _UPSTREAM_LIST_RE.findall(text):
                found |= {name for name in re.findall(r'"([^"]+)"', listed) if name in stacks and name != stack}
        if first is not None and stack != first:
            found.add(first)
        deps[stack] = found
    return deps


def destroy_waves(stacks: Sequence[str], deps: Mapping[str, set[str]]) -> list[list[str]]:
    """Reverse dependency order in waves: a stack goes once no stack still standing reads it.

    Within a wave the later stacks come first; a cycle (never in our stacks) falls back to one at a time.
    """
    standing = list(stacks)
    waves: list[list[str]] = []
    while standing:
        wave = [s for s in reversed(standing) if not any(s in deps.get(o, set()) for o in standing if o != s)]
        if not wave:
            wave = [standing[-1]]
        waves.append(wave)
        standing = [s for s in standing if s not in wave]
    return waves
