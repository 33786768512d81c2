"""The ingest Lambda's handler (terraform_infra/modules/ingest_api/src/handler.py), offline with moto."""

from __future__ import annotations

import base64
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import boto3
import pytest
from moto import mock_aws

pytestmark = pytest.mark.unit

HANDLER = Path(__file__).resolve().parents[2] / "terraform_infra" / "modules" / "ingest_api" / "src" / "handler.py"
BUCKET = "dmig-test-raw-123456789012"


@pytest.fixture()
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """A fresh copy of the handler module against a moto S3 with the raw bucket."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("RAW_BUCKET", BUCKET)
    monkeypatch.setenv("RAW_PREFIX", "ingest/")
    monkeypatch.delenv("KAFKA_BOOTSTRAP_BROKERS", raising=False)
    with mock_aws():
        boto3.client("s3", region_name="eu-west-1").create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        spec = importlib.util.spec_from_file_location("ingest_handler_under_test", HANDLER)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module


def _objects() -> list[str]:
    listing = boto3.client("s3", region_name="eu-west-1").list_objects_v2(Bucket=BUCKET)
    return [o["Key"] for o in listing.get("Contents", [])]


def test_json_body_lands_in_raw_zone_under_request_id(handler: ModuleType) -> None:
    body = {"order_id": 42, "status": "shipped"}
    response = handler.handler({"body": json.dumps(body)}, SimpleNamespace(aws_request_id="req-1"))

    assert response["statusCode"] == 202
    key = json.loads(response["body"])["key"]
    assert key.startswith("ingest/dt=") and key.endswith("/req-1.json")
    assert _objects() == [key]
    stored = boto3.client("s3", region_name="eu-west-1").get_object(Bucket=BUCKET, Key=key)
    assert json.loads(stored["Body"].read()) == body


def test_base64_body_is_decoded_before_landing(handler: ModuleType) -> None:
    raw = json.dumps({"a": "b"}).encode()
    event = {"body": base64.b64encode(raw).decode(), "isBase64Encoded": True}

    response = handler.handler(event, SimpleNamespace(aws_request_id="req-2"))

    key = json.loads(response["body"])["key"]
    stored = boto3.client("s3", region_name="eu-west-1").get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == raw


def test_non_json_body_is_rejected_and_nothing_lands(handler: ModuleType) -> None:
    response = handler.handler({"body": "not json"}, SimpleNamespace(aws_request_id="req-3"))

    assert response["statusCode"] == 400
    assert _objects() == []
