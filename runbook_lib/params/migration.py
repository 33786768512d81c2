"""The ``migration`` section: what data moves (one mapping per kind) and how much parallelism the copy may use."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from runbook_lib.params.at_scale import AtScaleParams
from runbook_lib.params.formats import (
    Allowed,
    BucketName,
    MongoDbName,
    PgName,
    S3Prefix,
    StrictModel,
    TopicName,
    refuse_repeats,
    rule_error,
)
from runbook_lib.params.secret_refs import SecretRef


class BucketMapping(StrictModel):
    """Copy ``source_bucket``/``prefix`` (self-hosted, S3 API) into ``target_bucket`` (AWS)."""

    source_bucket: BucketName
    target_bucket: BucketName
    prefix: S3Prefix = ""


class DatabaseMapping(StrictModel):
    """Copy the PostgreSQL database ``name`` with ``jobs`` parallel dump/restore workers."""

    name: PgName
    source_dsn_ref: SecretRef
    target_dsn_ref: SecretRef
    jobs: int = Field(default=2, ge=1, le=64)


class MongoMapping(StrictModel):
    """Copy MongoDB database ``name`` (all collections unless listed) to ``target_name`` (default: same)."""

    name: MongoDbName
    source_uri_ref: SecretRef
    target_uri_ref: SecretRef
    target_name: MongoDbName | None = None
    collections: list[str] = Field(default_factory=list)


#: A Kafka consumer group id as the mirror accepts it (printable, no spaces).
ConsumerGroupId = Annotated[str, Allowed("1-249 printable characters, no spaces", pattern=r"[!-~]{1,249}")]


class TopicMapping(StrictModel):
    """Mirror Kafka topic ``source_topic`` to ``target_topic`` (default: same name).

    Bootstrap addresses are references because real clusters embed SASL credentials in them and the
    sandbox ones are only known while it runs.
    """

    source_topic: TopicName
    target_topic: TopicName | None = None
    source_bootstrap_ref: SecretRef
    target_bootstrap_ref: SecretRef
    #: Consumer groups whose offsets must be translated: each must have no active member when offsets are
    #: translated (else an error). Groups not listed are translated when inactive, reported when active.
    groups: list[ConsumerGroupId] = Field(default_factory=list)
    #: Replication factor of the recreated topic; None: the source's, capped at the target's broker count.
    replication_factor: int | None = Field(default=None, ge=1, le=16)


class MigrationParams(StrictModel):
    """What data moves, and how much parallelism the copy may use."""

    s3: list[BucketMapping] = Field(default_factory=list)
    postgres: list[DatabaseMapping] = Field(default_factory=list)
    mongo: list[MongoMapping] = Field(default_factory=list)
    kafka: list[TopicMapping] = Field(default_factory=list)
    at_scale_threshold_bytes: int = Field(default=10 * 1024**3, gt=0)
    at_scale: AtScaleParams | None = None
    workers: int = Field(default=4, ge=1, le=64)
    #: How ``verify()`` proves objects: ``auto`` (``listing`` where the target confirmed each write's digest,
    #: else ``deep``), ``listing``, ``checksum`` (HeadObject per object, metadata too) or ``deep`` (re-read all).
    s3_verify_mode: Literal["auto", "listing", "checksum", "deep"] = "auto"

    @model_validator(mode="after")
    def _minio_keys_together(self) -> MigrationParams:
        datasync = self.at_scale.datasync if self.at_scale else None
        if datasync and (datasync.access_key_ref is None) != (datasync.secret_key_ref is None):
            missing = "secret_key_ref" if datasync.secret_key_ref is None else "access_key_ref"
            raise rule_error(
                f"migration.at_scale.datasync.{missing}",
                None,
                "both access_key_ref and secret_key_ref (MinIO's keys), or neither for anonymous reads",
            )
        return self

    @model_validator(mode="after")
    def _unique_targets(self) -> MigrationParams:
        """Two mappings never write one target (topic on a cluster, bucket prefix): the later names the earlier."""
        topics = [(m.target_bootstrap_ref, m.target_topic or m.source_topic) for m in self.kafka]
        refuse_repeats(
            "migration.kafka[{index}].target_topic",
            ((f"{cluster!r}/{topic}", topic) for cluster, topic in topics),
            "a target topic not already written by migration.kafka[{first}]",
        )
        refuse_repeats(
            "migration.s3[{index}].target_bucket",
            ((f"{m.target_bucket}/{m.prefix}", m.target_bucket) for m in self.s3),
            "a target not already used by migration.s3[{first}]",
        )
        return self
