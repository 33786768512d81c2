"""S3 in the drill: point-in-time restore of a prefix from object versions, and the replication check.

Why from versions: the data lake buckets are versioned (stack 02), so "restore the prefix as it was at T" is: for
every key, the newest version written at or before T, copied over the current one (a key deleted or corrupted
after T comes back; a key created after T is removed). The drill works in its own prefix
(``dr-drill/<id>/`` of the bucket) - data objects and a heartbeat object overwritten every beat - because a drill
must never corrupt the migrated data: the disaster overwrites and deletes the drill's own objects.

S3 keeps ``LastModified`` to the second or the millisecond depending on the implementation; the disaster is
applied more than a second after the moment restored to, so no version written by it can count as "before".
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from runbook_lib.errors import DrillError

log = logging.getLogger("runbook_lib.dr.objects")


@dataclass
class S3Drill:
    """One drill's object side in ``bucket`` under ``dr-drill/<drill_id>/``."""

    s3: Any
    bucket: str
    drill_id: str
    objects: int = 5
    truth: dict[str, str] = field(default_factory=dict)  # key -> sha256 before the disaster

    @property
    def prefix(self) -> str:
        return f"dr-drill/{self.drill_id}/"

    @property
    def heartbeat_key(self) -> str:
        return f"{self.prefix}heartbeat.json"

    def prepare(self) -> None:
        """Refuse an unversioned bucket; write the data objects the disaster will hit."""
        status = self.s3.get_bucket_versioning(Bucket=self.bucket).get("Status")
        if status != "Enabled":
            raise DrillError(f"bucket {self.bucket} is not versioned ({status or 'never enabled'}): "
                             "no point-in-time restore is possible", hint="enable versioning (stack 02 does)")
        for index in range(self.objects):
            key = f"{self.prefix}data/part-{index:04d}.json"
            body = f'{{"part": {index}, "drill": "{self.drill_id}"}}'.encode()
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
            self.truth[key] = hashlib.sha256(body).hexdigest()

    def strike(self, *, after: datetime) -> int:
        """The disaster: every data object overwritten with garbage, every other one deleted; returns how many hit."""
        wait = 1.1 - (time.time() - after.timestamp())
        if wait > 0:
            time.sleep(wait)
        hit = 0
        for index, key in enumerate(sorted(self.truth)):
            if index % 2:
                self.s3.delete_object(Bucket=self.bucket, Key=key)
            else:
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=b"corrupted by the disaster")
            hit += 1
        return hit

    def _versions(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in self.s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=self.prefix):
            found += [{**v, "marker": False} for v in page.get("Versions", [])]
            found += [{**m, "marker": True} for m in page.get("DeleteMarkers", [])]
        return found

    def restore(self, moment: datetime) -> int:
        """Bring every key of the prefix back to its newest version at or before ``moment``; returns keys restored."""
        by_key: dict[str, list[dict[str, Any]]] = {}
        for version in self._versions():
            by_key.setdefault(version["Key"], []).append(version)
        restored = 0
        for key, versions in by_key.items():
            before = [v for v in versions if v["LastModified"] <= moment]
            chosen = max(before, key=lambda v: v["LastModified"], default=None)
            latest = next((v for v in versions if v.get("IsLatest")), None)
            if chosen is None or chosen["marker"]:
                if latest is not None and not latest["marker"]:
                    self.s3.delete_object(Bucket=self.bucket, Key=key)  # did not exist at the moment
                    restored += 1
                continue
            if latest is not None and latest.get("VersionId") == chosen.get("VersionId"):
                continue  # already as it was
            self.s3.copy_object(Bucket=self.bucket, Key=key,
                                CopySource={"Bucket": self.bucket, "Key": key, "VersionId": chosen["VersionId"]})
            restored += 1
        return restored

    def verify(self) -> tuple[list[dict[str, Any]], str | None]:
        """Each data object's content against its sha256 before the disaster; the heartbeat object's content."""
        rows = []
        for key, want in sorted(self.truth.items()):
            try:
                body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                got = hashlib.sha256(body).hexdigest()
            except self.s3.exceptions.NoSuchKey:
                got = "missing"
            rows.append({"unit": f"s3://{self.bucket}/{key}", "source_checksum": want[:16],
                         "target_checksum": got[:16], "ok": got == want})
        try:
            heartbeat = self.s3.get_object(Bucket=self.bucket, Key=self.heartbeat_key)["Body"].read().decode()
        except self.s3.exceptions.NoSuchKey:
            heartbeat = None
        return rows, heartbeat

    def cleanup(self) -> int:
        """Delete every version and delete marker under the prefix; returns how many."""
        versions = self._versions()
        for version in versions:  # one by one: moto has answered the batch DeleteObjects with HTTP 500
            self.s3.delete_object(Bucket=self.bucket, Key=version["Key"], VersionId=version["VersionId"])
        return len(versions)

    def leftovers(self) -> list[str]:
        return [f"s3://{self.bucket}/{v['Key']}?versionId={v['VersionId']}" for v in self._versions()]


def replication_rows(s3: Any, buckets: list[str], *, required: bool) -> list[dict[str, Any]]:
    """Each bucket's replication configuration read back: enabled rules, destinations, and whether another region.

    ``ok`` is False for a bucket without replication only when ``required`` (``dr.require_replication``).
    """
    rows = []
    for bucket in buckets:
        try:
            config = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
        except s3.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in ("ReplicationConfigurationNotFoundError", "NoSuchBucket"):
                raise
            rows.append({"bucket": bucket, "replication": "not configured" if code != "NoSuchBucket" else code,
                         "destinations": "", "cross_region": False, "ok": not required})
            continue
        rules = [r for r in config.get("Rules", []) if r.get("Status") == "Enabled"]
        destinations = sorted({r.get("Destination", {}).get("Bucket", "").split(":::")[-1] for r in rules})
        home = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
        regions = set()
        for destination in destinations:
            try:
                regions.add(s3.get_bucket_location(Bucket=destination).get("LocationConstraint") or "us-east-1")
            except s3.exceptions.ClientError:
                regions.add("unreadable")
        cross = bool(regions) and home not in regions
        rows.append({"bucket": bucket, "replication": f"{len(rules)} enabled rule(s)",
                     "destinations": ", ".join(destinations), "cross_region": cross,
                     "ok": (bool(rules) and cross) or not required})
    return rows
