"""Ingest Lambda: land each event posted to the HTTP API in the raw zone, optionally also on MSK.

Why so small: the function is the only code in the ingest path that runs inside AWS; everything
that transforms data happens later in Glue/EMR. It validates that the body is JSON, writes it
unchanged to ``s3://$RAW_BUCKET/$RAW_PREFIX dt=YYYY-MM-DD/<request id>.json`` and answers 202.
When ``KAFKA_BOOTSTRAP_BROKERS`` is set it also produces the event to ``KAFKA_TOPIC`` with
SASL/OAUTHBEARER (MSK IAM); the image installs the two libraries that needs (see Dockerfile).
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import logging
import os
import uuid
from typing import Any

import boto3

LOG = logging.getLogger("ingest")
LOG.setLevel(logging.INFO)

_S3 = None


def _s3() -> Any:
    """Create the S3 client once per container, not per request."""
    global _S3
    if _S3 is None:
        _S3 = boto3.client("s3")
    return _S3


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def _body(event: dict[str, Any]) -> bytes:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(raw)
    return raw.encode("utf-8")


def _produce(payload: bytes, key: str) -> None:
    """Produce to MSK with IAM auth; imported lazily because the zip variant ships without the libraries."""
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider  # type: ignore[import-not-found]
    from confluent_kafka import Producer  # type: ignore[import-not-found]

    region = os.environ["AWS_REGION"]

    def _token(_config: str) -> tuple[str, float]:
        token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
        return token, expiry_ms / 1000

    producer = Producer(
        {
            "bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_BROKERS"],
            "security.protocol": "SASL_SSL",
            "sasl.mechanisms": "OAUTHBEARER",
            "oauth_cb": _token,
            "enable.idempotence": True,
        }
    )
    producer.produce(os.environ.get("KAFKA_TOPIC", "ingest.events"), value=payload, key=key)
    if producer.flush(10) != 0:
        raise RuntimeError("Kafka producer did not deliver the event within 10 s")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Handle one API Gateway HTTP API (payload 2.0) request.

    Args:
        event: the HTTP API event; ``body`` must be a JSON document.
        context: the Lambda context (its request id names the object).

    Returns:
        202 with the S3 key, or 400 when the body is not JSON.
    """
    payload = _body(event)
    try:
        json.loads(payload)
    except ValueError as exc:
        LOG.warning("rejected non-JSON body: %s", exc)
        return _response(400, {"error": "body must be a JSON document"})

    request_id = getattr(context, "aws_request_id", None) or str(uuid.uuid4())
    today = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d")
    key = f"{os.environ.get('RAW_PREFIX', 'ingest/')}dt={today}/{request_id}.json"
    _s3().put_object(Bucket=os.environ["RAW_BUCKET"], Key=key, Body=payload, ContentType="application/json")
    if os.environ.get("KAFKA_BOOTSTRAP_BROKERS"):
        _produce(payload, request_id)
    LOG.info("landed %s (%d bytes)", key, len(payload))
    return _response(202, {"key": key})
