"""ECR verifiers: repositories KMS-encrypted, scanning on push, with immutable tags; lifecycle policies
as the state records them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from runbook_lib.infra.verify.core import Outcome, VerifyContext, dig, equal
from runbook_lib.terraform.state import StateResource


def verify_ecr_repository(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    repo = ctx.client("ecr").describe_repositories(repositoryNames=[r.get("name")])["repositories"][0]
    enc = repo.get("encryptionConfiguration") or {}
    yield Outcome(
        "ecr.kms",
        "KMS",
        f"{enc.get('encryptionType', 'AES256')} {enc.get('kmsKey', '')}".strip(),
        enc.get("encryptionType") == "KMS",
    )
    yield equal("ecr.scan_on_push", True, bool(dig(repo, "imageScanningConfiguration", "scanOnPush")))
    yield equal("ecr.immutable_tags", r.get("image_tag_mutability") or "IMMUTABLE", repo.get("imageTagMutability"))


def verify_ecr_lifecycle(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    policy = ctx.client("ecr").get_lifecycle_policy(repositoryName=r.get("repository"))["lifecyclePolicyText"]
    yield equal("matches state", json.loads(r.get("policy")), json.loads(policy))
