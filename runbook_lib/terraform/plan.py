"""A typed, read-only model of a saved Terraform plan (``terraform show -json PLANFILE``).

Why a model of our own: every gate, guard and evidence record in the runbook
asks the same questions of a plan - what does it do to each address, is any of
it destructive, what exactly changes on this one resource - and answering them
from raw nested dicts invites mistakes (``["delete", "create"]`` *is* a
replace; a sensitive value must never reach a table or a log). The plan is
parsed once into frozen dataclasses with values already masked, and the pandas
summaries are computed from one frame built in a single pass (no per-row
pandas work), so a 10,000-resource plan parses and summarises in well under a
second.

Masking: values Terraform marks sensitive (``before_sensitive`` /
``after_sensitive``) become :data:`SENSITIVE`; values it cannot know yet
(``after_unknown``) become :data:`UNKNOWN`. The masks are walked, not the
values, so masking costs nothing on resources that have no such values. The
raw JSON (which Terraform writes with sensitive values in clear, including the
``variables`` block) is not kept. What *is* kept per resource is the list of
sensitive attribute paths whose value changes, so that ``diff`` can still say
"the password changes" without knowing the password.

What is not modelled: ``planned_values``, ``prior_state``, ``configuration``
and ``relevant_attributes``; nothing in the runbook needs them.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from runbook_lib.errors import PlanError
from runbook_lib.terraform.configured import configured_attributes

log = logging.getLogger("runbook_lib.terraform.plan")

#: What a sensitive value is shown as.
SENSITIVE = "(sensitive)"
#: What a value that is only known after apply is shown as.
UNKNOWN = "(known after apply)"
#: Sensitive strings shorter than this are not hidden where they appear unmarked (they would blank
#: out ordinary values such as "true" or "us"); they are still masked where Terraform marks them.
MIN_MASKED_LENGTH = 4
#: Module column value for resources of the root module.
ROOT_MODULE = "(root)"

#: The derived actions, in the order tables show them. ``forget`` (Terraform >= 1.7 ``removed`` blocks
#: with ``destroy = false``) drops a resource from state without touching it; it is listed so that a
#: plan holding one is summarised honestly, and no policy approves it unless it is named.
ACTIONS: tuple[str, ...] = ("no-op", "create", "read", "update", "delete", "replace", "forget")
#: Actions that remove or recreate a real object.
DESTRUCTIVE_ACTIONS = frozenset({"delete", "replace"})

_REPLACE_ACTION_LISTS = {("delete", "create"), ("create", "delete")}
_SINGLE_ACTIONS = {"no-op", "create", "read", "update", "delete", "forget"}
_ABSENT = object()


def derive_action(actions: Sequence[str]) -> str:
    """One action word for Terraform's action list.

    Terraform reports a replacement as two actions: ``["delete", "create"]``
    (destroy first, the default) or ``["create", "delete"]``
    (``create_before_destroy``). Both are a ``replace``.

    Raises:
        PlanError: for an action list this Terraform model does not know (a newer plan format).
    """
    key = tuple(actions)
    if key in _REPLACE_ACTION_LISTS:
        return "replace"
    if len(key) == 1 and key[0] in _SINGLE_ACTIONS:
        return key[0]
    if key == ("create", "forget") or key == ("forget", "create"):
        # Terraform >= 1.7: the old object is forgotten (kept in the cloud) and a new one created.
        return "replace"
    raise PlanError(
        f"unknown plan action list {list(actions)!r}", hint="upgrade runbook_lib for this plan format"
    )


# ----------------------------------------------------------------------------------------------
# Masking (walk the masks, never the values)
# ----------------------------------------------------------------------------------------------
def _overlay(value: Any, mask: Any, placeholder: str, *, insert_missing: bool) -> Any:
    """``value`` with every position the mask marks ``true`` replaced by ``placeholder``.

    Only the containers on a path to a ``true`` are copied; everything else is
    shared with the parsed JSON (which nothing mutates).
    """
    if mask is True:
        return placeholder
    if not mask:
        return value
    if isinstance(mask, dict):
        if not isinstance(value, dict):
            if not insert_missing:
                return value
            value = {}
        out = None
        for key, sub in mask.items():
            if not sub:
                continue
            if key not in value and not insert_missing:
                continue
            new = _overlay(value.get(key), sub, placeholder, insert_missing=insert_missing)
            if out is None:
                out = dict(value)
            out[key] = new
        return value if out is None else out
    if isinstance(mask, list):
        if not isinstance(value, list):
            if not insert_missing:
                return value
            value = []
        out_list = None
        for index, sub in enumerate(mask):
            if not sub:
                continue
            if index >= len(value) and not insert_missing:
                continue
            if out_list is None:
                out_list = list(value) + [None] * max(0, len(mask) - len(value))
            out_list[index] = _overlay(
                value[index] if index < len(value) else None, sub, placeholder, insert_missing=insert_missing
            )
        return value if out_list is None else out_list
    return value


def mask_sensitive(value: Any, sensitive: Any) -> Any:
    """``value`` with the positions ``sensitive`` marks replaced by :data:`SENSITIVE`."""
    if value is None:
        return None
    return _overlay(value, sensitive, SENSITIVE, insert_missing=False)


def mark_unknown(value: Any, unknown: Any) -> Any:
    """``value`` with the positions ``after_unknown`` marks set to :data:`UNKNOWN` (added when absent)."""
    return _overlay(value, unknown, UNKNOWN, insert_missing=True)


def _true_paths(mask: Any) -> list[tuple[Any, ...]]:
    """Every path at which a sensitivity/unknown mask is ``true`` (iterative: this runs per resource)."""
    if mask is True:
        return [()]
    found: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), mask)]
    while stack:
        prefix, node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, sub in items:
            if sub is True:
                found.append((*prefix, key))
            elif sub:
                stack.append(((*prefix, key), sub))
    return found


def _get_path(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        if isinstance(value, dict) and isinstance(part, str):
            if part not in value:
                return _ABSENT
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int):
            if part >= len(value):
                return _ABSENT
            value = value[part]
        else:
            return _ABSENT
    return value


def _mask_equal(value: Any, secrets: frozenset[str]) -> Any:
    """``value`` with every string leaf equal to a known sensitive value replaced by :data:`SENSITIVE`.

    Terraform does not always carry sensitivity marks through (``terraform_data.output``
    copies a sensitive ``input`` unmarked); a value that is sensitive in one place is
    hidden everywhere in the plan. Containers are copied only where something changes;
    leaves are handled inline because this walks every value of the plan.
    """
    container = value.__class__
    if container is dict or container is list:
        out: Any = None
        for key, item in value.items() if container is dict else enumerate(value):
            cls = item.__class__
            if cls is str:
                if item not in secrets:
                    continue
                new: Any = SENSITIVE
            elif cls is dict or cls is list:
                new = _mask_equal(item, secrets)
                if new is item:
                    continue
            else:
                continue
            if out is None:
                out = container(value)  # a shallow copy: dict(value) or list(value)
            out[key] = new
        return value if out is None else out
    if container is str and value in secrets:
        return SENSITIVE
    return value


def collect_strings(value: Any, sink: Callable[[str], None]) -> None:
    """Call ``sink`` with every string inside ``value`` (used to hand secrets to the redactor)."""
    if isinstance(value, str):
        sink(value)
    elif isinstance(value, dict):
        for item in value.values():
            collect_strings(item, sink)
    elif isinstance(value, list):
        for item in value:
            collect_strings(item, sink)


# ----------------------------------------------------------------------------------------------
# Paths
# ----------------------------------------------------------------------------------------------
def format_path(path: Sequence[Any]) -> str:
    """``("tags", "Owner")`` -> ``tags.Owner``; ``("rule", 0, "id")`` -> ``rule[0].id``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("_", "a").replace("-", "a").isalnum() and not part[:1].isdigit():
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def render_value(value: Any) -> str:
    """A value as one readable cell: strings bare, everything else as compact JSON."""
    if value is _ABSENT:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _walk_diff(
    before: Any, after: Any, path: tuple[Any, ...], out: list[tuple[tuple[Any, ...], Any, Any]]
) -> None:
    if before is after or before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            _walk_diff(before.get(key, _ABSENT), after.get(key, _ABSENT), (*path, key), out)
        return
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (b, a) in enumerate(zip(before, after, strict=True)):
            _walk_diff(b, a, (*path, index), out)
        return
    if (before is _ABSENT and after is None) or (after is _ABSENT and before is None):
        return
    out.append((path, before, after))


