output "name_prefix" {
  description = "Prefix of every name in the environment."
  value       = var.name_prefix
}

output "account_id" {
  description = "AWS account of the environment."
  value       = local.account_id
}

output "vpc_id" {
  description = "VPC ID."
  value       = module.network.vpc_id
}

output "vpc_cidr_block" {
  description = "VPC CIDR."
  value       = module.network.vpc_cidr_block
}

output "azs" {
  description = "Availability zones in subnet order."
  value       = module.network.azs
}

output "public_subnet_ids" {
  description = "Public subnets (NAT only)."
  value       = module.network.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnets, where every workload runs."
  value       = module.network.private_subnet_ids
}

output "private_route_table_ids" {
  description = "Private route tables (for more gateway endpoints)."
  value       = module.network.private_route_table_ids
}

output "s3_endpoint_id" {
  description = "S3 gateway endpoint, for aws:SourceVpce conditions."
  value       = module.network.s3_endpoint_id
}

output "security_group_ids" {
  description = "Security group per tier: lambda, ecs, glue, mwaa, postgres, docdb, msk."
  value       = module.network.security_group_ids
}

output "kms_key_arns" {
  description = "KMS key per purpose: data, database, streaming, logs, ops."
  value       = module.kms.key_arns
}

output "iam_role_arns" {
  description = "Role per service: ingest_lambda, glue, emr_service, emr_ec2, mwaa, grafana, ecs_task, ecs_execution."
  value       = module.iam.role_arns
}

output "iam_role_names" {
  description = "Role names per service."
  value       = module.iam.role_names
}

output "emr_instance_profile_name" {
  description = "Instance profile of the EMR nodes."
  value       = module.iam.emr_instance_profile_name
}

output "data_lake_bucket_names" {
  description = "Naming contract of the data lake buckets (raw, curated, analytics, artifacts); stack 02 creates them."
  value       = local.data_lake_bucket_names
}

output "data_lake_bucket_arns" {
  description = "ARNs of the data lake buckets per zone."
  value       = local.data_lake_bucket_arns
}

output "msk_cluster_name" {
  description = "Name the MSK cluster of stack 03 must use (IAM policies are scoped to it)."
  value       = local.msk_cluster_name
}

output "flow_log_group_name" {
  description = "Log group of the VPC flow logs."
  value       = module.network.flow_log_group_name
}
