"""Secrets in params: references only, resolved at the last moment and registered with the redactor.

Why references: a params file is reviewed, committed and copied into evidence, so a value there is
either a :class:`SecretRef` (environment variable, Secrets Manager, SSM Parameter Store, or a service
of the local sandbox) or rejected by :func:`reject_literal_secrets`. :func:`resolve_secret` registers
every value it returns with the process-wide redactor so it never reaches evidence in clear.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from runbook_lib import redact
from runbook_lib.errors import ParamsError
from runbook_lib.params.formats import EnvVarName, SandboxService, SecretsManagerArn, SsmParameterName, StrictModel

#: The places a secret may live, in the order :attr:`SecretRef.kind` reports them.
SECRET_SOURCES = ("env", "secretsmanager_arn", "ssm_parameter", "sandbox")


class SecretRef(StrictModel):
    """Where a secret lives; exactly one source is set. The value itself never appears in params.

    ``json_key`` picks one member when the stored secret is a JSON object (RDS-managed secrets are).
    """

    env: EnvVarName | None = None
    secretsmanager_arn: SecretsManagerArn | None = None
    ssm_parameter: SsmParameterName | None = None
    sandbox: SandboxService | None = None
    json_key: str | None = None

    @model_validator(mode="after")
    def _exactly_one_source(self) -> SecretRef:
        sources = [name for name in SECRET_SOURCES if getattr(self, name)]
        if len(sources) != 1:
            raise PydanticCustomError(
                "params_rule",
                "exactly one secret source",
                {"allowed": f"exactly one of {', '.join(SECRET_SOURCES)}", "given": sources},
            )
        return self

    @property
    def kind(self) -> str:
        """Which source is set: ``env``, ``secretsmanager_arn``, ``ssm_parameter`` or ``sandbox``."""
        for name in SECRET_SOURCES:
            if getattr(self, name):
                return name
        raise AssertionError("validated SecretRef without a source")  # pragma: no cover

    def describe(self) -> str:
        """``kind:name`` for messages and evidence, e.g. ``env:PG_SOURCE_DSN``."""
        return f"{self.kind}:{getattr(self, self.kind)}" + (f"#{self.json_key}" if self.json_key else "")


# --------------------------------------------------------------------------------------------
# Literal secrets in a params file
# --------------------------------------------------------------------------------------------
_URL_PASSWORD_RE = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@]+:[^\s@/]+@")
_LIBPQ_PASSWORD_RE = re.compile(r"\bpass(word|wd)\s*=", re.IGNORECASE)
#: Keys whose values are regular expressions (and so may legitimately mention ``password=``).
_PATTERN_KEYS = frozenset({"redact_patterns"})


def reject_literal_secrets(data: Any, path: str = "") -> None:
    """Raise :class:`ParamsError` at the first literal secret in raw params data.

    A literal secret is a plain value under a key named like a secret (``password``, ``api_token``,
    ``aws_secret_access_key`` …) or any string holding a DSN/URL with a password or a libpq
    ``password=``. The error's ``value`` is redacted: the secret must not travel further in a message.
    """
    if isinstance(data, Mapping):
        for key, value in data.items():
            child = f"{path}.{key}" if path else str(key)
            if str(key) in _PATTERN_KEYS:
                continue
            if isinstance(key, str) and redact.is_secret_key(key) and isinstance(value, (str, int, float, bytes)):
                if value not in ("", None):
                    raise ParamsError(
                        child,
                        redact.MASK,
                        "a secret reference, e.g. {env: NAME} | {secretsmanager_arn: ARN} | "
                        "{ssm_parameter: NAME} | {sandbox: SERVICE}",
                        message=f"literal secret in {child}: params files may only reference secrets",
                    )
            reject_literal_secrets(value, child)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            reject_literal_secrets(value, f"{path}[{index}]")
    elif isinstance(data, str):
        if _URL_PASSWORD_RE.search(data) or _LIBPQ_PASSWORD_RE.search(data):
            raise ParamsError(
                path or "<root>",
                redact.get_redactor().redact_text(data),
                "a value without an embedded password; put the DSN in a secret and reference it with a SecretRef",
                message=f"{path} embeds a password",
            )


# --------------------------------------------------------------------------------------------
# Resolving a reference
# --------------------------------------------------------------------------------------------
def resolve_secret(
    ref: SecretRef,
    *,
    sandbox_resolver: Callable[[str], str] | None = None,
    session: Any | None = None,
    endpoint_url: str | None = None,
) -> str:
    """Fetch a secret's value and register it (and any password inside it) with the redactor.

    Args:
        ref: where the secret lives.
        sandbox_resolver: called with the service name for ``sandbox`` references (the running
            sandbox supplies it); required for those.
        session: a boto3 ``Session`` (or anything with ``.client(name, **kw)``) for Secrets Manager/SSM;
            a default session when omitted.
        endpoint_url: AWS endpoint for Secrets Manager/SSM (the sandbox's moto), None for real AWS.

    Returns:
        The secret value. Never log it: it is already registered, but do not rely on that.

    Raises:
        ParamsError: the referenced variable/secret/parameter does not exist or cannot be read.
    """
    kind = ref.kind
    name = getattr(ref, kind)
    if kind == "env":
        value = os.environ.get(name)
        if value is None:
            raise ParamsError(
                "env", name, "the name of a set environment variable", message=f"environment variable {name} is not set"
            )
    elif kind == "sandbox":
        if sandbox_resolver is None:
            raise ParamsError(
                "sandbox",
                name,
                "a sandbox_resolver (the running sandbox) to resolve sandbox references",
                message=f"cannot resolve sandbox:{name} without the sandbox",
            )
        value = sandbox_resolver(name)
    else:
        value = _resolve_aws_secret(kind, name, session=session, endpoint_url=endpoint_url)
    raw = value
    if ref.json_key:
        try:
            document = json.loads(value)
            value = str(document[ref.json_key])
        except (ValueError, KeyError, TypeError):
            redact.register_secret(raw)
            raise ParamsError(
                "json_key",
                ref.json_key,
                "a member of the JSON object stored in the secret",
                message=f"{ref.describe()} is not a JSON object with member {ref.json_key!r}",
            ) from None
        redact.register_secret(raw)
    _register_with_parts(value)
    return value


def _register_with_parts(value: str) -> None:
    """Register the value, and separately a password embedded in it (it may be printed alone later).

    A URL's password is registered as written (``p%40ss``) and decoded (``p@ss``: what a driver shows).
    """
    redact.register_secret(value)
    try:
        parts = urlsplit(value)
        if parts.scheme and parts.password:
            redact.register_secret(parts.password)
            redact.register_secret(unquote(parts.password))
    except ValueError:
        pass
    match = re.search(r"\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|[^\s]+)", value, re.IGNORECASE)
    if match:
        redact.register_secret(match.group(1).strip("'"))


def _resolve_aws_secret(kind: str, name: str, *, session: Any | None, endpoint_url: str | None) -> str:
    # boto3 is imported here, not at the top: loading params must not pay for it (or need it).
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    session = session or boto3.Session()
    kwargs = {"endpoint_url": endpoint_url} if endpoint_url else {}
    try:
        if kind == "secretsmanager_arn":
            response = session.client("secretsmanager", **kwargs).get_secret_value(SecretId=name)
            if "SecretString" in response:
                return str(response["SecretString"])
            return bytes(response["SecretBinary"]).decode("utf-8")
        response = session.client("ssm", **kwargs).get_parameter(Name=name, WithDecryption=True)
        return str(response["Parameter"]["Value"])
    except (ClientError, BotoCoreError) as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
        raise ParamsError(
            kind,
            name,
            "an existing secret the current credentials may read",
            message=f"cannot read {kind} {name}: {code}",
        ) from None
