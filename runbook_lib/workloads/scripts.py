"""Put the platform's job scripts into the Glue scripts bucket, and prove what landed there by reading it back.

What goes up (keys from :mod:`runbook_lib.workloads.glue_definitions`): the Glue entrypoint
(``jobs/glue_entrypoint.py``, every Glue job's ``script_location``), the job package as
``jobs/platform_jobs.zip`` (``--extra-py-files``; also spark-submit's ``--py-files`` on EMR), and each job
module on its own (``jobs/platform_jobs/<module>.py``, the main file of its EMR step). The zip is built
with fixed timestamps so the same code always gives the same bytes and the same sha256.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook_lib.errors import SparkJobError
from runbook_lib.workloads.glue_definitions import ENTRYPOINT_KEY, PACKAGE_ZIP_KEY, module_key
from runbook_lib.workloads.spark_catalog import SparkCatalog

_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def package_zip(package_dir: Path) -> bytes:
    """The job package as a zip (``platform_jobs/*.py``, sorted, fixed timestamps): reproducible bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(package_dir.glob("*.py")):
            info = zipfile.ZipInfo(f"{package_dir.name}/{path.name}", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def script_objects(catalog: SparkCatalog) -> dict[str, bytes]:
    """Every object the jobs need in the scripts bucket, by key."""
    objects = {ENTRYPOINT_KEY: catalog.entrypoint.read_bytes(), PACKAGE_ZIP_KEY: package_zip(catalog.package_dir)}
    for job in catalog.jobs:
        if not job.script_path.is_file():
            raise SparkJobError(job.name, f"job script {job.script_path} is missing", key="module")
        objects[module_key(job)] = job.script_path.read_bytes()
    return objects


@dataclass(frozen=True)
class UploadedScript:
    """One object: its key, size, the sha256 sent and the sha256 read back."""

    bucket: str
    key: str
    size: int
    sha256: str
    read_back_sha256: str

    @property
    def ok(self) -> bool:
        return self.sha256 == self.read_back_sha256


def upload_scripts(catalog: SparkCatalog, s3: Any, bucket: str, *, kms_key_id: str | None = None,
                   objects: dict[str, bytes] | None = None) -> list[UploadedScript]:
    """Upload (``objects`` or :func:`script_objects`) and read each object back; a mismatch raises.

    Args:
        s3: a boto3 S3 client (``runbook_lib.clients.aws_client("s3", params.aws)``).
        bucket: stack 04's ``glue_scripts_bucket_name``.
        kms_key_id: SSE-KMS key for the objects (the bucket's default encryption applies when None).
        objects: what to upload instead of the catalog's own scripts (a test uploads a changed job this way).

    Raises:
        SparkJobError: an object read back differs from what was sent.
    """
    rows = []
    for key, body in (objects if objects is not None else script_objects(catalog)).items():
        extra: dict[str, Any] = {"ContentType": "application/zip" if key.endswith(".zip") else "text/x-python"}
        if kms_key_id:
            extra.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_id)
        sent = hashlib.sha256(body).hexdigest()
        s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata={"sha256": sent}, **extra)
        back = hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()
        rows.append(UploadedScript(bucket=bucket, key=key, size=len(body), sha256=sent, read_back_sha256=back))
    bad = [r.key for r in rows if not r.ok]
    if bad:
        raise SparkJobError(", ".join(bad), f"read back from s3://{bucket} differs from what was uploaded",
                            hint="check the bucket's policy/versioning and upload again")
    return rows


def download_object(s3: Any, uri: str, target: Path) -> Path:
    """Download one ``s3://bucket/key`` to ``target`` (a file path); returns it."""
    bucket, key = split_s3_uri(uri)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as error:  # noqa: BLE001 - botocore's ClientError and friends, named in the message
        raise SparkJobError(uri, f"cannot download ({type(error).__name__}: {error})",
                            hint="upload the scripts first (notebook 04's upload step)") from None
    target.write_bytes(body)
    return target


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key/with/slashes`` -> (bucket, key)."""
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise SparkJobError(uri, "not an s3://bucket/key URI")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key
