"""Which attributes a plan's configuration sets, per resource: to tell drift from what settles after a create.

Why: right after an apply, a refresh-only plan reads attributes the configuration does not set and that the
stack's own later resources fill in — a role's ``inline_policy`` once its ``aws_iam_role_policy`` exists, an
Elastic IP's ``association_id`` once the NAT gateway holds it. Terraform recorded those attributes when it
created the resource, before the rest existed, so the first refresh lists them as changed. Nothing was changed
outside Terraform: on AWS exactly as in the sandbox. :func:`settled_after_create` separates such items, only for
resources the last apply created and only when every changed attribute is one the configuration does not set,
so a hand edit of a configured attribute — or any change to a resource that existed before — is still drift.

Read from ``show -json``'s ``configuration`` (``root_module`` and nested ``module_calls``), never from HCL text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# Instance keys in an address: [0], ["name"] (a quoted key may hold any character but a quote).
_INSTANCE_KEY = re.compile(r'\[(?:"[^"]*"|[^\]]*)\]')
_TOP_LEVEL = re.compile(r"^[^.\[]+")


def configured_attributes(plan_json: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Config address (``module.iam.aws_iam_role.this``) -> the top-level attribute and block names it sets."""
    found: dict[str, frozenset[str]] = {}

    def walk(module: Mapping[str, Any], prefix: str) -> None:
        for resource in module.get("resources") or ():
            if resource.get("mode", "managed") != "managed":
                continue
            found[prefix + str(resource.get("address"))] = frozenset((resource.get("expressions") or {}).keys())
        for name, call in (module.get("module_calls") or {}).items():
            walk(call.get("module") or {}, f"{prefix}module.{name}.")

    walk((plan_json.get("configuration") or {}).get("root_module") or {}, "")
    return found


def config_address(resource_address: str) -> str:
    """``module.a["x"].aws_y.z[0]`` -> ``module.a.aws_y.z`` (the configuration block all instances share)."""
    return _INSTANCE_KEY.sub("", resource_address)


def top_level(path: str) -> str:
    """``tags.Name`` / ``ingress[0].cidr_blocks`` -> ``tags`` / ``ingress``."""
    match = _TOP_LEVEL.match(path)
    return match.group(0) if match else path


def settled_after_create(
    address: str, changed: Iterable[str], *, created: frozenset[str], configured: Mapping[str, frozenset[str]]
) -> bool:
    """True when ``address`` was created by the last apply and none of ``changed`` is set by its configuration.

    Unknown configuration (a resource the plan's configuration does not describe) is never "settled": it stays drift.
    """
    if address not in created:
        return False
    names = configured.get(config_address(address))
    changed = [top_level(p) for p in changed]
    return names is not None and bool(changed) and not any(name in names for name in changed)
