output "database_name" {
  description = "Glue Data Catalog database of the curated zone."
  value       = aws_glue_catalog_database.this.name
}

output "database_arn" {
  description = "ARN of the catalog database."
  value       = aws_glue_catalog_database.this.arn
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
  value       = var.create_scripts_bucket ? module.scripts_bucket.bucket_id : local.scripts_bucket
}

output "scripts_bucket_arn" {
  description = "ARN of the scripts bucket (null when an existing bucket is used)."
  value       = module.scripts_bucket.bucket_arn
}

output "sample_script_s3_uri" {
  description = "S3 URI of the uploaded sample job script (null when not uploaded)."
  value       = try("s3://${aws_s3_object.sample_script[0].bucket}/${aws_s3_object.sample_script[0].key}", null)
}

output "role_arn" {
  description = "IAM role that jobs and crawler run as."
  value       = local.role_arn
}

output "log_group_name" {
  description = "CloudWatch log group of the jobs' continuous logging."
  value       = aws_cloudwatch_log_group.jobs.name
}