# ----------------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AttributeChange:
    """One attribute that differs between before and after; values are masked and rendered."""

    path: str
    before: str
    after: str
    forces_replacement: bool = False


@dataclass(frozen=True, slots=True)
class ResourceChange:
    """One entry of ``resource_changes`` (or ``resource_drift``), values masked.

    ``key`` is the address, except for a *deposed* object (left over from a
    failed create-before-destroy) which shares its address with the current
    one and is keyed ``"<address> (deposed <id>)"``.
    """

    address: str
    type: str
    name: str
    module_address: str | None
    provider: str
    mode: str
    actions: tuple[str, ...]
    action: str
    before: Any
    after: Any
    replace_paths: tuple[tuple[Any, ...], ...] = ()
    action_reason: str | None = None
    index: Any = None
    deposed: str | None = None
    #: Sensitive attribute paths whose (hidden) value differs between before and after.
    sensitive_changes: tuple[tuple[Any, ...], ...] = ()

    @property
    def key(self) -> str:
        return f"{self.address} (deposed {self.deposed})" if self.deposed else self.address

    @property
    def is_destructive(self) -> bool:
        return self.action in DESTRUCTIVE_ACTIONS

    def attribute_changes(self) -> list[AttributeChange]:
        """What changes on this resource, attribute by attribute (only changed ones)."""
        found: list[tuple[tuple[Any, ...], Any, Any]] = []
        before = self.before if self.before is not None else {}
        after = self.after if self.after is not None else {}
        _walk_diff(before, after, (), found)
        seen = {p for p, _, _ in found}
        for path in self.sensitive_changes:
            if path not in seen:
                found.append((path, SENSITIVE, SENSITIVE))
        found.sort(key=lambda item: format_path(item[0]))
        return [
            AttributeChange(
                path=format_path(path) or "(whole object)",
                before=render_value(b),
                after=render_value(a),
                forces_replacement=any(path[: len(rp)] == rp for rp in self.replace_paths),
            )
            for path, b, a in found
        ]


