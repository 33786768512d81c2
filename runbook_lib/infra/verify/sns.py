"""SNS verifiers: topics encrypted with KMS, topic policies not public, subscriptions in place."""

from __future__ import annotations

from collections.abc import Iterator

from runbook_lib.infra.verify.core import Outcome, VerifyContext, configured, present
from runbook_lib.infra.verify.policy import matches_state, no_public_policy, same_document
from runbook_lib.terraform.state import StateResource


def verify_sns_topic(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    attributes = ctx.client("sns").get_topic_attributes(TopicArn=r.get("arn"))["Attributes"]
    yield configured("sns.kms", "a KMS key", attributes.get("KmsMasterKeyId"))


def verify_sns_topic_policy(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    policy = ctx.client("sns").get_topic_attributes(TopicArn=r.get("arn"))["Attributes"].get("Policy")
    yield matches_state(bool(policy) and same_document(policy, r.get("policy")))
    yield no_public_policy("sns.no_public_policy", policy or "{}")


def verify_sns_subscription(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    subs = ctx.client("sns").list_subscriptions_by_topic(TopicArn=r.get("topic_arn")).get("Subscriptions", [])
    found = any(s.get("Endpoint") == r.get("endpoint") and s.get("Protocol") == r.get("protocol") for s in subs)
    yield present("exists", found, f"{r.get('protocol')}:{r.get('endpoint')}")
