"""Reading IAM-style policy documents, and the policy checks several services share.

Why apart: S3 bucket policies, IAM role policies, SNS topic policies, Lambda resource policies
and OpenSearch access policies are the same JSON language; least privilege, "not public" and
"TLS only" are judged the same way wherever the document comes from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from runbook_lib.infra.verify.core import Outcome

LEAST_PRIVILEGE = "no Allow of * or service:* on Resource *"


def policy_document(value: Any) -> dict[str, Any]:
    """A policy document as a dict, from a dict, JSON text, or URL-encoded JSON (IAM's wire form)."""
    if isinstance(value, Mapping):
        return dict(value)
    if not value:
        return {}
    text = str(value)
    if not text.lstrip().startswith("{"):
        text = unquote(text)
    return dict(json.loads(text))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def statements(document: Any) -> list[dict[str, Any]]:
    return [dict(s) for s in _as_list(policy_document(document).get("Statement"))]


def _is_broad_action(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def broad_statements(document: Any) -> list[str]:
    """Allow statements granting ``*``/``service:*`` (or ``NotAction``) on Resource ``*``."""
    found: list[str] = []
    for index, st in enumerate(statements(document)):
        if st.get("Effect") != "Allow":
            continue
        resources = _as_list(st.get("Resource"))
        if "*" not in resources and not (st.get("NotResource") is not None):
            continue
        actions = [str(a) for a in _as_list(st.get("Action"))]
        label = st.get("Sid") or f"#{index}"
        if "NotAction" in st:
            found.append(f"{label}: Allow NotAction {_as_list(st['NotAction'])} on *")
        broad = [a for a in actions if _is_broad_action(a)]
        if broad:
            found.append(f"{label}: Allow {broad} on *")
    return found


def _principal_is_public(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any("*" in _as_list(v) for v in principal.values())
    return False


def public_statements(document: Any) -> list[str]:
    """Allow statements open to any principal without a condition (a public resource policy)."""
    return [
        str(st.get("Sid") or f"#{i}")
        for i, st in enumerate(statements(document))
        if st.get("Effect") == "Allow" and _principal_is_public(st.get("Principal")) and not st.get("Condition")
    ]


def is_tls_only_deny(statement: Mapping[str, Any], action_prefix: str = "s3") -> bool:
    """A Deny of every action to everyone when ``aws:SecureTransport`` is false."""
    if statement.get("Effect") != "Deny" or not _principal_is_public(statement.get("Principal")):
        return False
    actions = [str(a) for a in _as_list(statement.get("Action"))]
    if not any(a in ("*", f"{action_prefix}:*") for a in actions):
        return False
    for operator, conditions in (statement.get("Condition") or {}).items():
        if operator.lower() != "bool":
            continue
        for key, value in conditions.items():
            if key.lower() == "aws:securetransport" and [str(v).lower() for v in _as_list(value)] == ["false"]:
                return True
    return False


def same_document(a: Any, b: Any) -> bool:
    """Two policies equal as statements (order of statements and list members ignored)."""

    def norm(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: norm(v) for k, v in sorted(value.items()) if k != "Sid" or v}
        if isinstance(value, list):
            items = [norm(v) for v in value]
            return (
                sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
                if len(items) > 1
                else (items[0] if items else [])
            )
        return value

    try:
        da, db = policy_document(a), policy_document(b)
    except (ValueError, TypeError):
        return False
    return norm(da.get("Statement")) == norm(db.get("Statement"))


# ----------------------------------------------------------------------------------------------
# Outcomes several services share
# ----------------------------------------------------------------------------------------------
def matches_state(same: bool) -> Outcome:
    """The policy AWS holds is the one in the state (someone may have replaced it since apply)."""
    return Outcome("matches state", "the policy in state", "same" if same else "different", same)


def least_privilege(document: Any) -> Outcome:
    """No statement of the document allows ``*`` or ``service:*`` on every resource."""
    return least_privilege_of(broad_statements(document))


def least_privilege_of(broad: list[str], *, none: str = "none") -> Outcome:
    """The outcome for broad statements collected from several documents; ``none`` says what was read."""
    return Outcome("iam.least_privilege", LEAST_PRIVILEGE, broad or none, not broad)


def no_public_policy(check: str, document: Any) -> Outcome:
    """A resource policy grants nothing to everyone without a condition."""
    public = public_statements(document)
    return Outcome(check, "no unconditional Allow to *", public or "none", not public)
