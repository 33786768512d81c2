"""The ``migration.at_scale`` section: what the AWS DataSync and DMS paths need and cannot guess.

Used at or above ``migration.at_scale_threshold_bytes`` (see ``runbook_lib.migrate.at_scale``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from runbook_lib.params.formats import (
    DataSyncAgentArn,
    DmsCertificateArn,
    DmsInstanceClass,
    DmsSubnetGroup,
    HostName,
    RoleArn,
    SecurityGroupId,
    StrictModel,
)
from runbook_lib.params.secret_refs import SecretRef


class DataSyncParams(StrictModel):
    """What the DataSync object path needs and cannot guess (see ``runbook_lib.migrate.at_scale.datasync``).

    ``server_hostname``/``server_port``/``server_protocol`` are the MinIO endpoint *as the DataSync
    agents see it* (they run next to MinIO, so it is often not the address the runbook uses).
    The MinIO keys are references only; both or neither (neither: the bucket allows anonymous reads).
    """

    bucket_access_role_arn: RoleArn
    agent_arns: list[DataSyncAgentArn] = Field(default_factory=list)
    server_hostname: HostName
    server_port: int = Field(default=443, ge=1, le=65535)
    server_protocol: Literal["HTTPS", "HTTP"] = "HTTPS"
    access_key_ref: SecretRef | None = None
    secret_key_ref: SecretRef | None = None
    storage_class: Literal[
        "STANDARD",
        "STANDARD_IA",
        "ONEZONE_IA",
        "INTELLIGENT_TIERING",
        "GLACIER",
        "GLACIER_INSTANT_RETRIEVAL",
        "DEEP_ARCHIVE",
    ] = "STANDARD"
    poll_interval_s: float = Field(default=15.0, gt=0, le=3600)
    timeout_s: float | None = Field(default=None, gt=0)


class DmsParams(StrictModel):
    """What the DMS database path needs and cannot guess (see ``runbook_lib.migrate.at_scale.dms``).

    ``cdc_required``: the source cannot be frozen for the copy, so DMS is used whatever the size
    and the task keeps applying changes (``full-load-and-cdc``) until the cut-over.
    ``ssl_mode`` is the PostgreSQL endpoints'; MongoDB/DocumentDB endpoints follow their URIs' ``tls``
    option, and a TLS DocumentDB target needs ``docdb_certificate_arn`` (DMS connects with verify-full).
    """

    replication_instance_class: DmsInstanceClass
    replication_subnet_group_id: DmsSubnetGroup
    security_group_ids: list[SecurityGroupId] = Field(min_length=1)
    cdc_required: bool = False
    allocated_storage_gib: int = Field(default=50, ge=5, le=6144)
    ssl_mode: Literal["none", "require", "verify-ca", "verify-full"] = "require"
    poll_interval_s: float = Field(default=15.0, gt=0, le=3600)
    timeout_s: float = Field(default=24 * 3600.0, gt=0)
    docdb_certificate_arn: DmsCertificateArn | None = None


class AtScaleParams(StrictModel):
    """The at-scale movers, used at or above ``migration.at_scale_threshold_bytes`` (either may be omitted)."""

    datasync: DataSyncParams | None = None
    dms: DmsParams | None = None
