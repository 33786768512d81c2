# Stack 02 (dev): data lake, PostgreSQL, DocumentDB.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "dev"
  ManagedBy   = "terraform"
  Stack       = "02_data_stores"
}

# Earlier stacks' state: the same bucket as backend.hcl.
state_key_prefix     = "dev"
remote_state_backend = "s3"
remote_state_config = {
  bucket = "dmig-dev-tfstate"
  region = "eu-west-1"
}

enable_tls_only_policy           = true
enable_eventbridge_notifications = true
enable_rds_parameter_group       = true
enable_access_logging            = true
enable_replication               = false # dev data is disposable
rds_instance_class               = "db.t4g.medium"
rds_allocated_storage            = 20
rds_max_allocated_storage        = 100
rds_multi_az                     = false # dev: no standby
rds_backup_retention_period      = 3
enable_performance_insights      = true
rds_monitoring_interval          = 0
enable_documentdb                = true
enable_documentdb_cluster        = true
docdb_instance_class             = "db.t4g.medium"
docdb_instance_count             = 1
deletion_protection              = false
rds_delete_automated_backups     = true
skip_final_snapshot              = true
force_destroy                    = true
