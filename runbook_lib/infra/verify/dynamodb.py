"""DynamoDB verifiers: tables encrypted with KMS, point-in-time recovery on, deletion protected."""

from __future__ import annotations

from collections.abc import Iterator

from runbook_lib.infra.verify.core import Outcome, VerifyContext, dig, equal
from runbook_lib.terraform.state import StateResource


def verify_dynamodb_table(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    ddb = ctx.client("dynamodb")
    table = ddb.describe_table(TableName=r.get("name"))["Table"]
    sse = table.get("SSEDescription") or {}
    yield Outcome(
        "dynamodb.encryption",
        "ENABLED (KMS)",
        f"{sse.get('Status', 'default (AWS owned key)')} ({sse.get('SSEType', '-')})",
        sse.get("Status") == "ENABLED" and sse.get("SSEType") == "KMS",
    )
    backups = ddb.describe_continuous_backups(TableName=r.get("name"))["ContinuousBackupsDescription"]
    yield equal("dynamodb.pitr", "ENABLED", dig(backups, "PointInTimeRecoveryDescription", "PointInTimeRecoveryStatus"))
    yield equal("dynamodb.deletion_protection", True, bool(table.get("DeletionProtectionEnabled")))
