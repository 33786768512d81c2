output "data_lake_bucket_names" {
  description = "Bucket per zone: raw, curated, analytics, artifacts."
  value       = module.s3_data_lake.bucket_names
}

output "data_lake_bucket_arns" {
  description = "Bucket ARN per zone."
  value       = module.s3_data_lake.bucket_arns
}

output "access_log_bucket_name" {
  description = "Central S3 access-log bucket; later stacks pass it as access_log_bucket."
  value       = module.s3_data_lake.access_log_bucket_name
}

output "postgres_address" {
  description = "PostgreSQL host name."
  value       = module.rds_postgres.address
}

output "postgres_port" {
  description = "PostgreSQL port."
  value       = module.rds_postgres.port
}

output "postgres_db_name" {
  description = "PostgreSQL database name."
  value       = module.rds_postgres.db_name
}

output "postgres_identifier" {
  description = "PostgreSQL instance identifier."
  value       = module.rds_postgres.identifier
}

output "postgres_master_user_secret_arn" {
  description = "Secret with the PostgreSQL master credentials (managed by RDS)."
  value       = module.rds_postgres.master_user_secret_arn
}

output "documentdb_endpoint" {
  description = "DocumentDB writer endpoint; null when the cluster is switched off."
  value       = module.documentdb.endpoint
}

output "documentdb_port" {
  description = "DocumentDB port; null when the cluster is switched off."
  value       = module.documentdb.port
}

output "documentdb_master_user_secret_arn" {
  description = "Secret with the DocumentDB master credentials; null when the cluster is switched off."
  value       = module.documentdb.master_user_secret_arn
}
