"""MSK verifiers: clusters speak TLS to clients and between brokers, with data on a customer KMS key."""

from __future__ import annotations

from collections.abc import Iterator

from runbook_lib.infra.verify.core import CUSTOMER_KEY, Lookup, MatchesState, Outcome, VerifyContext, configured, equal
from runbook_lib.terraform.state import StateResource


def verify_msk_cluster(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    info = ctx.client("kafka").describe_cluster(ClusterArn=r.get("arn"))["ClusterInfo"]
    enc = info.get("EncryptionInfo") or {}
    transit = enc.get("EncryptionInTransit") or {}
    yield equal("msk.tls_client_broker", "TLS", transit.get("ClientBroker"))
    yield equal("msk.tls_in_cluster", True, bool(transit.get("InCluster")))
    key = (enc.get("EncryptionAtRest") or {}).get("DataVolumeKMSKeyId")
    yield configured("msk.encryption_at_rest", CUSTOMER_KEY, key, missing="AWS managed")


verify_msk_configuration = MatchesState(
    "exists",
    Lookup("kafka", "describe_configuration", {"Arn": "arn"}),
    field="Name",
    attribute="name",
)
