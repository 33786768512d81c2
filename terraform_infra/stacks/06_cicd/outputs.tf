output "deploy_role_arn" {
  description = "role-to-assume for aws-actions/configure-aws-credentials."
  value       = module.cicd.deploy_role_arn
}

output "oidc_provider_arn" {
  description = "GitHub OIDC provider."
  value       = module.cicd.oidc_provider_arn
}

output "allowed_subjects" {
  description = "Token subjects the deploy role trusts."
  value       = module.cicd.allowed_subjects
}

output "ecr_repository_url" {
  description = "ECR repository of the runbook image."
  value       = module.cicd.ecr_repository_url
}