@dataclass(frozen=True, slots=True)
class OutputChange:
    """One entry of ``output_changes``; a sensitive output's values are :data:`SENSITIVE`."""

    name: str
    actions: tuple[str, ...]
    action: str
    before: Any
    after: Any
    sensitive: bool


def parse_resource_change(
    raw: Mapping[str, Any], *, secret_sink: Callable[[str], None] | None = None
) -> ResourceChange:
    """One ``resource_changes`` element to a :class:`ResourceChange` (masking applied).

    Args:
        raw: the element as ``show -json`` writes it.
        secret_sink: called with every sensitive string value (e.g. the redactor's
            ``register_secret``), so a value hidden here is also hidden anywhere else it turns up.
    """
    change = raw.get("change") or {}
    actions = tuple(change.get("actions") or ("no-op",))
    action = derive_action(actions)
    before_raw = change.get("before")
    after_raw = change.get("after")
    before_sensitive = change.get("before_sensitive") or False
    after_sensitive = change.get("after_sensitive") or False
    after_unknown = change.get("after_unknown") or False

    sensitive_changes: tuple[tuple[Any, ...], ...] = ()
    if before_sensitive or after_sensitive:
        paths = _true_paths(before_sensitive)
        if after_sensitive != before_sensitive:
            paths = list(dict.fromkeys([*paths, *_true_paths(after_sensitive)]))
        compare = action in ("update", "replace", "no-op")
        changed = []
        for path in paths:
            b, a = _get_path(before_raw, path), _get_path(after_raw, path)
            if secret_sink is not None:
                if b is not _ABSENT:
                    collect_strings(b, secret_sink)
                if a is not _ABSENT:
                    collect_strings(a, secret_sink)
            if compare and b != a:
                changed.append(path)
        sensitive_changes = tuple(changed)

    before = mask_sensitive(before_raw, before_sensitive) if before_sensitive else before_raw
    after = after_raw
    if after_unknown:
        after = mark_unknown(after_raw, after_unknown)
    if after_sensitive:
        after = mask_sensitive(after, after_sensitive)

    replace_paths = tuple(tuple(p) for p in change.get("replace_paths") or ())
    return ResourceChange(
        address=raw["address"],
        type=raw.get("type", ""),
        name=raw.get("name", ""),
        module_address=raw.get("module_address"),
        provider=raw.get("provider_name", ""),
        mode=raw.get("mode", "managed"),
        actions=actions,
        action=action,
        before=before,
        after=after,
        replace_paths=replace_paths,
        action_reason=raw.get("action_reason"),
        index=raw.get("index"),
        deposed=raw.get("deposed"),
        sensitive_changes=sensitive_changes,
    )


