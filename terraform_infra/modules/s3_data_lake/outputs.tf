output "bucket_names" {
  description = "Bucket name per zone."
  value       = { for k, b in aws_s3_bucket.this : k => b.id }
}

output "bucket_arns" {
  description = "Bucket ARN per zone."
  value       = { for k, b in aws_s3_bucket.this : k => b.arn }
}

output "access_log_bucket_name" {
  description = "Central access-log bucket; other stacks pass it as access_log_bucket. Null when enable_access_logging = false."
  value       = try(aws_s3_bucket.access_logs[0].id, null)
}

output "replication_role_arn" {
  description = "Role S3 replicates with; null when enable_replication = false."
  value       = try(aws_iam_role.replication[0].arn, null)
}
