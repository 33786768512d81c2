"""EMR verifiers: security configurations encrypt at rest and in transit; clusters run under one."""

from __future__ import annotations

import json
from collections.abc import Iterator

from runbook_lib.infra.verify.core import ListedIn, Lookup, Outcome, VerifyContext, configured, equal
from runbook_lib.terraform.state import StateResource


def verify_emr_security_configuration(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    raw = ctx.client("emr").describe_security_configuration(Name=r.get("name"))["SecurityConfiguration"]
    enc = json.loads(raw).get("EncryptionConfiguration", {})
    yield equal("emr.encryption_at_rest", True, bool(enc.get("EnableAtRestEncryption")))
    yield equal("emr.encryption_in_transit", True, bool(enc.get("EnableInTransitEncryption")))


def verify_emr_cluster(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    cluster = ctx.client("emr").describe_cluster(ClusterId=r.get("id"))["Cluster"]
    yield configured(
        "emr.security_configuration",
        r.get("security_configuration") or "a security configuration",
        cluster.get("SecurityConfiguration"),
    )
    state = cluster.get("Status", {}).get("State")
    yield Outcome("running", "not terminated", state, state not in ("TERMINATED", "TERMINATED_WITH_ERRORS"))


verify_emr_instance_group = ListedIn(
    Lookup("emr", "list_instance_groups", {"ClusterId": "cluster_id"}),
    items="InstanceGroups",
    field="Id",
    attribute="id",
)
