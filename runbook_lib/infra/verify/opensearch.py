"""OpenSearch verifiers: domains encrypted at rest and between nodes, HTTPS only, inside a VPC;
access policies as the state records them.
"""

from __future__ import annotations

from collections.abc import Iterator

from runbook_lib.infra.verify.core import Outcome, VerifyContext, dig, equal
from runbook_lib.infra.verify.policy import matches_state, same_document
from runbook_lib.terraform.state import StateResource

#: Domain settings that must be on: check -> (options block, its flag).
_DOMAIN_FLAGS = (
    ("opensearch.encryption_at_rest", "EncryptionAtRestOptions", "Enabled"),
    ("opensearch.node_to_node_encryption", "NodeToNodeEncryptionOptions", "Enabled"),
    ("opensearch.enforce_https", "DomainEndpointOptions", "EnforceHTTPS"),
)


def _domain(r: StateResource, ctx: VerifyContext) -> dict:
    return ctx.client("opensearch").describe_domain(DomainName=r.get("domain_name"))["DomainStatus"]


def verify_opensearch_domain(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    domain = _domain(r, ctx)
    for check, block, flag in _DOMAIN_FLAGS:
        yield equal(check, True, bool(dig(domain, block, flag)))
    yield Outcome(
        "opensearch.in_vpc",
        "VPC endpoint",
        "VPC" if domain.get("VPCOptions") else "public endpoint",
        bool(dig(domain, "VPCOptions", "SubnetIds")),
    )


def verify_opensearch_policy(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    yield matches_state(same_document(_domain(r, ctx).get("AccessPolicies") or "{}", r.get("access_policies")))
