# Stack 02 (sandbox): data lake, PostgreSQL, DocumentDB.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "sandbox"
  ManagedBy   = "terraform"
  Stack       = "02_data_stores"
}

# Earlier stacks' state: the same bucket as backend.hcl. The runner adds the moto endpoint
# (AWS_ENDPOINT_URL_S3, or an "endpoint" entry in this map).
state_key_prefix     = "sandbox"
remote_state_backend = "s3"
remote_state_config = {
  bucket                      = "dmig-sandbox-tfstate"
  region                      = "eu-west-1"
  use_path_style              = true
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

enable_access_logging = true
# moto ignores bucket-policy conditions other than StringEquals: the TLS-only Deny would refuse every
# object request (ingest Lambda, migration copies) in the sandbox.
enable_tls_only_policy = false
# Replication: moto stores the configuration without checking the DR buckets, so the module path is
# exercised; the DR buckets themselves belong to the DR account and are not created here.
enable_replication = true
replication_destination_bucket_arns = {
  raw       = "arn:aws:s3:::dmig-sandbox-dr-raw"
  curated   = "arn:aws:s3:::dmig-sandbox-dr-curated"
  analytics = "arn:aws:s3:::dmig-sandbox-dr-analytics"
  artifacts = "arn:aws:s3:::dmig-sandbox-dr-artifacts"
}
replication_destination_kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:alias/dmig-sandbox-dr-data"

rds_instance_class          = "db.t4g.medium"
rds_allocated_storage       = 20
rds_max_allocated_storage   = 100
rds_multi_az                = true
rds_backup_retention_period = 7
enable_performance_insights = true
rds_monitoring_interval     = 60

enable_documentdb         = true
enable_documentdb_cluster = false # moto has no "docdb" engine: CreateDBCluster rejects it (subnet and parameter groups still apply)
docdb_instance_class      = "db.t4g.medium"
docdb_instance_count      = 1

# Sandbox teardown (not moto gaps): destroy must run unattended and leave nothing behind.
deletion_protection = false
skip_final_snapshot = true
force_destroy       = true
