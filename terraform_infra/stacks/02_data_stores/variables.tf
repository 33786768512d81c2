variable "force_destroy" {
  description = "Let destroy delete buckets that still hold objects. True only in sandbox/dev."
  type        = bool
  default     = false
}

variable "data_lake_lifecycle" {
  description = "Lifecycle per zone: days to STANDARD_IA, to GLACIER_IR and to expiry (null = never), and days superseded versions are kept."
  type = map(object({
    transition_to_ia_days              = optional(number)
    transition_to_glacier_days         = optional(number)
    expiration_days                    = optional(number)
    noncurrent_version_expiration_days = optional(number, 90)
  }))
  default = {
    raw       = { transition_to_ia_days = 30, transition_to_glacier_days = 90, noncurrent_version_expiration_days = 30 }
    curated   = { transition_to_ia_days = 90, noncurrent_version_expiration_days = 90 }
    analytics = { transition_to_ia_days = 90, noncurrent_version_expiration_days = 90 }
    artifacts = { noncurrent_version_expiration_days = 30 }
  }
}

variable "enable_access_logging" {
  description = "Central S3 access-log bucket and access logging of every zone."
  type        = bool
  default     = true
}

variable "enable_replication" {
  description = "Cross-region replication of the data lake to the DR buckets."
  type        = bool
  default     = false
}

variable "replication_destination_bucket_arns" {
  description = "DR bucket ARN per zone (raw, curated, analytics, artifacts) when enable_replication = true."
  type        = map(string)
  default     = {}
}

variable "replication_destination_kms_key_arn" {
  description = "KMS key in the DR region for the replicas."
  type        = string
  default     = null
}

variable "rds_instance_class" {
  description = "Instance class of the PostgreSQL instance."
  type        = string
  default     = "db.r6g.large"
}

variable "rds_engine_version" {
  description = "PostgreSQL engine version."
  type        = string
  default     = "16.4"
}

variable "rds_allocated_storage" {
  description = "Initial PostgreSQL storage in GiB."
  type        = number
  default     = 100
}

variable "rds_max_allocated_storage" {
  description = "PostgreSQL storage autoscaling ceiling in GiB (0 = off)."
  type        = number
  default     = 500
}

variable "rds_multi_az" {
  description = "Multi-AZ standby for PostgreSQL."
  type        = bool
  default     = true
}

variable "rds_backup_retention_period" {
  description = "Days of PostgreSQL automated backups."
  type        = number
  default     = 14
}

variable "enable_performance_insights" {
  description = "Performance Insights on PostgreSQL."
  type        = bool
  default     = true
}

variable "rds_monitoring_interval" {
  description = "Enhanced Monitoring interval of PostgreSQL in seconds (0 = off)."
  type        = number
  default     = 60
}

variable "deletion_protection" {
  description = "Deletion protection of PostgreSQL and DocumentDB. False only in sandbox/dev."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Delete databases without a final snapshot. True only in sandbox/dev."
  type        = bool
  default     = false
}

variable "rds_delete_automated_backups" {
  description = "Delete PostgreSQL's automated backups with the instance. True only in sandbox/dev."
  type        = bool
  default     = false
}

variable "enable_documentdb" {
  description = "Create the DocumentDB parts (subnet and parameter groups, and the cluster unless enable_documentdb_cluster = false)."
  type        = bool
  default     = true
}

variable "enable_documentdb_cluster" {
  description = "Create the DocumentDB cluster and instances."
  type        = bool
  default     = true
}

variable "docdb_instance_class" {
  description = "Instance class of the DocumentDB instances."
  type        = string
  default     = "db.r6g.large"
}

variable "docdb_instance_count" {
  description = "Number of DocumentDB instances."
  type        = number
  default     = 3
}

variable "enable_tls_only_policy" {
  description = "Bucket policies that deny requests without TLS. False only against moto, which ignores policy conditions and so denies every object request."
  type        = bool
  default     = true
}

variable "enable_eventbridge_notifications" {
  description = "Publish the data lake's object events to EventBridge."
  type        = bool
  default     = true
}

variable "enable_rds_parameter_group" {
  description = "Own PostgreSQL parameter group (rds.force_ssl = 1, query logging). False only against moto, which cannot read parameter groups back."
  type        = bool
  default     = true
}