def _parse_output_change(
    name: str, raw: Mapping[str, Any], secret_sink: Callable[[str], None] | None
) -> OutputChange:
    actions = tuple(raw.get("actions") or ("no-op",))
    before_sensitive = raw.get("before_sensitive") or False
    after_sensitive = raw.get("after_sensitive") or False
    before, after = raw.get("before"), raw.get("after")
    if secret_sink is not None:
        if before_sensitive is True:
            collect_strings(before, secret_sink)
        if after_sensitive is True:
            collect_strings(after, secret_sink)
    if raw.get("after_unknown"):
        after = mark_unknown(after, raw["after_unknown"])
    return OutputChange(
        name=name,
        actions=actions,
        action=derive_action(actions),
        before=mask_sensitive(before, before_sensitive),
        after=mask_sensitive(after, after_sensitive),
        sensitive=bool(before_sensitive is True or after_sensitive is True),
    )


@dataclass(frozen=True)
class Plan:
    """A parsed plan: its resource changes keyed by address, its output changes and drift.

    ``raw_sha256`` is the sha256 of the binary *plan file* this JSON was shown
    from (not of the JSON): it is what ties a review and a gate decision to the
    exact file that ``apply`` later runs.
    """

    format_version: str
    terraform_version: str
    resource_changes: dict[str, ResourceChange]
    output_changes: dict[str, OutputChange] = field(default_factory=dict)
    resource_drift: dict[str, ResourceChange] = field(default_factory=dict)
    raw_sha256: str | None = None
    applyable: bool | None = None
    errored: bool = False
    #: config address -> the attributes its configuration sets (``configuration`` of ``show -json``)
    configured: dict[str, frozenset[str]] = field(default_factory=dict)

    # -- selections ---------------------------------------------------------------------------
    @property
    def changes(self) -> dict[str, ResourceChange]:
        """Resource changes that do something (not ``no-op``)."""
        return {k: rc for k, rc in self.resource_changes.items() if rc.action != "no-op"}

    @property
    def actions(self) -> frozenset[str]:
        """The distinct derived actions in the plan."""
        return frozenset(rc.action for rc in self.resource_changes.values())

    @property
    def has_changes(self) -> bool:
        return any(rc.action != "no-op" for rc in self.resource_changes.values()) or any(
            oc.action != "no-op" for oc in self.output_changes.values()
        )

    def counts(self) -> dict[str, int]:
        """Number of resource changes per derived action (every action listed, zeros included)."""
        counts = dict.fromkeys(ACTIONS, 0)
        for rc in self.resource_changes.values():
            counts[rc.action] += 1
        return counts

    def summary_dict(self) -> dict[str, Any]:
        """A JSON-ready summary for evidence and ``--json`` output (no attribute values)."""
        return {
            "plan_sha256": self.raw_sha256,
            "terraform_version": self.terraform_version,
            "counts": self.counts(),
            "changes": [
                {"address": rc.key, "type": rc.type, "action": rc.action}
                for rc in self.resource_changes.values()
                if rc.action != "no-op"
            ],
            "output_changes": {n: oc.action for n, oc in self.output_changes.items() if oc.action != "no-op"},
        }

    # -- tables -------------------------------------------------------------------------------
    @cached_property
    def frame(self) -> pd.DataFrame:
        """One row per resource change: key, address, module, type, name, mode, action, provider.

        Built once, column by column, and cached (for filtering and display in notebooks).
        """
        rcs = list(self.resource_changes.values())
        return pd.DataFrame(
            {
                "key": [rc.key for rc in rcs],
                "address": [rc.address for rc in rcs],
                "module": [rc.module_address or ROOT_MODULE for rc in rcs],
                "type": [rc.type for rc in rcs],
                "name": [rc.name for rc in rcs],
                "mode": [rc.mode for rc in rcs],
                "action": pd.Categorical([rc.action for rc in rcs], categories=list(ACTIONS)),
                "provider": [rc.provider for rc in rcs],
            }
        )

    def summary_by_action(self) -> pd.DataFrame:
        """Columns ``action``, ``count``: a row per action, in :data:`ACTIONS` order (``forget`` if any)."""
        counts = self.counts()
        rows = [(a, n) for a, n in counts.items() if a != "forget" or n]
        return pd.DataFrame(rows, columns=["action", "count"])

    def _crosstab(self, by: str) -> pd.DataFrame:
        """Counts per (``by`` value, action), counted in one Python pass and framed once.

        Cheaper than ``groupby().unstack()`` for the few hundred groups a plan has.
        """
        pick = (lambda rc: rc.module_address or ROOT_MODULE) if by == "module" else (lambda rc: rc.type)
        pairs = Counter((pick(rc), rc.action) for rc in self.resource_changes.values())
        columns = [a for a in ACTIONS if a != "forget" or any(act == "forget" for _, act in pairs)]
        table: dict[str, dict[str, int]] = {}
        for (group, action), n in pairs.items():
            table.setdefault(group, dict.fromkeys(columns, 0))[action] = n
        rows = sorted(table.items(), key=lambda item: (-sum(item[1].values()), item[0]))
        return pd.DataFrame(
            {
                by: [group for group, _ in rows],
                **{a: [counts[a] for _, counts in rows] for a in columns},
                "total": [sum(counts.values()) for _, counts in rows],
            },
            columns=[by, *columns, "total"],
        )

    def summary_by_module(self) -> pd.DataFrame:
        """Rows per module (``(root)`` for the root module), a column per action, and ``total``."""
        return self._crosstab("module")

    def summary_by_type(self) -> pd.DataFrame:
        """Rows per resource type, a column per action, and ``total``."""
        return self._crosstab("type")

    def changes_frame(self) -> pd.DataFrame:
        """The rows of :attr:`frame` that do something, for a reviewer's eye."""
        frame = self.frame
        return frame[frame["action"] != "no-op"].reset_index(drop=True)

    def diff(self, address: str) -> pd.DataFrame:
        """What changes on one resource: columns ``attribute``, ``before``, ``after``, ``forces_replacement``.

        Only changed attributes are listed (nested maps and lists are followed to
        the leaf that changed); sensitive values show as :data:`SENSITIVE` and a
        sensitive value that changes is still listed.

        Raises:
            KeyError: ``address`` is not in the plan (the message names close matches).
        """
        rc = self.resource(address)
        rows = rc.attribute_changes()
        return pd.DataFrame(
            {
                "attribute": [r.path for r in rows],
                "before": [r.before for r in rows],
                "after": [r.after for r in rows],
                "forces_replacement": [r.forces_replacement for r in rows],
            }
        )

    def resource(self, address: str) -> ResourceChange:
        """The change for ``address`` (or a deposed key); ``KeyError`` naming close matches if absent."""
        try:
            return self.resource_changes[address]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(address, list(self.resource_changes), n=5)
            raise KeyError(f"{address!r} is not in the plan; close matches: {close or 'none'}") from None


