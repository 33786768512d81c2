output "bucket_id" {
  description = "Bucket name (null when create = false)."
  value       = try(aws_s3_bucket.this[0].id, null)
}

output "bucket_arn" {
  description = "Bucket ARN (null when create = false)."
  value       = try(aws_s3_bucket.this[0].arn, null)
}

output "bucket_regional_domain_name" {
  description = "Regional domain name of the bucket, for service configurations that want it."
  value       = try(aws_s3_bucket.this[0].bucket_regional_domain_name, null)
}

output "versioning_status" {
  description = "Versioning status; MWAA refuses a DAG bucket that is not Enabled."
  value       = try(aws_s3_bucket_versioning.this[0].versioning_configuration[0].status, null)
}
