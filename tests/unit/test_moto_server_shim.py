"""The sandbox moto shim: ListObjectVersions with encoding-type=url answers as S3 does (keys encoded)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from sandbox_shims.moto_server import url_encode_listing

pytestmark = pytest.mark.unit

AWKWARD = [
    "landing/a+b=c/100%25 done.json",
    "landing/with space/file 1.json",
    "landing/ünïcødé/データ.json",
    "landing/equals=sign/k=v&x=y.json",
]


def test_keys_prefixes_and_markers_are_encoded_so_query_unescape_gives_them_back() -> None:
    result = {
        "Versions": [{"Key": k, "VersionId": "1"} for k in AWKWARD],
        "DeleteMarkers": [{"Key": AWKWARD[0]}],
        "CommonPrefixes": [{"Prefix": "a b+/"}],
        "Prefix": "landing/",
        "NextKeyMarker": AWKWARD[1],
    }
    encoded = url_encode_listing(result)
    assert encoded["EncodingType"] == "url"
    # Go's url.QueryUnescape turns "+" into a space, as urllib's unquote_plus does: both must round-trip.
    assert [urllib.parse.unquote_plus(v["Key"]) for v in encoded["Versions"]] == AWKWARD
    assert urllib.parse.unquote_plus(encoded["DeleteMarkers"][0]["Key"]) == AWKWARD[0]
    assert urllib.parse.unquote_plus(encoded["CommonPrefixes"][0]["Prefix"]) == "a b+/"
    assert urllib.parse.unquote_plus(encoded["NextKeyMarker"]) == AWKWARD[1]
    assert result["Versions"][0]["Key"] == AWKWARD[0]  # the input is not changed


SCRIPT = r"""
import json, sys
from moto import mock_aws
import boto3
from sandbox_shims.moto_server import patch_list_object_versions
patch_list_object_versions()
with mock_aws():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="shim-test")
    s3.put_bucket_versioning(Bucket="shim-test", VersioningConfiguration={"Status": "Enabled"})
    for key in json.loads(sys.argv[1]):
        s3.put_object(Bucket="shim-test", Key=key, Body=b"x")
    plain = s3.list_object_versions(Bucket="shim-test")
    encoded = s3.list_object_versions(Bucket="shim-test", EncodingType="url")
    print(json.dumps({"plain": sorted(v["Key"] for v in plain["Versions"]),
                      "encoded": sorted(v["Key"] for v in encoded["Versions"]),
                      "encoding": encoded.get("EncodingType")}))
"""


def test_patched_moto_encodes_only_when_asked(tmp_path: Path) -> None:
    # In a child process: the patch changes moto's class for the life of the process.
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(AWKWARD)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["plain"] == sorted(AWKWARD)
    assert got["encoding"] == "url"
    # Asked explicitly, botocore hands the encoded keys over as they came; decoding gives the stored keys.
    assert got["encoded"] != got["plain"]
    assert sorted(urllib.parse.unquote_plus(k) for k in got["encoded"]) == sorted(AWKWARD)


RDS_SCRIPT = r"""
import json
from moto import mock_aws
import boto3
from sandbox_shims.moto_server import patch_rds_default_ca
patch_rds_default_ca()
with mock_aws():
    rds = boto3.client("rds", region_name="eu-west-1")
    common = dict(DBInstanceClass="db.t3.micro", Engine="postgres", AllocatedStorage=20, MasterUsername="u",
                  MasterUserPassword="passw0rdpassw0rd")
    rds.create_db_instance(DBInstanceIdentifier="plain", **common)
    rds.create_db_instance(DBInstanceIdentifier="asked", CACertificateIdentifier="rds-ca-ecc384-g1", **common)
    got = {d["DBInstanceIdentifier"]: d["CACertificateIdentifier"] for d in rds.describe_db_instances()["DBInstances"]}
    print(json.dumps(got))
"""


def test_a_new_rds_instance_gets_the_ca_aws_gives_and_keeps_one_asked_for(tmp_path: Path) -> None:
    """Without the shim the provider modifies and waits again after every create (moto's retired default CA)."""
    out = subprocess.run([sys.executable, "-c", RDS_SCRIPT], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"plain": "rds-ca-rsa2048-g1", "asked": "rds-ca-ecc384-g1"}
