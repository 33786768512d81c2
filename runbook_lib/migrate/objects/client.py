"""The S3 clients of a bulk copy: tuned for throughput, and built from the run parameters.

Why not ``runbook_lib.clients.aws_client``: a copy needs a connection pool as large as its
parallelism, no second checksum next to our SHA-256, large socket blocks and no
``Expect: 100-continue`` round trip for small bodies (each is explained where it is set below).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from runbook_lib.clients import aws_session
from runbook_lib.endpoints import aws_endpoint_url
from runbook_lib.errors import ParamsError, SandboxDownError
from runbook_lib.migrate.objects.sizes import MiB

log = logging.getLogger("runbook_lib.migrate.objects.client")

#: Environment variables naming the self-hosted store outside the sandbox (params have no field for it yet).
SOURCE_ENDPOINT_ENV = "RUNBOOK_S3_SOURCE_ENDPOINT"
SOURCE_PROFILE_ENV = "RUNBOOK_S3_SOURCE_PROFILE"
DEFAULT_SOURCE_PROFILE = "minio-source"
#: Bytes http.client reads from a streamed body and sends per call (urllib3's default is 16 KiB).
SOCKET_BLOCKSIZE = 1 * MiB
#: Bodies below this go without ``Expect: 100-continue`` (see :func:`_no_continue_for_small_bodies`).
EXPECT_CONTINUE_MIN_BYTES = 1 * MiB


def s3_client(
    endpoint_url: str | None,
    *,
    region: str = "us-east-1",
    session: Any | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    pool: int = 10,
    connect_timeout: float = 5,
    read_timeout: float = 120,
    max_attempts: int = 3,
) -> Any:
    """An S3 client tuned for bulk copies.

    Why not ``runbook_lib.clients.aws_client``: a copy needs a connection pool as large as its
    parallelism (``max_pool_connections``; the default 10 makes threads queue for sockets), and
    botocore's default CRC32 on every request/response (botocore >= 1.36) would hash every byte a
    second time next to our SHA-256 — ``when_required`` turns that off; we send and check SHA-256
    ourselves. For the same reason the SigV4 payload hash is off (``UNSIGNED-PAYLOAD``): S3 checks
    the body against our declared checksum instead, which is also what botocore does by default
    over HTTPS whenever a checksum header is present.
    """
    import boto3  # slow to import: loaded only when a client is built
    from botocore.config import Config

    options: dict[str, Any] = {
        "max_pool_connections": max(10, pool),
        "connect_timeout": connect_timeout,
        "read_timeout": read_timeout,
        "retries": {"max_attempts": max_attempts, "mode": "standard"},
        "tcp_keepalive": True,
        # Our x-amz-checksum-sha256 protects the body; signing it too would hash every byte again
        # (botocore always signs payloads over plain http, e.g. the sandbox).
        "s3": {"payload_signing_enabled": False, **({"addressing_style": "path"} if endpoint_url else {})},
        "request_checksum_calculation": "when_required",
        "response_checksum_validation": "when_required",
    }
    try:
        config = Config(**options)
    except TypeError:  # botocore < 1.36 has neither checksum option (nor the default CRC32)
        options.pop("request_checksum_calculation")
        options.pop("response_checksum_validation")
        config = Config(**options)
    kwargs: dict[str, Any] = {"region_name": region, "config": config}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    if access_key is not None:
        kwargs.update(aws_access_key_id=access_key, aws_secret_access_key=secret_key)
    factory = session or boto3
    client = factory.client("s3", **kwargs)
    # botocore adds the header in a handler on "before-call.s3"; ours runs after it on the same event
    client.meta.events.register_last("before-call.s3", _no_continue_for_small_bodies)
    raise_socket_blocksize(client)
    return client


def raise_socket_blocksize(client: Any, blocksize: int = SOCKET_BLOCKSIZE) -> bool:
    """Send request bodies in ``blocksize`` blocks instead of urllib3's 16 KiB. True if it took effect.

    Why: a single-PUT object is streamed from the source GET through our hashing reader into the
    target PUT, block by block; at 16 KiB that is 8,192 Python-level reads, hash updates and sends
    per 128 MiB. Measured on 16 x 128 MiB against moto: 19 s of our CPU at 16 KiB, 7 s at 1 MiB, on a
    2-core machine where that CPU is taken from the servers. botocore has no option for it, so this
    sets urllib3's ``PoolManager.connection_pool_kw`` (public urllib3 API) on botocore's session,
    which is reached through private attributes: should a botocore release move them, copies still
    work, only slower, and ``test_bulk_clients_send_in_large_blocks`` fails. Connections through a
    proxy keep the default.
    """
    manager = getattr(getattr(getattr(client, "_endpoint", None), "http_session", None), "_manager", None)
    pool_kw = getattr(manager, "connection_pool_kw", None)
    if not isinstance(pool_kw, dict):
        log.info("botocore's connection pool is not where expected: request bodies go in 16 KiB blocks")
        return False
    pool_kw["blocksize"] = blocksize
    return True


def _no_continue_for_small_bodies(params: dict[str, Any], **_: Any) -> None:
    """Drop ``Expect: 100-continue`` from small uploads.

    botocore adds it to every upload body (it wraps bytes in a file object), so each PutObject
    waits one extra round trip for the server's "100 Continue" before sending even a 1 KiB body.
    The header exists so a large body is not sent to a server that will refuse it; for small bodies
    the round trip costs more than a wasted send would (measured ~12-15% on 4 KiB objects).
    """
    from botocore.utils import determine_content_length  # slow to import: loaded only when a body is sent

    body = params.get("body")
    if body is None or "Expect" not in params.get("headers", {}):
        return
    length = determine_content_length(body)
    if length is not None and length < EXPECT_CONTINUE_MIN_BYTES:
        params.get("headers", {}).pop("Expect", None)


def error_code(error: BaseException) -> str:
    """The S3 error code of a botocore ``ClientError`` (the exception's class name otherwise)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(error).__name__))


def bulk_clients(params: Any, sandbox_state: Any | None, *, pool: int) -> tuple[Any, Any]:
    """The (source, target) clients for ``params``, each with a pool of ``pool`` connections.

    In the sandbox the source is the ``s3-source`` moto and the target the ``aws`` moto. Against
    real AWS the params have no field for the self-hosted store yet, so its endpoint comes from
    ``RUNBOOK_S3_SOURCE_ENDPOINT`` and its keys from the AWS profile named by
    ``RUNBOOK_S3_SOURCE_PROFILE`` (default ``minio-source``); the target uses ``aws.profile`` and
    ``aws.assume_role_arn``.

    Raises:
        SandboxDownError: sandbox params, but the sandbox is not running.
        ParamsError: real AWS, and ``RUNBOOK_S3_SOURCE_ENDPOINT`` is not set.
    """
    aws = params.aws
    if params.is_sandbox:
        if sandbox_state is None:
            raise SandboxDownError("`runbook migrate s3` against the sandbox")
        common = {
            "region": aws.region,
            "access_key": "test",
            "secret_key": "test",
            "pool": pool,
            "connect_timeout": aws.connect_timeout,
            "max_attempts": aws.max_attempts,
        }
        return s3_client(sandbox_state.url("s3-source"), **common), s3_client(sandbox_state.url("aws"), **common)
    import boto3  # slow to import: loaded only when a client is built

    endpoint = os.environ.get(SOURCE_ENDPOINT_ENV)
    if not endpoint:
        raise ParamsError(
            SOURCE_ENDPOINT_ENV,
            None,
            "the URL of the self-hosted S3 API, e.g. https://minio:9000",
            message=f"{SOURCE_ENDPOINT_ENV} is not set (the params have no source endpoint)",
        )
    profile = os.environ.get(SOURCE_PROFILE_ENV, DEFAULT_SOURCE_PROFILE)
    tuning = {
        "region": aws.region,
        "pool": pool,
        "connect_timeout": aws.connect_timeout,
        "max_attempts": aws.max_attempts,
    }
    source = s3_client(endpoint, session=boto3.Session(profile_name=profile), **tuning)
    target = s3_client(aws_endpoint_url(aws), session=aws_session(aws), **tuning)
    return source, target
