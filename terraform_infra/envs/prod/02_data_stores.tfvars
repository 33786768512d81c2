# Stack 02 (prod): data lake, PostgreSQL, DocumentDB.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "prod"
  ManagedBy   = "terraform"
  Stack       = "02_data_stores"
}

# Earlier stacks' state: the same bucket as backend.hcl.
state_key_prefix     = "prod"
remote_state_backend = "s3"
remote_state_config = {
  bucket = "dmig-prod-tfstate"
  region = "eu-west-1"
}

enable_tls_only_policy           = true
enable_eventbridge_notifications = true
enable_rds_parameter_group       = true
enable_access_logging            = true
enable_replication               = true
replication_destination_bucket_arns = {
  raw       = "arn:aws:s3:::dmig-prod-dr-raw"
  curated   = "arn:aws:s3:::dmig-prod-dr-curated"
  analytics = "arn:aws:s3:::dmig-prod-dr-analytics"
  artifacts = "arn:aws:s3:::dmig-prod-dr-artifacts"
}
# DR key in eu-central-1; replace the account ID with the DR account of the organisation.
replication_destination_kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:alias/dmig-prod-dr-data"

rds_instance_class          = "db.r6g.xlarge"
rds_allocated_storage       = 200
rds_max_allocated_storage   = 1000
rds_multi_az                = true
rds_backup_retention_period = 14
enable_performance_insights = true
rds_monitoring_interval     = 60

enable_documentdb         = true
enable_documentdb_cluster = true
docdb_instance_class      = "db.r6g.large"
docdb_instance_count      = 3

deletion_protection          = true
rds_delete_automated_backups = false
skip_final_snapshot          = false
force_destroy                = false
