"""S3 verifiers: buckets and their separate configuration resources, and objects.

The bucket verifier judges the security baseline (versioning, SSE-KMS unless the module chose
SSE-S3, no public access, TLS only); the ``aws_s3_bucket_*`` verifiers check that what AWS holds
matches the state.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from runbook_lib.infra.verify.core import Outcome, VerifyContext, equal, or_none, present
from runbook_lib.infra.verify.policy import (
    is_tls_only_deny,
    no_public_policy,
    policy_document,
    same_document,
    statements,
)
from runbook_lib.terraform.state import StateResource

#: The four public access block settings: Terraform attribute -> S3 API field.
_PAB = {
    "block_public_acls": "BlockPublicAcls",
    "ignore_public_acls": "IgnorePublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "restrict_public_buckets": "RestrictPublicBuckets",
}


def _bucket_encryption(ctx: VerifyContext, bucket: str) -> dict[str, Any] | None:
    response = or_none(
        lambda: ctx.client("s3").get_bucket_encryption(Bucket=bucket),
        "ServerSideEncryptionConfigurationNotFoundError",
    )
    if response is None:
        return None
    rules = response.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    return rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else None


def _bucket_policy(ctx: VerifyContext, bucket: str) -> dict[str, Any] | None:
    response = or_none(lambda: ctx.client("s3").get_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy")
    return None if response is None else policy_document(response.get("Policy"))


def _public_access_block(ctx: VerifyContext, bucket: str) -> dict[str, bool] | None:
    response = or_none(
        lambda: ctx.client("s3").get_public_access_block(Bucket=bucket),
        "NoSuchPublicAccessBlockConfiguration",
    )
    return None if response is None else dict(response.get("PublicAccessBlockConfiguration", {}))


def _sse_default(r: StateResource) -> Mapping[str, Any]:
    rule = r.block("rule")
    defaults = rule.get("apply_server_side_encryption_by_default") or []
    return defaults[0] if defaults else {}


def _all_four(have: Any, values: Mapping[str, bool]) -> Outcome:
    return Outcome("s3.public_access_block", "all four true", have, all(values.values()))


def verify_s3_bucket(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    """Versioning, default encryption (SSE-KMS unless the module chose SSE-S3), no public access, TLS only."""
    s3 = ctx.client("s3")
    bucket = r.get("bucket") or r.get("id")
    s3.head_bucket(Bucket=bucket)
    yield present("exists", True, bucket)
    status = s3.get_bucket_versioning(Bucket=bucket).get("Status", "not enabled")
    yield equal("s3.versioning", "Enabled", status)

    # The module's intent for the algorithm: its SSE configuration in the state (SSE-S3 for log buckets).
    configured = ctx.find("aws_s3_bucket_server_side_encryption_configuration", bucket=bucket)
    want_algorithm = "aws:kms"
    if configured:
        default = _sse_default(configured[0])
        want_algorithm = default.get("sse_algorithm") or want_algorithm
    sse = _bucket_encryption(ctx, bucket)
    actual = (sse or {}).get("SSEAlgorithm", "none")
    detail = "" if want_algorithm == "aws:kms" else "the module chose SSE-S3 for this bucket"
    if want_algorithm == "aws:kms" and actual == "aws:kms" and not (sse or {}).get("KMSMasterKeyID"):
        yield Outcome("s3.encryption", "aws:kms with a customer key", "aws:kms without a key id", False)
    else:
        yield Outcome("s3.encryption", want_algorithm, actual, actual == want_algorithm and actual != "none", detail)

    pab = _public_access_block(ctx, bucket)
    values = {k: (pab or {}).get(k, False) for k in _PAB.values()}
    yield _all_four(values if pab else "none", values)

    policy = _bucket_policy(ctx, bucket)
    tls = policy is not None and any(is_tls_only_deny(st) for st in statements(policy))
    yield Outcome(
        "s3.tls_only_policy",
        "Deny s3:* when aws:SecureTransport=false",
        "present" if tls else ("no bucket policy" if policy is None else "policy without the TLS deny"),
        tls,
    )
    if policy is not None:
        yield no_public_policy("s3.no_public_policy", policy)


def verify_s3_versioning(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    want = r.block("versioning_configuration").get("status", "Enabled")
    yield equal("matches state", want, ctx.client("s3").get_bucket_versioning(Bucket=r.get("bucket")).get("Status"))


def verify_s3_sse(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    default = _sse_default(r)
    sse = _bucket_encryption(ctx, r.get("bucket")) or {}
    yield equal("matches state: algorithm", default.get("sse_algorithm"), sse.get("SSEAlgorithm"))
    if default.get("kms_master_key_id"):
        yield equal("matches state: kms key", default.get("kms_master_key_id"), sse.get("KMSMasterKeyID"))


def verify_s3_pab(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    pab = _public_access_block(ctx, r.get("bucket")) or {}
    want = {aws: bool(r.get(tf, False)) for tf, aws in _PAB.items()}
    have = {aws: bool(pab.get(aws, False)) for aws in _PAB.values()}
    yield equal("matches state", want, have)
    yield _all_four(have, have)


def verify_s3_policy(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    policy = _bucket_policy(ctx, r.get("bucket"))
    same = bool(policy) and same_document(policy, r.get("policy"))
    yield Outcome(
        "matches state",
        "the policy in state",
        "same" if same else ("no policy" if policy is None else "different"),
        same,
    )
    yield no_public_policy("s3.no_public_policy", policy or {})


def verify_s3_ownership(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    rules = ctx.client("s3").get_bucket_ownership_controls(Bucket=r.get("bucket"))["OwnershipControls"]["Rules"]
    yield equal(
        "matches state",
        r.block("rule").get("object_ownership"),
        rules[0].get("ObjectOwnership") if rules else None,
    )


def verify_s3_lifecycle(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    rules = ctx.client("s3").get_bucket_lifecycle_configuration(Bucket=r.get("bucket")).get("Rules", [])
    want = sorted((x.get("id"), x.get("status")) for x in r.get("rule", []))
    yield equal("matches state: rules", want, sorted((x.get("ID"), x.get("Status")) for x in rules))


def verify_s3_logging(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    enabled = ctx.client("s3").get_bucket_logging(Bucket=r.get("bucket")).get("LoggingEnabled") or {}
    yield equal(
        "matches state: target",
        [r.get("target_bucket"), r.get("target_prefix", "")],
        [enabled.get("TargetBucket"), enabled.get("TargetPrefix", "")],
    )


def verify_s3_replication(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    config = ctx.client("s3").get_bucket_replication(Bucket=r.get("bucket"))["ReplicationConfiguration"]
    want = sorted(str(x.get("id")) for x in r.get("rule", []))
    yield equal("matches state: rules", want, sorted(str(x.get("ID")) for x in config.get("Rules", [])))
    yield equal("matches state: role", r.get("role"), config.get("Role"))


#: Notification targets: Terraform block -> S3 API list.
_NOTIFICATION_TARGETS = (
    ("queue", "QueueConfigurations"),
    ("topic", "TopicConfigurations"),
    ("lambda_function", "LambdaFunctionConfigurations"),
)


def verify_s3_notification(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    config = ctx.client("s3").get_bucket_notification_configuration(Bucket=r.get("bucket"))
    if r.get("eventbridge"):
        yield present("matches state: eventbridge", "EventBridgeConfiguration" in config, "EventBridgeConfiguration")
    for tf_key, aws_key in _NOTIFICATION_TARGETS:
        yield equal(f"matches state: {tf_key} targets", len(r.get(tf_key, [])), len(config.get(aws_key, [])))


def verify_s3_object(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    head = ctx.client("s3").head_object(Bucket=r.get("bucket"), Key=r.get("key"))
    yield present("exists", True, f"s3://{r.get('bucket')}/{r.get('key')}")
    yield equal("s3.object_encryption", r.get("server_side_encryption") or "aws:kms", head.get("ServerSideEncryption"))
