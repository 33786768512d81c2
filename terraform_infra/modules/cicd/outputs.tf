output "oidc_provider_arn" {
  description = "GitHub OIDC provider ARN (created or given)."
  value       = local.oidc_provider_arn
}

output "deploy_role_arn" {
  description = "Role for `aws-actions/configure-aws-credentials` (role-to-assume)."
  value       = aws_iam_role.deploy.arn
}

output "allowed_subjects" {
  description = "Token subjects the deploy role trusts."
  value       = local.allowed_subjects
}

output "ecr_repository_url" {
  description = "ECR repository URL for docker push."
  value       = aws_ecr_repository.this.repository_url
}
