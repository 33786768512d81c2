"""Terraform state as typed objects: what ``terraform show -json`` (no plan file) reports for a stack.

Why a separate parser from :mod:`runbook_lib.terraform.plan`: a plan says what *will* change, a state
says what Terraform believes *exists*; post-apply verification starts from the latter and
reads each resource back from AWS. The JSON form (``values.root_module`` with nested
``child_modules``) is parsed here, never the human ``terraform show`` text.

Sensitive attributes (``sensitive_values`` marks) are replaced by
:data:`~runbook_lib.terraform.plan.SENSITIVE` before a value reaches a dataclass, and every masked
string is handed to ``secret_sink`` (the runner registers them with the redactor), so a
state that holds a generated password can be tabled without leaking it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.errors import PlanError
from runbook_lib.terraform.plan import collect_strings, mask_sensitive

ROOT_MODULE = "(root)"


@dataclass(frozen=True)
class StateResource:
    """One resource instance recorded in a state.

    ``values`` are the provider's attributes with sensitive ones masked; ``module`` is the
    module address (``module.lake``) or :data:`ROOT_MODULE`.
    """

    address: str
    mode: str  # "managed" | "data"
    type: str
    name: str
    module: str
    index: Any
    provider: str
    values: Mapping[str, Any]

    @property
    def managed(self) -> bool:
        return self.mode == "managed"

    def get(self, key: str, default: Any = None) -> Any:
        """An attribute, ``default`` when absent or null."""
        value = self.values.get(key)
        return default if value is None else value

    def block(self, key: str) -> Mapping[str, Any]:
        """The first element of a nested block (``rule``, ``server_side_encryption`` …), or ``{}``."""
        value = self.values.get(key)
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            return value[0]
        if isinstance(value, Mapping):
            return value
        return {}


@dataclass(frozen=True)
class TfState:
    """A parsed state: its resources (managed and data) and root outputs (sensitive ones masked)."""

    terraform_version: str
    resources: tuple[StateResource, ...] = ()
    outputs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def managed(self) -> list[StateResource]:
        """Managed resources only: what was created, and what verification reads back."""
        return [r for r in self.resources if r.managed]

    def by_type(self, resource_type: str) -> list[StateResource]:
        return [r for r in self.resources if r.managed and r.type == resource_type]

    def by_address(self) -> dict[str, StateResource]:
        return {r.address: r for r in self.resources}

    @property
    def empty(self) -> bool:
        return not self.managed


def _walk(module: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(module address, raw resource) for a module and all its descendants, depth first."""
    address = module.get("address") or ROOT_MODULE
    for raw in module.get("resources") or ():
        yield address, raw
    for child in module.get("child_modules") or ():
        yield from _walk(child)


def parse_state(
    data: Mapping[str, Any] | str | bytes,
    *,
    secret_sink: Callable[[str], None] | None = None,
) -> TfState:
    """Parse ``terraform show -json`` of a state (not of a plan file).

    An empty or never-applied state (``{"format_version": "1.0"}`` without ``values``) is a
    :class:`TfState` with no resources, not an error: "nothing applied" is an answer.

    Raises:
        PlanError: the document is a plan, or not Terraform JSON at all.
    """
    if isinstance(data, (str, bytes)):
        data = json.loads(data or "{}")
    if not isinstance(data, Mapping) or ("format_version" not in data and data):
        raise PlanError("not a terraform state JSON document", hint="produce it with `terraform show -json`")
    if "resource_changes" in data or "planned_values" in data:
        raise PlanError(
            "the JSON is a plan, not a state", hint="run `terraform show -json` without a plan file"
        )
    values = data.get("values") or {}
    resources: list[StateResource] = []
    for module, raw in _walk(values.get("root_module") or {}):
        sensitive = raw.get("sensitive_values") or {}
        attrs = raw.get("values") or {}
        if secret_sink is not None and sensitive:
            _collect_masked(attrs, sensitive, secret_sink)
        resources.append(
            StateResource(
                address=str(raw["address"]),
                mode=str(raw.get("mode", "managed")),
                type=str(raw.get("type", "")),
                name=str(raw.get("name", "")),
                module=module,
                index=raw.get("index"),
                provider=str(raw.get("provider_name", "")),
                values=mask_sensitive(attrs, sensitive) or {},
            )
        )
    outputs: dict[str, Any] = {}
    for name, out in (values.get("outputs") or {}).items():
        if out.get("sensitive"):
            if secret_sink is not None:
                collect_strings(out.get("value"), secret_sink)
            outputs[name] = mask_sensitive(out.get("value"), True)
        else:
            outputs[name] = out.get("value")
    return TfState(str(data.get("terraform_version", "")), tuple(resources), outputs)


def _collect_masked(value: Any, mask: Any, sink: Callable[[str], None]) -> None:
    """Hand every string under a ``true`` of the sensitivity mask to ``sink``."""
    if mask is True:
        collect_strings(value, sink)
    elif isinstance(mask, Mapping) and isinstance(value, Mapping):
        for key, sub in mask.items():
            if sub and key in value:
                _collect_masked(value[key], sub, sink)
    elif isinstance(mask, list) and isinstance(value, list):
        for item, sub in zip(value, mask, strict=False):
            if sub:
                _collect_masked(item, sub, sink)


def load_state_json(path: str | Path) -> TfState:
    """Parse a saved ``show -json`` state document (fixtures, evidence folders)."""
    return parse_state(Path(path).read_bytes())
