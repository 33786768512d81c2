"""Upload ``dags/``, ``requirements.txt`` and ``plugins.zip`` to the MWAA bucket (stack 05 output) and read
each object back.

Why read back: MWAA installs what is in the bucket, not what the runbook meant to send; the sha256 of each
object's body as read back must equal the local file's. Unchanged objects (same sha256 in the object's
metadata) are not sent again, so a second run changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook_lib.errors import OrchestrationError
from runbook_lib.util import sha256_file


@dataclass(frozen=True)
class UploadedObject:
    """One object in the MWAA bucket, as sent and as read back."""

    key: str
    size: int
    sha256: str
    read_back_sha256: str
    action: str  # uploaded | unchanged
    version_id: str | None

    @property
    def ok(self) -> bool:
        return self.sha256 == self.read_back_sha256


def artifacts(dag_files: list[Path], dags_dir: Path, requirements: Path, plugins_zip: Path) -> list[tuple[str, Path]]:
    """(key, local file) pairs in the layout MWAA reads: ``dags/…``, ``requirements.txt``, ``plugins.zip``."""
    pairs = [(f"dags/{p.relative_to(dags_dir).as_posix()}", p) for p in dag_files]
    return [*pairs, ("requirements.txt", requirements), ("plugins.zip", plugins_zip)]


def upload_and_read_back(s3: Any, bucket: str | None, files: list[tuple[str, Path]]) -> list[UploadedObject]:
    """Put each file (skipping equal ones), then get each object and hash its body."""
    from botocore.exceptions import ClientError

    if not bucket:
        raise OrchestrationError("mwaa_dag_bucket_name", "stack 05 has no MWAA bucket output",
                                 hint="apply stack 05 with enable_mwaa = true first")
    results = []
    for key, path in files:
        digest = sha256_file(path)
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
            same = head.get("Metadata", {}).get("sha256") == digest
        except ClientError:
            same = False
        if not same:
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), Metadata={"sha256": digest})
        got = s3.get_object(Bucket=bucket, Key=key)
        body = got["Body"].read()
        results.append(UploadedObject(key, len(body), digest, hashlib.sha256(body).hexdigest(),
                                      "unchanged" if same else "uploaded", got.get("VersionId")))
    return results


def uploads_frame(objects: list[UploadedObject]) -> Any:
    import pandas as pd

    return pd.DataFrame([{"key": o.key, "bytes": o.size, "action": o.action, "sha256": o.sha256[:16],
                          "read_back": "equal" if o.ok else f"DIFFERENT {o.read_back_sha256[:16]}",
                          "version_id": o.version_id} for o in objects])
