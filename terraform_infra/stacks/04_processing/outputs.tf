output "glue_database_name" {
  description = "Glue catalog database of the curated zone."
  value       = try(module.glue[0].database_name, null)
}

output "glue_job_names" {
  description = "Glue job names by key."
  value       = try(module.glue[0].job_names, {})
}

output "glue_job_arns" {
  description = "Glue job ARNs by key (orchestration grants MWAA rights on these)."
  value       = try(module.glue[0].job_arns, {})
}

output "emr_spark_steps" {
  description = "The platform's Spark jobs as EMR steps with this environment's buckets (enable_emr_steps), for add-job-flow-steps; empty when off."
  value       = var.enable_emr_steps ? local.emr_spark_steps : []
}

output "glue_crawler_name" {
  description = "Curated-zone crawler."
  value       = try(module.glue[0].crawler_name, null)
}

output "glue_security_configuration_name" {
  description = "Glue security configuration."
  value       = try(module.glue[0].security_configuration_name, null)
}

output "glue_scripts_bucket_name" {
  description = "Bucket with job scripts."
  value       = try(module.glue[0].scripts_bucket_name, null)
}

output "glue_role_arn" {
  description = "Role Glue jobs and crawler run as."
  value       = try(module.glue[0].role_arn, null)
}

output "glue_log_group_name" {
  description = "Log group of Glue continuous logging."
  value       = try(module.glue[0].log_group_name, null)
}

output "emr_cluster_id" {
  description = "EMR cluster id (null when not created)."
  value       = module.emr.cluster_id
}

output "emr_security_configuration_name" {
  description = "EMR security configuration (also for clusters started by pipelines)."
  value       = module.emr.security_configuration_name
}

output "emr_log_uri" {
  description = "EMR log_uri."
  value       = module.emr.log_uri
}

output "emr_service_role_arn" {
  description = "EMR service role."
  value       = module.emr.service_role_arn
}

output "emr_instance_profile" {
  description = "EMR node instance profile (ARN or name)."
  value       = module.emr.instance_profile
}

output "emr_security_group_ids" {
  description = "EMR managed security groups."
  value       = module.emr.security_group_ids
}
