output "database_name" {
  description = "Glue Data Catalog database of the curated zone."
  value       = aws_glue_catalog_database.this.name
}

output "job_names" {
  description = "Glue job names by job key."
  value       = { for k, j in aws_glue_job.jobs : k => j.name }
}

output "job_arns" {
  description = "Glue job ARNs by job key."
  value       = { for k, j in aws_glue_job.jobs : k => j.arn }
}

output "crawler_name" {
  description = "Name of the curated-zone crawler (null when not created)."
  value       = try(aws_glue_crawler.curated[0].name, null)
}

output "security_configuration_name" {
  description = "Glue security configuration attached to jobs and crawler (null when not created)."
  value       = try(aws_glue_security_configuration.this[0].name, null)
}

output "scripts_bucket_name" {
  description = "Bucket holding job scripts."
  value       = var.create_scripts_bucket ? module.artifact_bucket.bucket_name : local.scripts_bucket
}

output "role_arn" {
  description = "IAM role that jobs and crawler run as."
  value       = local.role_arn
}

output "log_group_name" {
  description = "CloudWatch log group of the jobs' continuous logging."
  value       = aws_cloudwatch_log_group.jobs.name
}
