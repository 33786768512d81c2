output "bucket_name" {
  description = "State bucket name, for backend.hcl (bucket)."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "State bucket ARN, for IAM policies of whoever runs terraform."
  value       = aws_s3_bucket.this.arn
}

output "lock_table_name" {
  description = "Lock table name, for backend.hcl (dynamodb_table)."
  value       = aws_dynamodb_table.lock.name
}

output "lock_table_arn" {
  description = "Lock table ARN."
  value       = aws_dynamodb_table.lock.arn
}

output "kms_key_arn" {
  description = "KMS key that encrypts state (backend.hcl kms_key_id)."
  value       = local.kms_key_arn
}

output "kms_alias_name" {
  description = "Alias of the key this module created; null when an existing key was passed."
  value       = try(aws_kms_alias.this[0].name, null)
}
