"""The guard refuses destructive plans, whoever approves them; the gate (``approval``) asks who approves a plan.

No apply deletes, replaces or destroys the data of a resource unless ``terraform.allow_destroy`` lists it.

Why a separate, boring check: approval gates are about *whether* a person or a
policy accepts a plan; this guard is about a class of change that must never
happen by accident, whoever approves. A renamed S3 bucket, a changed RDS
identifier or a KMS key argument that forces replacement all show up as
``replace`` in a plan, and each destroys data (or, for a KMS key, makes data
unreadable). Some updates destroy data too (versioning suspended, an expiration
added to a bucket's lifecycle, a KMS key disabled): :mod:`~runbook_lib.terraform.data_loss`
classifies them, and the guard treats them like deletes. The guard runs before
every apply, headless or interactive, and an address passes only when it is
listed in ``terraform.allow_destroy``.

Every resource type the stacks use is in :data:`STATEFUL_TYPES` or in
:data:`NO_DATA_TYPES` (a unit test reads ``terraform_infra/`` and fails on a type
in neither), so a new data-holding type cannot slip past unguarded.

What it does not do: judge deletes of resources outside :data:`STATEFUL_TYPES` (a replaced
security group is an outage, not data loss; the gate is where that is judged),
or look inside ``local-exec`` provisioners.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from runbook_lib.errors import DestructiveChangeError
from runbook_lib.terraform.data_loss import data_loss_reasons
from runbook_lib.terraform.plan import DESTRUCTIVE_ACTIONS, Plan, ResourceChange

log = logging.getLogger("runbook_lib.terraform.destroy_guard")

#: Resource types whose deletion or replacement loses data, keys or history. Entries ending in ``*``
#: match every type with that prefix. Extend per call with ``check_destructive(..., stateful_types=...)``.
STATEFUL_TYPES: frozenset[str] = frozenset(
    {
        # relational and document databases
        "aws_db_instance",
        "aws_rds_cluster",
        "aws_rds_cluster_instance",
        "aws_rds_global_cluster",
        "aws_docdb_cluster",
        "aws_docdb_cluster_instance",
        "aws_docdb_global_cluster",
        "aws_docdb_elastic_cluster",
        "aws_neptune_cluster",
        "aws_redshift_cluster",
        "aws_redshiftserverless_namespace",
        "aws_dynamodb_table",
        "aws_dynamodb_global_table",
        "aws_db_snapshot",
        "aws_db_cluster_snapshot",
        "aws_docdb_cluster_snapshot",
        "aws_keyspaces_table",
        "aws_timestreamwrite_table",
        "aws_memorydb_cluster",
        "aws_elasticache_*",
        # object, file and block storage
        "aws_s3_bucket",
        "aws_s3_directory_bucket",
        "aws_s3_object",
        "aws_s3_bucket_object",
        # deleting it suspends versioning: later overwrites and deletes lose the old versions
        "aws_s3_bucket_versioning",
        "aws_efs_file_system",
        "aws_fsx_*_file_system",
        "aws_ebs_volume",
        "aws_ebs_snapshot",
        "aws_glacier_vault",
        "aws_backup_vault",
        "aws_ecr_repository",
        # streams and queues (messages not yet consumed)
        "aws_msk_cluster",
        "aws_msk_serverless_cluster",
        "aws_kinesis_stream",
        "aws_kinesis_firehose_delivery_stream",
        "aws_sqs_queue",
        # search, analytics and processing
        "aws_opensearch_domain",
        "aws_elasticsearch_domain",
        "aws_emr_cluster",  # HDFS on the core nodes, and the cluster's step history
        # catalogs and metadata: deleting a Glue database drops every table definition in it
        "aws_glue_catalog_database",
        "aws_glue_catalog_table",
        "aws_glue_registry",
        "aws_glue_schema",
        # orchestration and dashboards: state that lives only in the service
        "aws_mwaa_environment",  # the Airflow metadata database: DAG runs, connections, variables
        "aws_grafana_workspace",  # dashboards, alert rules, data sources made in the UI
        "aws_cognito_user_pool",
        # keys, secrets and parameters (deleting a key makes everything it encrypted unreadable)
        "aws_kms_key",
        "aws_kms_replica_key",
        "aws_secretsmanager_secret",
        "aws_secretsmanager_secret_version",
        "aws_ssm_parameter",  # its value and version history
        # audit trails: the evidence of the migration itself
        "aws_cloudwatch_log_group",
    }
)


#: Resource types of the stacks that hold no data: deleting or replacing one is an outage at worst, and the
#: gate (a person, or a policy that allows ``delete``) judges it. Every type in ``terraform_infra/`` must be here
#: or in :data:`STATEFUL_TYPES` (``tests/unit/test_guard.py`` checks it).
NO_DATA_TYPES: frozenset[str] = frozenset(
    {
        # network: re-created from the code (an Elastic IP's address changes: the gate judges that)
        "aws_vpc",
        "aws_subnet",
        "aws_internet_gateway",
        "aws_nat_gateway",
        "aws_eip",
        "aws_route",
        "aws_route_table",
        "aws_route_table_association",
        "aws_vpc_endpoint",
        "aws_default_security_group",
        "aws_security_group",
        "aws_security_group_rule",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
        "aws_flow_log",  # the records are in its log group, which is stateful
        # identity and access: policies are code
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_iam_role_policy_attachment",
        "aws_iam_instance_profile",
        "aws_iam_openid_connect_provider",
        "aws_kms_alias",  # a name for a key; the key is stateful
        # settings of a bucket that hold no objects (versioning and lifecycle changes are judged by data_loss)
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_logging",
        "aws_s3_bucket_notification",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_replication_configuration",  # objects already replicated stay
        "aws_s3_bucket_server_side_encryption_configuration",  # existing objects keep their encryption
        # settings of databases and streams: the data is in the instance or cluster, which is stateful
        "aws_db_parameter_group",
        "aws_db_subnet_group",
        "aws_docdb_cluster_parameter_group",
        "aws_docdb_subnet_group",
        "aws_msk_configuration",
        # MirrorMaker 2 / MSK Replicator: replication processes; the records and their offsets are in the clusters
        "aws_mskconnect_custom_plugin",
        "aws_mskconnect_connector",
        "aws_msk_replicator",
        "aws_opensearch_domain_policy",
        "aws_ecr_lifecycle_policy",  # its rules expire images; the repository is stateful
        # compute and APIs: code and configuration, deployed again from the stacks
        "aws_lambda_function",
        "aws_lambda_alias",  # a name for a version and its routing weights
        "aws_lambda_permission",
        "aws_apigatewayv2_api",
        "aws_apigatewayv2_authorizer",
        "aws_apigatewayv2_integration",
        "aws_apigatewayv2_route",
        "aws_apigatewayv2_stage",
        "aws_ecs_cluster",
        "aws_ecs_service",
        "aws_ecs_task_definition",
        "aws_emr_instance_group",  # task instance groups: no HDFS
        "aws_emr_security_configuration",
        "aws_glue_crawler",  # what it found is in the catalog database, which is stateful
        "aws_glue_job",  # the script is in S3; a re-created job starts without bookmarks
        "aws_glue_security_configuration",
        "aws_glue_data_catalog_encryption_settings",
        # messaging without storage: SNS delivers and keeps nothing
        "aws_sns_topic",
        "aws_sns_topic_policy",
        "aws_sns_topic_subscription",
        # monitoring and cost: definitions are code; the metrics and logs stay in CloudWatch
        "aws_cloudwatch_dashboard",
        "aws_cloudwatch_metric_alarm",
        "aws_cloudwatch_log_resource_policy",
        "aws_budgets_budget",
        # Terraform's own helpers
        "terraform_data",
        "null_resource",
        "random_id",
        "random_password",
        "random_string",
        "time_sleep",
    }
)


def is_stateful(resource_type: str, stateful_types: Iterable[str] = STATEFUL_TYPES) -> bool:
    """Whether ``resource_type`` is one of (or matches a ``*`` pattern of) ``stateful_types``."""
    for entry in stateful_types:
        if "*" in entry:
            if fnmatchcase(resource_type, entry):
                return True
        elif entry == resource_type:
            return True
    return False


def address_allowed(address: str, allow_destroy: Sequence[str]) -> bool:
    """Whether ``address`` is listed exactly, or starts with an entry's text before a trailing ``*``.

    ``module.lake.aws_s3_bucket.scratch*`` allows ``…scratch`` and every instance
    ``…scratch["a"]``; only a trailing ``*`` is special, so an entry cannot
    accidentally allow more than its author wrote.
    """
    for entry in allow_destroy:
        if entry.endswith("*"):
            if address.startswith(entry[:-1]):
                return True
        elif address == entry:
            return True
    return False


@dataclass(frozen=True)
class DestructiveFinding:
    """A change that loses data (a stateful resource deleted or replaced, or an update that destroys data).

    ``reason`` is empty for a delete or replace and says what is lost for an update
    (:func:`~runbook_lib.terraform.data_loss.data_loss_reason`).
    """

    address: str
    type: str
    action: str
    allowed: bool
    reason: str = ""

    @property
    def what(self) -> str:
        """``delete``, ``replace``, or ``update: destroys data (…)`` — one cell of a review table."""
        return f"{self.action}: destroys data ({self.reason})" if self.reason else self.action


def destructive_findings(
    plan: Plan, allow_destroy: Sequence[str] = (), *, stateful_types: Iterable[str] = STATEFUL_TYPES
) -> list[DestructiveFinding]:
    """Every delete/replace of a stateful managed resource in ``plan``, and every change that destroys data in
    place, allowed or not (for review tables)."""
    types = tuple(stateful_types)
    losses = data_loss_reasons(plan)
    found: list[DestructiveFinding] = []
    for key, rc in plan.resource_changes.items():
        reason = losses.get(key, "")
        if _is_destructive(rc, types) or reason:
            found.append(
                DestructiveFinding(key, rc.type, rc.action, address_allowed(rc.address, allow_destroy), reason)
            )
    return found


def check_destructive(
    plan: Plan, allow_destroy: Sequence[str] = (), *, stateful_types: Iterable[str] = STATEFUL_TYPES
) -> list[DestructiveFinding]:
    """Refuse a plan that deletes, replaces or destroys the data of a resource not listed in ``allow_destroy``.

    Args:
        plan: the parsed plan.
        allow_destroy: exact addresses, or prefixes ending in ``*`` (``terraform.allow_destroy``).
        stateful_types: types to protect; defaults to :data:`STATEFUL_TYPES`.

    Returns:
        The destructive changes that were allowed (for the evidence ledger).

    Raises:
        DestructiveChangeError: listing every refused address.
    """
    findings = destructive_findings(plan, allow_destroy, stateful_types=stateful_types)
    refused = [f for f in findings if not f.allowed]
    if refused:
        log.warning(
            "refusing plan %s: destructive changes to %s", plan.raw_sha256, ", ".join(f.address for f in refused)
        )
        raise DestructiveChangeError([f.address for f in refused], actions={f.address: f.what for f in refused})
    for finding in findings:
        log.info("allowed by terraform.allow_destroy: %s %s", finding.what, finding.address)
    return findings


def _is_destructive(rc: ResourceChange, types: tuple[str, ...]) -> bool:
    return rc.mode == "managed" and rc.action in DESTRUCTIVE_ACTIONS and is_stateful(rc.type, types)
