"""At scale: AWS DMS full load (and change data capture) for databases too big to move with dump/restore.

Why a second path: ``pg_dump``/``pg_restore`` (and the batched Mongo copy) need the source frozen
from the dump until the restore is verified. Below ``migration.at_scale_threshold_bytes`` that
window is minutes; above it, hours. DMS copies the tables while the source stays live and, with
``full-load-and-cdc``, keeps applying changes until the cut-over, so the freeze shrinks to the
time CDC needs to catch up. :func:`choose_path` makes that call from the size (and from whether
writes must keep flowing).

What :class:`DmsMigration` does, idempotently by identifier (a re-run finds what exists):
replication instance (waits until ``available``), source and target endpoints (passwords go in the
API call or, better, as a Secrets Manager secret + access role; never in logs), a connection test
from the instance to each endpoint, the replication task, start (or resume), then :meth:`follow`: a
progress bar on ``FullLoadProgressPercent`` until the full load finished (``full-load``) or until
CDC is running on top of a finished full load (``full-load-and-cdc``: time to stop the writers, let
the latency drain, then stop the task). Failures raise :class:`~runbook_lib.errors.DmsTaskError`
with DMS's own status fields. Verification afterwards is the same as for the native path: the
migrators' ``verify()`` (counts and checksums per table/collection), run once writes stopped.

Endpoints and mappings per engine:

* **PostgreSQL** (:meth:`DmsEndpoint.from_dsn`): table mappings include every table of the given
  schemas (:func:`table_mappings`). DMS creates tables minimally (no secondary indexes, constraints,
  defaults or sequence values), so the schema comes from the native tools: ``pg_restore
  --section=pre-data`` before the task, ``post-data`` and the sequence values after the full load
  (:mod:`runbook_lib.migrate.at_scale.path_choice` drives that through the PostgreSQL migrator). The task
  settings (:data:`DEFAULT_TASK_SETTINGS`) say ``TargetTablePrepMode=TRUNCATE_BEFORE_LOAD``: the
  prepared tables are kept, and a reloaded table is emptied first, so a restarted task never
  duplicates rows (the tables have no foreign keys yet, which TRUNCATE would trip over).
* **MongoDB -> DocumentDB** (:meth:`DmsEndpoint.from_mongo_uri`): a ``mongodb`` source in document
  mode (``NestingLevel=none``, ``ExtractDocId=false``: each document is copied whole, as AWS asks for
  a DocumentDB target) and a ``docdb`` target; DMS treats a database as a schema and a collection
  as a table, so :func:`collection_mappings` has one selection rule per collection (and renames the
  database when the target name differs). DMS copies documents and the ``_id`` index only: the
  secondary indexes are created by the Mongo migrator after the full load.

Not supported by moto (the sandbox's AWS), and therefore only exercised as far as moto goes:

* the replication instance is ``available`` at once; endpoints stay ``creating``; a connection test
  is ``successful`` at once; endpoint engines and settings are stored as given, never validated
  (``DescribeEndpoints`` returns them as they were sent);
* a task stays ``creating`` until started (real DMS: ``ready``), then jumps to ``running`` with fixed
  statistics (``FullLoadProgressPercent`` 100, one table loaded) and never stops by itself — so a
  ``full-load`` task never reports ``FULL_LOAD_ONLY_FINISHED`` and :meth:`follow` times out on it;
  table mappings and task settings are stored, never applied;
* ``DescribeTableStatistics`` is not implemented (:meth:`table_statistics` returns None and says
  so); CDC latency lives in CloudWatch (``CDCLatencySource``/``CDCLatencyTarget``), not read here;
* no data moves: the sandbox rehearses the control flow, not DMS's copy.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote

from runbook_lib.errors import DmsTaskError, ParamsError

log = logging.getLogger("runbook_lib.migrate.at_scale.dms")

MigrationType = Literal["full-load", "full-load-and-cdc", "cdc"]
MIGRATION_TYPES: tuple[str, ...] = ("full-load", "full-load-and-cdc", "cdc")

#: Task settings for a homogeneous move whose schema the native tools create (see the module docstring).
#: ``TargetTablePrepMode`` belongs to ``FullLoadSettings`` (``TargetMetadata`` has no such key).
DEFAULT_TASK_SETTINGS: dict[str, Any] = {
    "TargetMetadata": {
        "SupportLobs": True,
        "FullLobMode": False,
        "LimitedSizeLobMode": True,
        "LobMaxSize": 32,
    },
    "FullLoadSettings": {"TargetTablePrepMode": "TRUNCATE_BEFORE_LOAD", "MaxFullLoadSubTasks": 8},
    "Logging": {"EnableLogging": True},
    "ValidationSettings": {"EnableValidation": True, "ThreadCount": 5},
}

#: MongoDB -> DocumentDB: the same, without DMS's own validation (the Mongo migrator's ``verify()``,
#: hashes of every document's BSON, is the proof; DMS's validation targets relational tables).
DOCUMENTDB_TASK_SETTINGS: dict[str, Any] = {
    **copy.deepcopy(DEFAULT_TASK_SETTINGS),
    "ValidationSettings": {"EnableValidation": False},
}

#: MongoDB URI ``authMechanism`` values -> DMS ``AuthMechanism`` (DMS authenticates with these only).
MONGO_AUTH_MECHANISMS: dict[str | None, str] = {
    None: "default",
    "DEFAULT": "default",
    "SCRAM-SHA-1": "scram_sha_1",
    "MONGODB-CR": "mongodb_cr",
}


# ============================================================================ which path


@dataclass(frozen=True)
class PathChoice:
    """The move to use for one database and why (shown to the operator, recorded in evidence)."""

    path: Literal["native", "dms"]
    reason: str
    size_bytes: int
    threshold_bytes: int


def choose_path(
    size_bytes: int, threshold_bytes: int, *, cdc_required: bool = False, native_mib_per_s: float = 50.0
) -> PathChoice:
    """Native dump/restore below the threshold; DMS above it, or whenever writes must keep flowing.

    Args:
        size_bytes: the source's size (``pg_database_size``, or the sum of collection sizes).
        threshold_bytes: ``migration.at_scale_threshold_bytes``.
        cdc_required: the source cannot be frozen for the copy (only CDC gives that).
        native_mib_per_s: the throughput assumed for the freeze estimate in the reason.
    """
    if threshold_bytes <= 0:
        raise ParamsError("at_scale_threshold_bytes", threshold_bytes, "> 0")
    freeze_min = size_bytes / 1024**2 / native_mib_per_s / 60
    gib = size_bytes / 1024**3
    if cdc_required:
        return PathChoice(
            "dms",
            "writes must keep flowing until the cut-over: only DMS CDC allows that",
            size_bytes,
            threshold_bytes,
        )
    if size_bytes >= threshold_bytes:
        return PathChoice(
            "dms",
            f"{gib:.1f} GiB is at or above the {threshold_bytes / 1024**3:.1f} GiB threshold: "
            f"a dump/restore would freeze the source for ~{freeze_min:.0f} min",
            size_bytes,
            threshold_bytes,
        )
    return PathChoice(
        "native",
        f"{gib:.2f} GiB is below the {threshold_bytes / 1024**3:.1f} GiB threshold: "
        f"dump/restore with a ~{max(freeze_min, 0.1):.1f} min freeze",
        size_bytes,
        threshold_bytes,
    )


# ============================================================================ endpoints


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
        from runbook_lib import redact

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
    def from_dsn(
        cls,
        identifier: str,
        endpoint_type: Literal["source", "target"],
        dsn: str,
        database: str,
        *,
        engine: str = "postgres",
        ssl_mode: str = "require",
    ) -> DmsEndpoint:
        """From a PostgreSQL DSN (host, port, user, password) — the same secret the native path uses."""
        from runbook_lib.migrate.postgres import PgEndpoint

        pg = PgEndpoint.from_dsn(dsn)
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
                from runbook_lib import redact

                redact.register_secret(self.password)
                kwargs["Password"] = self.password
            if self.settings and settings_key:
                kwargs[settings_key] = dict(self.settings)
        return kwargs


def table_mappings(schemas: Sequence[str] = ("%",)) -> dict[str, Any]:
    """Selection rules including every table of each schema (``%`` = all)."""
    return {
        "rules": [
            {
                "rule-type": "selection",
                "rule-id": str(i + 1),
                "rule-name": f"include-{schema}",
                "object-locator": {"schema-name": schema, "table-name": "%"},
                "rule-action": "include",
            }
            for i, schema in enumerate(schemas)
        ]
    }


def collection_mappings(
    database: str, collections: Sequence[str], *, target_database: str | None = None
) -> dict[str, Any]:
    """One selection rule per collection of a MongoDB ``database`` (DMS: database = schema, collection = table).

    Named collections rather than ``%``: the migrator decided what moves (views and ``system.*``
    excluded, or the subset the parameters list), and DMS moves exactly that. A ``target_database``
    other than ``database`` adds a rule renaming the schema (the database) on the target.
    """
    if not collections:
        raise ParamsError(
            "collections", [], "at least one collection to move", message=f"{database} has no collection to move"
        )
    rules: list[dict[str, Any]] = [
        {
            "rule-type": "selection",
            "rule-id": str(i + 1),
            "rule-name": f"include-{database}-{name}"[:255],
            "object-locator": {"schema-name": database, "table-name": name},
            "rule-action": "include",
        }
        for i, name in enumerate(collections)
    ]
    if target_database and target_database != database:
        rules.append(
            {
                "rule-type": "transformation",
                "rule-id": str(len(rules) + 1),
                "rule-name": f"rename-{database}",
                "rule-target": "schema",
                "object-locator": {"schema-name": database},
                "rule-action": "rename",
                "value": target_database,
            }
        )
    return {"rules": rules}


# ============================================================================ the task


@dataclass(frozen=True)
class TaskProgress:
    """What ``DescribeReplicationTasks`` says about a task."""

    status: str
    percent: int
    tables_loaded: int
    tables_loading: int
    tables_queued: int
    tables_errored: int
    stop_reason: str = ""
    last_failure_message: str = ""

    @classmethod
    def from_task(cls, task: Mapping[str, Any]) -> TaskProgress:
        stats = task.get("ReplicationTaskStats") or {}
        return cls(
            str(task.get("Status", "")),
            int(stats.get("FullLoadProgressPercent", 0)),
            int(stats.get("TablesLoaded", 0)),
            int(stats.get("TablesLoading", 0)),
            int(stats.get("TablesQueued", 0)),
            int(stats.get("TablesErrored", 0)),
            str(task.get("StopReason", "")),
            str(task.get("LastFailureMessage", "")),
        )


class DmsMigration:
    """Create (or find) the DMS resources for one database and follow the task (see the module docstring).

    Args:
        client: a boto3 ``dms`` client (``runbook_lib.clients.aws_client("dms", params.aws)``).
        name: base of every identifier (``<name>-ri``, ``-src``, ``-tgt``, ``-task``).
        source, target: the endpoints.
        migration_type: ``full-load``, ``full-load-and-cdc`` or ``cdc``.
        instance_class, allocated_storage: the replication instance.
        subnet_group, security_group_ids: where the instance runs (must reach both databases).
        schemas: PostgreSQL schemas whose tables are all included (:func:`table_mappings`).
        mappings: the whole table-mapping document instead (e.g. :func:`collection_mappings`).
        task_settings: replication task settings (default :data:`DEFAULT_TASK_SETTINGS`).
        progress: tqdm-like factory.
        poll_s, timeout_s: how often and how long :meth:`follow` and the waits poll.
        sleep, clock: injectable for tests.
    """

    def __init__(
        self,
        client: Any,
        *,
        name: str,
        source: DmsEndpoint,
        target: DmsEndpoint,
        migration_type: MigrationType = "full-load",
        instance_class: str = "dms.t3.medium",
        allocated_storage: int = 50,
        subnet_group: str | None = None,
        security_group_ids: Sequence[str] = (),
        schemas: Sequence[str] = ("%",),
        mappings: Mapping[str, Any] | None = None,
        task_settings: Mapping[str, Any] | None = None,
        progress: Callable[..., Any] | None = None,
        poll_s: float = 15.0,
        timeout_s: float = 24 * 3600.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if migration_type not in MIGRATION_TYPES:
            raise ParamsError("migration_type", migration_type, MIGRATION_TYPES)
        self.client = client
        self.name = dms_identifier(name)
        self.source = source
        self.target = target
        self.migration_type = migration_type
        self.instance_class = instance_class
        self.allocated_storage = allocated_storage
        self.subnet_group = subnet_group
        self.security_group_ids = list(security_group_ids)
        self.schemas = list(schemas)
        self.mappings = dict(mappings) if mappings is not None else table_mappings(self.schemas)
        self.task_settings = dict(task_settings if task_settings is not None else DEFAULT_TASK_SETTINGS)
        if progress is None:
            from tqdm.auto import tqdm

            progress = tqdm
        self.progress = progress
        self.poll_s, self.timeout_s = poll_s, timeout_s
        self._sleep, self._clock = sleep, clock
        self.instance_arn = self.source_arn = self.target_arn = self.task_arn = ""

    # ------------------------------------------------------------------ resources
    @property
    def instance_id(self) -> str:
        return dms_identifier(self.name, "ri")

    @property
    def task_id(self) -> str:
        return dms_identifier(self.name, "task", limit=255)

    def ensure_replication_instance(self) -> str:
        """The replication instance's ARN, created if missing; waits until it is ``available``."""
        found = self.client.describe_replication_instances(
            Filters=[{"Name": "replication-instance-id", "Values": [self.instance_id]}]
        ).get("ReplicationInstances", [])
        if found:
            self.instance_arn = found[0]["ReplicationInstanceArn"]
            log.info("reusing DMS replication instance %s", self.instance_id)
        else:
            kwargs: dict[str, Any] = {
                "ReplicationInstanceIdentifier": self.instance_id,
                "ReplicationInstanceClass": self.instance_class,
                "AllocatedStorage": self.allocated_storage,
                "PubliclyAccessible": False,
                "Tags": [{"Key": "runbook", "Value": self.name}],
            }
            if self.subnet_group:
                kwargs["ReplicationSubnetGroupIdentifier"] = self.subnet_group
            if self.security_group_ids:
                kwargs["VpcSecurityGroupIds"] = self.security_group_ids
            created = self.client.create_replication_instance(**kwargs)["ReplicationInstance"]
            self.instance_arn = created["ReplicationInstanceArn"]
            log.info("created DMS replication instance %s (%s)", self.instance_id, self.instance_class)
        self._wait(lambda: self._instance_status() == "available", f"replication instance {self.instance_id}")
        return self.instance_arn

    def _instance_status(self) -> str:
        found = self.client.describe_replication_instances(
            Filters=[{"Name": "replication-instance-arn", "Values": [self.instance_arn]}]
        )["ReplicationInstances"]
        return str(found[0]["ReplicationInstanceStatus"]) if found else "missing"

    def ensure_endpoints(self) -> tuple[str, str]:
        """ARNs of the source and target endpoints, created if missing."""
        arns = []
        for endpoint in (self.source, self.target):
            found = self.client.describe_endpoints(
                Filters=[{"Name": "endpoint-id", "Values": [endpoint.identifier]}]
            ).get("Endpoints", [])
            if found:
                arns.append(found[0]["EndpointArn"])
                log.info("reusing DMS %s endpoint %s", endpoint.endpoint_type, endpoint.identifier)
            else:
                arns.append(self.client.create_endpoint(**endpoint.create_kwargs())["Endpoint"]["EndpointArn"])
                log.info(
                    "created DMS %s endpoint %s (%s on %s:%s)",
                    endpoint.endpoint_type,
                    endpoint.identifier,
                    endpoint.engine,
                    endpoint.server,
                    endpoint.port,
                )
        self.source_arn, self.target_arn = arns
        return self.source_arn, self.target_arn

    def test_connections(self) -> dict[str, str]:
        """Test both endpoints from the replication instance; raises on a failed test."""
        results: dict[str, str] = {}
        for arn, endpoint in ((self.source_arn, self.source), (self.target_arn, self.target)):
            self.client.test_connection(ReplicationInstanceArn=self.instance_arn, EndpointArn=arn)

            def settled(arn: str = arn, endpoint: DmsEndpoint = endpoint) -> bool:
                status, message = self._connection(arn)
                results[endpoint.identifier] = status
                if status == "failed":
                    raise DmsTaskError(
                        arn,
                        "connection test failed",
                        last_failure_message=message,
                        hint=f"the replication instance cannot reach {endpoint.server}:{endpoint.port}; "
                        "check security groups, routes and credentials",
                    )
                return status == "successful"

            self._wait(settled, f"connection test of {endpoint.identifier}")
        return results

    def _connection(self, endpoint_arn: str) -> tuple[str, str]:
        connections = self.client.describe_connections(
            Filters=[
                {"Name": "endpoint-arn", "Values": [endpoint_arn]},
                {"Name": "replication-instance-arn", "Values": [self.instance_arn]},
            ]
        ).get("Connections", [])
        if not connections:
            return "testing", ""
        return str(connections[0].get("Status", "")), str(connections[0].get("LastFailureMessage", ""))

    def ensure_task(self) -> str:
        """The replication task's ARN, created if missing."""
        found = self.client.describe_replication_tasks(
            Filters=[{"Name": "replication-task-id", "Values": [self.task_id]}], WithoutSettings=True
        ).get("ReplicationTasks", [])
        if found:
            self.task_arn = found[0]["ReplicationTaskArn"]
            log.info("reusing DMS task %s (%s)", self.task_id, found[0].get("Status"))
            return self.task_arn
        created = self.client.create_replication_task(
            ReplicationTaskIdentifier=self.task_id,
            SourceEndpointArn=self.source_arn,
            TargetEndpointArn=self.target_arn,
            ReplicationInstanceArn=self.instance_arn,
            MigrationType=self.migration_type,
            TableMappings=json.dumps(self.mappings),
            ReplicationTaskSettings=json.dumps(self.task_settings),
            Tags=[{"Key": "runbook", "Value": self.name}],
        )["ReplicationTask"]
        self.task_arn = created["ReplicationTaskArn"]
        log.info("created DMS task %s (%s)", self.task_id, self.migration_type)
        return self.task_arn

    # ------------------------------------------------------------------ running
    def describe(self) -> TaskProgress:
        tasks = self.client.describe_replication_tasks(
            Filters=[{"Name": "replication-task-arn", "Values": [self.task_arn]}], WithoutSettings=True
        )["ReplicationTasks"]
        if not tasks:
            raise DmsTaskError(self.task_arn, "missing", hint="the task was deleted outside the runbook")
        return TaskProgress.from_task(tasks[0])

    def start(self, *, resume: bool = False) -> TaskProgress:
        """Start the task (``resume-processing`` if it ran before and ``resume``) once it accepts a start."""
        from botocore.exceptions import ClientError

        current = self.describe()
        if current.status == "running":
            return current
        ran_before = current.status in ("stopped", "failed")
        start_type = (
            "resume-processing" if resume and ran_before else ("reload-target" if ran_before else "start-replication")
        )
        deadline = self._clock() + self.timeout_s
        while True:
            try:
                self.client.start_replication_task(
                    ReplicationTaskArn=self.task_arn, StartReplicationTaskType=start_type
                )
                break
            except ClientError as error:  # a task still "creating" refuses to start: wait for "ready"
                if (
                    error.response.get("Error", {}).get("Code") != "InvalidResourceStateFault"
                    or self._clock() > deadline
                ):
                    raise
                self._sleep(self.poll_s)
        log.info("started DMS task %s (%s)", self.task_id, start_type)
        return self.describe()

    def follow(self) -> TaskProgress:
        """Poll the task with a progress bar until the full load is done (and CDC running, if asked for).

        Raises:
            DmsTaskError: the task failed, stopped for another reason, has errored tables, or the
                timeout passed.
        """
        deadline = self._clock() + self.timeout_s
        bar = self.progress(total=100, desc=f"DMS {self.task_id}", unit="%")
        shown = 0
        try:
            while True:
                state = self.describe()
                if state.percent > shown:
                    bar.update(state.percent - shown)
                    shown = state.percent
                if hasattr(bar, "set_postfix_str"):
                    bar.set_postfix_str(
                        f"{state.status}, {state.tables_loaded} loaded, {state.tables_loading} loading, "
                        f"{state.tables_queued} queued",
                        refresh=False,
                    )
                if state.status == "failed" or state.tables_errored:
                    raise DmsTaskError(
                        self.task_arn,
                        state.status,
                        state.stop_reason,
                        state.last_failure_message or f"{state.tables_errored} tables errored",
                    )
                if state.status == "stopped":
                    if "FINISHED" in state.stop_reason.upper() and self.migration_type == "full-load":
                        return state
                    raise DmsTaskError(self.task_arn, state.status, state.stop_reason, state.last_failure_message)
                if self.migration_type != "full-load" and state.status == "running" and state.percent >= 100:
                    log.info(
                        "DMS task %s: full load done, CDC running — stop the writers, let it drain, then stop the task",
                        self.task_id,
                    )
                    return state
                if self._clock() > deadline:
                    raise DmsTaskError(
                        self.task_arn,
                        state.status,
                        state.stop_reason,
                        f"not finished after {self.timeout_s:.0f}s",
                        hint="a moto task never finishes a full-load (see the module docstring); "
                        "against AWS, see the task's table statistics",
                    )
                self._sleep(self.poll_s)
        finally:
            bar.close()

    def table_statistics(self) -> list[dict[str, Any]] | None:
        """Per-table DMS statistics (rows loaded, changes applied, validation); None if unavailable."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return list(self.client.describe_table_statistics(ReplicationTaskArn=self.task_arn)["TableStatistics"])
        except (ClientError, BotoCoreError, NotImplementedError) as error:
            log.warning(
                "DMS table statistics unavailable here (%s); moto does not implement them",
                type(error).__name__,
            )
            return None

    def stop(self) -> TaskProgress:
        """Stop the task (the cut-over, after CDC drained)."""
        self.client.stop_replication_task(ReplicationTaskArn=self.task_arn)
        return self.describe()

    def run(self, *, resume: bool = False, test_connections: bool = True) -> TaskProgress:
        """Resources, connection tests, start, follow: up to a finished full load (or a running CDC)."""
        self.ensure_replication_instance()
        self.ensure_endpoints()
        if test_connections:
            self.test_connections()
        self.ensure_task()
        self.start(resume=resume)
        return self.follow()

    def teardown(self) -> list[str]:
        """Delete the task, the endpoints and the instance (after the cut-over); returns what was deleted."""
        deleted = []
        if self.task_arn:
            self.client.delete_replication_task(ReplicationTaskArn=self.task_arn)
            deleted.append(self.task_id)
        for arn, endpoint in ((self.source_arn, self.source), (self.target_arn, self.target)):
            if arn:
                self.client.delete_endpoint(EndpointArn=arn)
                deleted.append(endpoint.identifier)
        if self.instance_arn:
            self.client.delete_replication_instance(ReplicationInstanceArn=self.instance_arn)
            deleted.append(self.instance_id)
        return deleted

    def _wait(self, done: Callable[[], bool], what: str) -> None:
        deadline = self._clock() + self.timeout_s
        while not done():
            if self._clock() > deadline:
                raise DmsTaskError(
                    self.task_arn or what,
                    "timeout",
                    last_failure_message=f"{what} not ready after {self.timeout_s:.0f}s",
                )
            self._sleep(self.poll_s)


__all__ = [
    "PathChoice",
    "choose_path",
    "DmsEndpoint",
    "DmsMigration",
    "MongoUri",
    "TaskProgress",
    "collection_mappings",
    "parse_mongo_uri",
    "table_mappings",
    "dms_identifier",
    "DEFAULT_TASK_SETTINGS",
    "DOCUMENTDB_TASK_SETTINGS",
    "MIGRATION_TYPES",
]
