"""SQS verifiers: queues encrypted (SSE-KMS or SQS-managed SSE)."""

from __future__ import annotations

from collections.abc import Iterator

from runbook_lib.infra.verify.core import Outcome, VerifyContext
from runbook_lib.terraform.state import StateResource


def verify_sqs_queue(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    sqs = ctx.client("sqs")
    url = sqs.get_queue_url(QueueName=r.get("name"))["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    key = attributes.get("KmsMasterKeyId")
    managed = str(attributes.get("SqsManagedSseEnabled", "false")).lower() == "true"
    yield Outcome(
        "sqs.encryption",
        "SSE-KMS (or SQS-managed SSE)",
        key or ("SQS-managed" if managed else "none"),
        bool(key) or managed,
    )
