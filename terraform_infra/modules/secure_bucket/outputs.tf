output "bucket_name" {
  description = "Bucket name (null when create = false); available once the bucket's policy, public access block and encryption are in place."
  value       = try(aws_s3_bucket.this[0].id, null)

  depends_on = [aws_s3_bucket_policy.this, aws_s3_bucket_public_access_block.this, aws_s3_bucket_server_side_encryption_configuration.this]
}

output "bucket_arn" {
  description = "Bucket ARN (null when create = false)."
  value       = try(aws_s3_bucket.this[0].arn, null)
}
