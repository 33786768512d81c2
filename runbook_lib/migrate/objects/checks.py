"""The pre-copy check of objects: buckets reachable, target settings, keys and sizes S3 would refuse.

Everything here only reads (the source is only listed, ``HeadBucket``/``GetBucket*`` on both sides)
and reports :class:`~runbook_lib.migrate.base.Finding` rows; nothing is written.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from runbook_lib.migrate.at_scale.datasync import choose_path
from runbook_lib.migrate.base import Finding
from runbook_lib.migrate.objects.client import error_code
from runbook_lib.migrate.objects.listing import BucketPair, ListedObject
from runbook_lib.migrate.objects.sizes import MAX_KEY_BYTES, MAX_OBJECT_SIZE
from runbook_lib.util import human_bytes


def rejected_key_reason(key: str) -> tuple[str, str, str] | None:
    """Why Amazon S3 would reject (``blocker``) or mishandle (``warning``) a key; None when it is fine.

    Returns:
        ``(severity, message, fix)``.
    """
    encoded = key.encode("utf-8", errors="surrogatepass")
    if not key:
        return "blocker", "empty key", "rename the object"
    if len(encoded) > MAX_KEY_BYTES:
        return (
            "blocker",
            f"key is {len(encoded)} bytes of UTF-8; S3 allows {MAX_KEY_BYTES}",
            "shorten the key",
        )
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return "blocker", "key is not valid UTF-8", "rename the object"
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in key):
        return (
            "warning",
            "key contains control characters that XML 1.0 cannot carry; listings need EncodingType=url",
            "rename the object or make sure every consumer lists with EncodingType=url",
        )
    segments = key.split("/")
    if any(segment in (".", "..") for segment in segments):
        return (
            "warning",
            "key has '.' or '..' path segments, which S3 keeps literally but tools and the console may normalise",
            "rename the object if consumers treat keys as paths",
        )
    return None


def flag_objects(
    pair: BucketPair, objects: dict[str, ListedObject], max_reported: int, findings: list[Finding]
) -> None:
    """One finding per key or size S3 would refuse or mishandle; past ``max_reported`` only a count."""
    findings.append(
        Finding(
            "info", pair.unit, f"{len(objects)} objects, {human_bytes(sum(o.size for o in objects.values()))} to copy"
        )
    )
    flagged = 0
    for obj in objects.values():
        reason = rejected_key_reason(obj.key)
        if obj.size > MAX_OBJECT_SIZE:
            reason = (
                "blocker",
                f"{human_bytes(obj.size)} exceeds S3's 5 TiB object limit",
                "split the object",
            )
        if reason is None:
            continue
        flagged += 1
        if flagged <= max_reported:
            severity, message, fix = reason
            findings.append(Finding(severity, f"s3://{pair.source_bucket}/{obj.key}", message, fix))
    if flagged > max_reported:
        findings.append(
            Finding(
                "warning",
                pair.unit,
                f"{flagged - max_reported} more keys flagged (only the first ones are listed)",
            )
        )


def path_advice(total_objects: int, total_bytes: int, threshold_bytes: int) -> Finding:
    """Whether the direct copy or the DataSync path is advised for this many bytes."""
    path = choose_path(total_bytes, threshold_bytes)
    return Finding(
        "info",
        "all buckets",
        f"{total_objects} objects, {human_bytes(total_bytes)}: "
        f"the {path} path is advised (threshold "
        f"{human_bytes(threshold_bytes)})",
        "use runbook_lib.migrate.at_scale.datasync for the at-scale path" if path == "datasync" else "",
    )


def check_bucket(client: Any, bucket: str, side: str, findings: list[Finding]) -> bool:
    """Whether ``bucket`` exists and can be read (``side`` is ``source`` or ``target``); a blocker if not."""
    from botocore.exceptions import BotoCoreError, ClientError  # botocore is slow to import: loaded when checked

    try:
        client.head_bucket(Bucket=bucket)
        if side == "source":
            client.list_objects_v2(Bucket=bucket, MaxKeys=1)
        return True
    except ClientError as error:
        code = error_code(error)
        if code in ("404", "NoSuchBucket", "NotFound"):
            fix = (
                "check migration.s3 in the params file"
                if side == "source"
                else "apply the storage stack first: Terraform creates the target buckets, not the copy"
            )
            findings.append(Finding("blocker", f"s3://{bucket}", f"{side} bucket does not exist", fix))
        else:
            findings.append(
                Finding(
                    "blocker",
                    f"s3://{bucket}",
                    f"{side} bucket is not readable: {code}",
                    "grant s3:ListBucket/s3:GetObject (source) or s3:PutObject (target)",
                )
            )
    except BotoCoreError as error:
        findings.append(
            Finding(
                "blocker",
                f"s3://{bucket}",
                f"{side} endpoint unreachable: {error}",
                "check the endpoint URL and network path",
            )
        )
    return False


def note_target_settings(target: Any, bucket: str, findings: list[Finding]) -> None:
    """The target bucket's versioning and default encryption, as findings (a missing default warns)."""
    from botocore.exceptions import ClientError  # botocore is slow to import: loaded when checked

    try:
        status = target.get_bucket_versioning(Bucket=bucket).get("Status") or "never enabled"
        findings.append(Finding("info", f"s3://{bucket}", f"versioning: {status}"))
    except ClientError as error:
        findings.append(Finding("warning", f"s3://{bucket}", f"versioning unknown: {error_code(error)}"))
    try:
        rules = target.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        default = rules[0]["ApplyServerSideEncryptionByDefault"]
        algorithm = default.get("SSEAlgorithm", "?")
        key = default.get("KMSMasterKeyID")
        findings.append(
            Finding(
                "info",
                f"s3://{bucket}",
                f"default encryption: {algorithm}" + (f" ({key})" if key else ""),
            )
        )
    except ClientError as error:
        code = error_code(error)
        if code == "ServerSideEncryptionConfigurationNotFoundError":
            findings.append(
                Finding(
                    "warning",
                    f"s3://{bucket}",
                    "no default encryption configured",
                    "enable SSE-KMS in the storage stack",
                )
            )
        else:
            findings.append(Finding("warning", f"s3://{bucket}", f"encryption unknown: {code}"))
