output "bucket_name" {
  description = "State bucket name, for backend.hcl (bucket)."
  value       = module.bucket.bucket_name
}

output "lock_table_name" {
  description = "Lock table name, for backend.hcl (dynamodb_table)."
  value       = aws_dynamodb_table.lock.name
}

output "kms_key_arn" {
  description = "KMS key that encrypts state (backend.hcl kms_key_id)."
  value       = local.kms_key_arn
}
