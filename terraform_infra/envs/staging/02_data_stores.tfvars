# Stack 02 (staging): data lake, PostgreSQL, DocumentDB.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "staging"
  ManagedBy   = "terraform"
  Stack       = "02_data_stores"
}

# Earlier stacks' state: the same bucket as backend.hcl.
state_key_prefix     = "staging"
remote_state_backend = "s3"
remote_state_config = {
  bucket = "dmig-staging-tfstate"
  region = "eu-west-1"
}

enable_tls_only_policy           = true
enable_eventbridge_notifications = true
enable_rds_parameter_group       = true
enable_access_logging            = true
enable_replication               = false # staging mirrors prod's shape but not its DR copy
rds_instance_class               = "db.r6g.large"
rds_allocated_storage            = 100
rds_max_allocated_storage        = 500
rds_multi_az                     = true
rds_backup_retention_period      = 7
enable_performance_insights      = true
rds_monitoring_interval          = 60
enable_documentdb                = true
enable_documentdb_cluster        = true
docdb_instance_class             = "db.r6g.large"
docdb_instance_count             = 2
deletion_protection              = true
rds_delete_automated_backups     = false
skip_final_snapshot              = false
force_destroy                    = false
