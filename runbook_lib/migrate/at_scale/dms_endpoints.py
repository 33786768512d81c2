"""DMS endpoints: identifiers, MongoDB URI parsing, and the ``CreateEndpoint`` arguments per engine.

Why here: an endpoint is built from the same secret the native path uses (a PostgreSQL DSN, a
``mongodb://`` URI), and that secret must reach DMS's API call only — never a log line, a ``repr``
or an error message. See :mod:`runbook_lib.migrate.at_scale.dms` for what DMS needs per engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote

from runbook_lib import redact
from runbook_lib.errors import ParamsError
from runbook_lib.migrate.postgres import PgEndpoint

#: MongoDB URI ``authMechanism`` values -> DMS ``AuthMechanism`` (DMS authenticates with these only).
MONGO_AUTH_MECHANISMS: dict[str | None, str] = {
    None: "default",
    "DEFAULT": "default",
    "SCRAM-SHA-1": "scram_sha_1",
    "MONGODB-CR": "mongodb_cr",
}


_IDENTIFIER_RE = re.compile(r"[^a-z0-9-]+")


def dms_identifier(*parts: str, limit: int = 63) -> str:
    """A DMS identifier: lowercase letters, digits and single hyphens, starting with a letter."""
    text = _IDENTIFIER_RE.sub("-", "-".join(parts).lower())
    text = re.sub(r"-{2,}", "-", text).strip("-")
    if not text or not text[0].isalpha():
        text = f"r-{text}"
    return text[:limit].rstrip("-")


@dataclass(frozen=True)
class MongoUri:
    """The parts of a ``mongodb://`` URI a DMS endpoint needs; the password is kept out of ``repr``.

    ``options`` keys are lower-cased (MongoDB URI options are case-insensitive).
    """

    hosts: tuple[tuple[str, int], ...]
    username: str = ""
    password: str | None = field(default=None, repr=False)
    database: str = ""
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def tls(self) -> bool:
        value = self.options.get("tls", self.options.get("ssl", "false"))
        return value.lower() in ("true", "1", "yes")

    @property
    def auth_source(self) -> str:
        """Where the user is defined: ``authSource``, else the URI's database, else ``admin`` (MongoDB's rule)."""
        return self.options.get("authsource") or self.database or "admin"


def parse_mongo_uri(uri: str) -> MongoUri:
    """Parse a ``mongodb://[user[:password]@]host[:port][,host[:port]...][/[database]][?options]`` URI.

    Written here rather than with pymongo's parser: pymongo is optional, and its parser resolves
    ``mongodb+srv://`` names through DNS — which DMS cannot use anyway (it takes one host and port).

    Raises:
        ParamsError: not a ``mongodb://`` URI, or no host in it. The message never repeats the URI
            (it may hold a password).
    """
    scheme, sep, rest = uri.partition("://")
    if not sep or scheme != "mongodb":
        raise ParamsError(
            "mongo uri scheme",
            scheme if sep else "",
            "mongodb:// with host:port (DMS connects to one host; it does not resolve mongodb+srv:// "
            "records, and the sandbox's mongomock:// has no server)",
            message=f"a DMS MongoDB/DocumentDB endpoint needs a mongodb:// URI, not {scheme or 'a bare string'}://",
        )
    authority, _, tail = rest.partition("/")
    if "?" in authority:  # mongodb://host?opt=1 (no slash before the options)
        authority, _, query = authority.partition("?")
        path = ""
    else:
        path, _, query = tail.partition("?")
    userinfo, at, hostlist = authority.rpartition("@")
    if not at:
        userinfo, hostlist = "", authority
    username, colon, password = userinfo.partition(":")
    hosts: list[tuple[str, int]] = []
    for item in filter(None, hostlist.split(",")):
        if item.startswith("["):  # [ipv6]:port
            host, _, port_text = item[1:].partition("]")
            port_text = port_text.lstrip(":")
        else:
            host, _, port_text = item.partition(":")
        if port_text and not port_text.isdigit():
            raise ParamsError("mongo uri port", port_text, "a port number", message="bad port in a MongoDB URI")
        hosts.append((unquote(host), int(port_text) if port_text else 27017))
    if not hosts:
        raise ParamsError("mongo uri host", "", "mongodb://host[:port]", message="a MongoDB URI without a host")
    secret = unquote(password) if colon else None
    if secret:
        redact.register_secret(secret)
    options = {key.lower(): value for key, value in parse_qsl(query, keep_blank_values=True)}
    return MongoUri(tuple(hosts), unquote(username), secret or None, unquote(path), options)


@dataclass(frozen=True)
class DmsEndpoint:
    """One DMS endpoint. Give ``secrets_manager_arn`` + ``secrets_access_role_arn`` or a ``password``.

    ``settings`` go into the engine's settings member (``PostgreSQLSettings``, ``MongoDbSettings``,
    ``DocDbSettings``); the password only ever goes top-level (DescribeEndpoints never returns it there).
    """

    identifier: str
    endpoint_type: Literal["source", "target"]
    engine: str  # "postgres", "aurora-postgresql", "mongodb", "docdb"
    server: str
    port: int
    database: str
    username: str = ""
    password: str | None = field(default=None, repr=False)
    secrets_manager_arn: str | None = None
    secrets_access_role_arn: str | None = None
    ssl_mode: str = "require"
    settings: Mapping[str, Any] = field(default_factory=dict)
    certificate_arn: str | None = None

    @classmethod
    def from_pg_endpoint(
        cls,
        identifier: str,
        endpoint_type: Literal["source", "target"],
        pg: PgEndpoint | str,
        database: str,
        *,
        engine: str = "postgres",
        ssl_mode: str = "require",
    ) -> DmsEndpoint:
        """From the PostgreSQL migrator's endpoint or its DSN (host, port, user, password): the same secret and
        server the native path uses."""
        if isinstance(pg, str):
            pg = PgEndpoint.from_dsn(pg)
        return cls(
            identifier,
            endpoint_type,
            engine,
            pg.get("host"),
            int(pg.get("port") or 5432),
            database,
            pg.get("user"),
            pg.password,
            ssl_mode=ssl_mode,
        )

    @classmethod
    def from_mongo_uri(
        cls,
        identifier: str,
        endpoint_type: Literal["source", "target"],
        uri: str,
        database: str,
        *,
        engine: Literal["mongodb", "docdb"] = "mongodb",
        certificate_arn: str | None = None,
    ) -> DmsEndpoint:
        """A MongoDB source (``mongodb``) or DocumentDB target (``docdb``) from the URI the native path uses.

        The first host of the URI is the server (DMS takes one; for a replica set any member serves
        reads and the oplog). SSL follows the URI's ``tls``/``ssl`` option: a MongoDB source encrypts
        (``require``); DocumentDB is reached with ``verify-full`` against ``certificate_arn`` (the
        Amazon RDS CA bundle imported into DMS), as DMS requires for a TLS-enabled cluster.

        Raises:
            ParamsError: not a ``mongodb://`` URI; an ``authMechanism`` DMS cannot use; a TLS
                DocumentDB target without ``certificate_arn``
                (``migration.at_scale.dms.docdb_certificate_arn``).
        """
        parsed = parse_mongo_uri(uri)
        server, port = parsed.hosts[0]
        settings: dict[str, Any] = {"ServerName": server, "Port": port, "DatabaseName": database}
        if engine == "mongodb":
            mechanism = parsed.options.get("authmechanism")
            if (mechanism.upper() if mechanism else None) not in MONGO_AUTH_MECHANISMS:
                raise ParamsError(
                    "authMechanism",
                    mechanism,
                    "SCRAM-SHA-1 or MONGODB-CR, or none in the URI (DMS's AuthMechanism is default, "
                    "scram_sha_1 or mongodb_cr; a MongoDB 4.0+ user has SCRAM-SHA-1 credentials too unless "
                    "created with mechanisms: ['SCRAM-SHA-256'])",
                    message=f"the MongoDB source URI asks for authMechanism={mechanism}, which DMS cannot use",
                )
            settings["AuthType"] = "password" if parsed.username else "no"
            if parsed.username:
                settings["AuthMechanism"] = MONGO_AUTH_MECHANISMS[mechanism.upper() if mechanism else None]
                settings["AuthSource"] = parsed.auth_source
            settings["NestingLevel"] = "none"  # document mode: each document copied whole
            settings["ExtractDocId"] = "false"
            ssl_mode = "require" if parsed.tls else "none"
        elif engine == "docdb":
            if parsed.tls:
                if not certificate_arn:
                    raise ParamsError(
                        "migration.at_scale.dms.docdb_certificate_arn",
                        None,
                        "the ARN of the Amazon RDS CA bundle imported into DMS (aws dms import-certificate "
                        "--certificate-identifier rds-global-bundle --certificate-pem file://global-bundle.pem)",
                        message="the DocumentDB target URI has tls=true: DMS reaches it with SslMode verify-full, "
                        "which needs a certificate ARN",
                    )
                ssl_mode = "verify-full"
            else:
                ssl_mode = "none"
                certificate_arn = None
        else:
            raise ParamsError("engine", engine, ("mongodb", "docdb"))
        return cls(
            identifier,
            endpoint_type,
            engine,
            server,
            port,
            database,
            parsed.username,
            parsed.password,
            ssl_mode=ssl_mode,
            settings=settings,
            certificate_arn=certificate_arn,
        )

    def create_kwargs(self) -> dict[str, Any]:
        """The ``CreateEndpoint`` arguments (the password, if any, only here: never logged)."""
        kwargs: dict[str, Any] = {
            "EndpointIdentifier": self.identifier,
            "EndpointType": self.endpoint_type,
            "EngineName": self.engine,
            "DatabaseName": self.database,
            "SslMode": self.ssl_mode,
        }
        if self.certificate_arn:
            kwargs["CertificateArn"] = self.certificate_arn
        settings_key = {
            "postgres": "PostgreSQLSettings",
            "aurora-postgresql": "PostgreSQLSettings",
            "mongodb": "MongoDbSettings",
            "docdb": "DocDbSettings",
        }.get(self.engine)
        if self.secrets_manager_arn:
            if not self.secrets_access_role_arn or settings_key is None:
                raise ParamsError("secrets_access_role_arn", None, "an IAM role DMS assumes to read the secret")
            kwargs[settings_key] = {
                "SecretsManagerSecretId": self.secrets_manager_arn,
                "SecretsManagerAccessRoleArn": self.secrets_access_role_arn,
                **self.settings,
            }
        else:
            kwargs.update(ServerName=self.server, Port=self.port)
            if self.username:  # none for a MongoDB without authentication (AuthType "no")
                kwargs["Username"] = self.username
            if self.password:
                redact.register_secret(self.password)
                kwargs["Password"] = self.password
            if self.settings and settings_key:
                kwargs[settings_key] = dict(self.settings)
        return kwargs
