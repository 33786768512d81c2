# Stack 02: the data lake buckets, PostgreSQL and DocumentDB, inside the network of stack 01.

locals {
  upstream_stacks = ["01_network_iam"] # read through module "upstream" (upstream.tf)

  net         = module.upstream.outputs["01_network_iam"]
  name_prefix = local.net.name_prefix
}

module "s3_data_lake" {
  source = "../../modules/s3_data_lake"

  name_prefix = local.name_prefix
  zones = {
    for z, name in local.net.data_lake_bucket_names : z => merge(
      { bucket_name = name },
      try(var.data_lake_lifecycle[z], { noncurrent_version_expiration_days = 90 }),
    )
  }
  kms_key_arn                      = local.net.kms_key_arns["data"]
  force_destroy                    = var.force_destroy
  enable_access_logging            = var.enable_access_logging
  enable_tls_only_policy           = var.enable_tls_only_policy
  enable_eventbridge_notifications = var.enable_eventbridge_notifications

  enable_replication                  = var.enable_replication
  replication_destination_bucket_arns = var.replication_destination_bucket_arns
  replication_destination_kms_key_arn = var.replication_destination_kms_key_arn
}

module "rds_postgres" {
  source = "../../modules/rds_postgres"

  identifier             = "${local.name_prefix}-postgres"
  engine_version         = var.rds_engine_version
  parameter_group_family = "postgres${split(".", var.rds_engine_version)[0]}"
  instance_class         = var.rds_instance_class
  create_parameter_group = var.enable_rds_parameter_group
  allocated_storage      = var.rds_allocated_storage
  max_allocated_storage  = var.rds_max_allocated_storage
  subnet_ids             = local.net.private_subnet_ids
  vpc_security_group_ids = [local.net.security_group_ids["postgres"]]
  kms_key_arn            = local.net.kms_key_arns["database"]

  multi_az                     = var.rds_multi_az
  backup_retention_period      = var.rds_backup_retention_period
  performance_insights_enabled = var.enable_performance_insights
  monitoring_interval          = var.rds_monitoring_interval
  deletion_protection          = var.deletion_protection
  skip_final_snapshot          = var.skip_final_snapshot
  delete_automated_backups     = var.rds_delete_automated_backups
}

module "documentdb" {
  source = "../../modules/documentdb"

  create         = var.enable_documentdb
  enable_cluster = var.enable_documentdb_cluster

  identifier             = "${local.name_prefix}-docdb"
  instance_class         = var.docdb_instance_class
  instance_count         = var.docdb_instance_count
  subnet_ids             = local.net.private_subnet_ids
  vpc_security_group_ids = [local.net.security_group_ids["docdb"]]
  kms_key_arn            = local.net.kms_key_arns["database"]
  deletion_protection    = var.deletion_protection
  skip_final_snapshot    = var.skip_final_snapshot
}
