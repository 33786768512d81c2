"""Secrets Manager verifiers: secrets live (not scheduled for deletion), on a customer KMS key."""

from __future__ import annotations

from collections.abc import Iterator

from runbook_lib.infra.verify.core import (
    CUSTOMER_KEY,
    ListedIn,
    Lookup,
    Outcome,
    VerifyContext,
    configured,
    present,
)
from runbook_lib.terraform.state import StateResource


def verify_secret(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    secret = ctx.client("secretsmanager").describe_secret(SecretId=r.get("arn"))
    yield present("exists", not secret.get("DeletedDate"), r.get("name"))
    yield configured("secrets.kms", CUSTOMER_KEY, secret.get("KmsKeyId"), missing="aws/secretsmanager")


verify_secret_version = ListedIn(
    Lookup("secretsmanager", "list_secret_version_ids", {"SecretId": "secret_id"}),
    items="Versions",
    field="VersionId",
    attribute="version_id",
)
