output "key_arns" {
  description = "Key ARN per purpose."
  value       = { for k, v in aws_kms_key.this : k => v.arn }
}

output "key_ids" {
  description = "Key ID per purpose."
  value       = { for k, v in aws_kms_key.this : k => v.key_id }
}

output "alias_names" {
  description = "Alias name (alias/<prefix>-<purpose>) per purpose."
  value       = { for k, v in aws_kms_alias.this : k => v.name }
}