def parse_plan(
    data: Mapping[str, Any] | str | bytes,
    *,
    plan_sha256: str | None = None,
    secret_sink: Callable[[str], None] | None = None,
) -> Plan:
    """Parse ``terraform show -json PLANFILE`` output into a :class:`Plan`.

    Args:
        data: the JSON text or the already-decoded object.
        plan_sha256: sha256 of the plan file the JSON was shown from.
        secret_sink: receives every sensitive string value met while masking (see
            :func:`parse_resource_change`).

    Raises:
        PlanError: the document is not a plan (e.g. ``show -json`` of a state file).
    """
    if isinstance(data, (str, bytes)):
        data = json.loads(data)
    if not isinstance(data, Mapping) or "format_version" not in data:
        raise PlanError(
            "not a terraform plan JSON document", hint="produce it with `terraform show -json PLANFILE`"
        )
    if "resource_changes" not in data and "planned_values" not in data and "resource_drift" not in data:
        raise PlanError(
            "the JSON has no resource_changes/planned_values: it is a state, not a plan",
            hint="run `terraform show -json` on a saved plan file",
        )

    secrets: set[str] = set()

    def sink(value: str) -> None:
        if len(value) >= MIN_MASKED_LENGTH:
            secrets.add(value)
        if secret_sink is not None:
            secret_sink(value)

    def keyed(items: Any) -> dict[str, ResourceChange]:
        out: dict[str, ResourceChange] = {}
        for raw in items or ():
            rc = parse_resource_change(raw, secret_sink=sink)
            out[rc.key] = rc
        return out

    changes = keyed(data.get("resource_changes"))
    drift = keyed(data.get("resource_drift"))
    outputs = {
        name: _parse_output_change(name, raw, sink)
        for name, raw in (data.get("output_changes") or {}).items()
    }
    if secrets:
        frozen = frozenset(secrets)

        def scrub(rc: ResourceChange) -> ResourceChange:
            before, after = _mask_equal(rc.before, frozen), _mask_equal(rc.after, frozen)
            if before is rc.before and after is rc.after:
                return rc
            return replace(rc, before=before, after=after)

        changes = {k: scrub(rc) for k, rc in changes.items()}
        drift = {k: scrub(rc) for k, rc in drift.items()}
        outputs = {
            k: replace(oc, before=_mask_equal(oc.before, frozen), after=_mask_equal(oc.after, frozen))
            for k, oc in outputs.items()
        }
    return Plan(
        format_version=str(data.get("format_version")),
        terraform_version=str(data.get("terraform_version", "")),
        resource_changes=changes,
        output_changes=outputs,
        resource_drift=drift,
        raw_sha256=plan_sha256,
        applyable=data.get("applyable"),
        errored=bool(data.get("errored", False)),
        configured=configured_attributes(data),
    )


def load_plan_json(path: str | Path, *, plan_sha256: str | None = None) -> Plan:
    """Parse a saved ``show -json`` document from disk (fixtures, evidence folders)."""
    return parse_plan(Path(path).read_bytes(), plan_sha256=plan_sha256)
