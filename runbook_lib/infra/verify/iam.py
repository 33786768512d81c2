"""IAM verifiers: roles trust no one publicly, and every policy on them is least-privilege."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from runbook_lib.infra.verify.core import Outcome, VerifyContext, equal, present
from runbook_lib.infra.verify.policy import (
    broad_statements,
    least_privilege,
    least_privilege_of,
    matches_state,
    policy_document,
    public_statements,
    same_document,
)
from runbook_lib.terraform.state import StateResource


def _managed_policy_document(ctx: VerifyContext, arn: str) -> dict[str, Any]:
    """The default version of a managed policy, read once per run (many roles attach the same one)."""

    def load() -> dict[str, Any]:
        iam = ctx.client("iam")
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        return policy_document(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])

    return ctx.memo(("policy", arn), load)


def verify_iam_role(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    """The trust policy is not public, and every policy on the role (inline or managed) is least-privilege."""
    iam = ctx.client("iam")
    name = r.get("name") or r.get("id")
    role = iam.get_role(RoleName=name)["Role"]
    yield present("exists", True, role["Arn"])
    trust = policy_document(role.get("AssumeRolePolicyDocument"))
    public = public_statements(trust)
    yield Outcome("iam.trust_not_public", "no unconditional trust of *", public or "none", not public)
    broad: list[str] = []
    inline = iam.list_role_policies(RoleName=name).get("PolicyNames", [])
    for policy_name in inline:
        doc = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        broad += [f"inline {policy_name}: {s}" for s in broad_statements(doc)]
    attached = iam.list_attached_role_policies(RoleName=name).get("AttachedPolicies", [])
    for item in attached:
        broad += [
            f"managed {item['PolicyName']}: {s}"
            for s in broad_statements(_managed_policy_document(ctx, item["PolicyArn"]))
        ]
    yield least_privilege_of(broad, none=f"{len(inline)} inline, {len(attached)} managed: none")


def verify_iam_role_policy(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    doc = ctx.client("iam").get_role_policy(RoleName=r.get("role"), PolicyName=r.get("name"))["PolicyDocument"]
    yield matches_state(same_document(doc, r.get("policy")))
    yield least_privilege(doc)


def verify_iam_policy(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    yield least_privilege(_managed_policy_document(ctx, r.get("arn")))


def verify_iam_attachment(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    attached = ctx.client("iam").list_attached_role_policies(RoleName=r.get("role")).get("AttachedPolicies", [])
    arn = r.get("policy_arn")
    yield present("attached", any(p["PolicyArn"] == arn for p in attached), arn)
    yield least_privilege(_managed_policy_document(ctx, arn))


def verify_instance_profile(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    profile = ctx.client("iam").get_instance_profile(InstanceProfileName=r.get("name"))["InstanceProfile"]
    yield equal("matches state: role", [r.get("role")], [x["RoleName"] for x in profile.get("Roles", [])])


def verify_oidc_provider(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    provider = ctx.client("iam").get_open_id_connect_provider(OpenIDConnectProviderArn=r.get("arn"))
    yield equal(
        "matches state: client ids",
        sorted(r.get("client_id_list", [])),
        sorted(provider.get("ClientIDList", [])),
    )
