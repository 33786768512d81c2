"""KMS verifiers: keys are enabled and rotate; aliases point at the key the state records."""

from __future__ import annotations

from collections.abc import Iterator

from runbook_lib.infra.verify.core import Lookup, MatchesState, Outcome, VerifyContext, equal
from runbook_lib.terraform.state import StateResource


def verify_kms_key(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    kms = ctx.client("kms")
    meta = kms.describe_key(KeyId=r.get("key_id") or r.get("id"))["KeyMetadata"]
    yield equal("kms.enabled", "Enabled", meta.get("KeyState"))
    if meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT":
        rotation = kms.get_key_rotation_status(KeyId=meta["KeyId"]).get("KeyRotationEnabled")
        yield equal("kms.rotation", True, rotation)


verify_kms_alias = MatchesState(
    "matches state: target key",
    Lookup("kms", "describe_key", {"KeyId": "name"}, ("KeyMetadata",)),
    field="KeyId",
    attribute="target_key_id",
)
