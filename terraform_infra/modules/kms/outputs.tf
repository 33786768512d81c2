output "key_arns" {
  description = "Key ARN per purpose."
  value       = { for k, v in aws_kms_key.this : k => v.arn }
}
