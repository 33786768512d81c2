output "state_bucket_name" {
  description = "State bucket (backend.hcl bucket)."
  value       = module.state_backend.bucket_name
}

output "lock_table_name" {
  description = "Lock table (backend.hcl dynamodb_table)."
  value       = module.state_backend.lock_table_name
}

output "state_kms_key_arn" {
  description = "KMS key the bucket encrypts state with by default."
  value       = module.state_backend.kms_key_arn
}

output "backend_config" {
  description = "The settings backend.hcl must carry for this environment."
  value = {
    bucket         = module.state_backend.bucket_name
    dynamodb_table = module.state_backend.lock_table_name
    region         = var.region
  }
}

output "evidence_signing_key_arn" {
  description = "The evidence signing key (null when create_evidence_signing_key is false)."
  value       = try(aws_kms_key.evidence_signing[0].arn, null)
}

output "evidence_signing_key_alias" {
  description = "The alias params evidence.signing.kms_key_id names."
  value       = try(aws_kms_alias.evidence_signing[0].name, null)
}
