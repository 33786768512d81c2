output "bucket_names" {
  description = "Bucket name per zone."
  value       = { for k, z in module.zone : k => z.bucket_name }
}

output "bucket_arns" {
  description = "Bucket ARN per zone."
  value       = { for k, z in module.zone : k => z.bucket_arn }
}

output "access_log_bucket_name" {
  description = "Central access-log bucket; other stacks pass it as access_log_bucket. Null when enable_access_logging = false."
  value       = module.access_logs.bucket_name
}
