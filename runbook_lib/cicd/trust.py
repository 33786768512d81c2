"""Read the deploy role's trust policy back from IAM and check who it lets in.

Why read it back rather than trust the Terraform code: what matters is the policy IAM holds. A
``sub`` condition that is a pattern (``StringLike`` with ``*``), names another repository, or lists a
branch instead of a GitHub environment lets jobs assume the role that never passed the protected
environment's approval. The check is strict: every web-identity statement must pin ``aud`` to
``sts.amazonaws.com`` and ``sub`` with ``StringEquals`` to ``repo:OWNER/REPO:environment:ENV`` values
of this repository only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from runbook_lib.clients import aws_client

OIDC_HOST = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"


@dataclass(frozen=True)
class TrustCheck:
    """The subjects a role trusts and what is wrong with its trust policy (empty = restricted as required)."""

    role_name: str
    subjects: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_frame(self) -> Any:
        """A row per trusted subject, then a row per problem: what an auditor reads of the applied trust."""
        import pandas as pd

        rows = [{"role": self.role_name, "trusted subject": s, "problem": ""} for s in self.subjects]
        rows += [{"role": self.role_name, "trusted subject": "", "problem": p} for p in self.problems]
        return pd.DataFrame(rows, columns=["role", "trusted subject", "problem"])


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def check_trust_policy(
    document: Mapping[str, Any] | str,
    *,
    repository: str,
    environments: Sequence[str] | None = None,
    role_name: str = "",
) -> TrustCheck:
    """Check a trust policy document (dict, JSON, or IAM's URL-encoded JSON).

    Args:
        document: the ``AssumeRolePolicyDocument``.
        repository: the one ``owner/name`` whose environments may assume the role.
        environments: if given, the trusted environments must be exactly these.
        role_name: for the report.
    """
    if isinstance(document, str):
        document = json.loads(unquote(document) if document.startswith("%7B") else document)
    problems: list[str] = []
    subjects: list[str] = []
    prefix = f"repo:{repository}:environment:"
    statements = [s for s in _as_list(document.get("Statement", [])) if isinstance(s, Mapping)]
    web = [s for s in statements if "sts:AssumeRoleWithWebIdentity" in _as_list(s.get("Action", []))]
    if not web:
        problems.append("no sts:AssumeRoleWithWebIdentity statement")
    for statement in web:
        if statement.get("Effect") != "Allow":
            continue
        conditions = statement.get("Condition") or {}
        for test, block in conditions.items():
            if f"{OIDC_HOST}:sub" in block and test != "StringEquals":
                problems.append(f"sub is compared with {test}, not StringEquals")
        equals = conditions.get("StringEquals") or {}
        if _as_list(equals.get(f"{OIDC_HOST}:aud")) != [AUDIENCE]:
            problems.append(f"aud is not pinned to {AUDIENCE}")
        subs = [str(v) for test in conditions.values() for v in _as_list(test.get(f"{OIDC_HOST}:sub", []))]
        if not subs:
            problems.append("no sub condition: every repository's workflows could assume the role")
        for sub in subs:
            subjects.append(sub)
            if "*" in sub or "?" in sub:
                problems.append(f"wildcard subject {sub!r}")
            elif not sub.startswith(prefix) or not sub[len(prefix) :]:
                problems.append(f"subject {sub!r} is not an environment of {repository}")
    if environments is not None:
        expected = {f"{prefix}{e}" for e in environments}
        if set(subjects) != expected:
            problems.append(f"trusted subjects {sorted(set(subjects))} differ from {sorted(expected)}")
    return TrustCheck(role_name=role_name, subjects=tuple(subjects), problems=tuple(problems))


def read_trust_policy(role_arn: str, aws: Any) -> Mapping[str, Any]:
    """The trust policy IAM holds for ``role_arn`` (``iam:GetRole``), decoded."""
    iam = aws_client("iam", aws)
    role = iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
    document = role["AssumeRolePolicyDocument"]
    if isinstance(document, str):
        document = json.loads(unquote(document))
    return document


def check_applied_trust(
    role_arn: str, aws: Any, *, repository: str, environments: Sequence[str] | None = None
) -> TrustCheck:
    """Read the role's trust policy from IAM (or the sandbox) and check it (see :func:`check_trust_policy`)."""
    return check_trust_policy(
        read_trust_policy(role_arn, aws),
        repository=repository,
        environments=environments,
        role_name=role_arn.rsplit("/", 1)[-1],
    )
