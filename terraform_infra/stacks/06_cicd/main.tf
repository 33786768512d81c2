# Phase 6 - CI/CD: GitHub Actions OIDC federation, a deploy role that only the
# configured repository and branches/environments can assume, and the ECR
# repository of the runbook image.
#
# 00_state_backend keeps local state (it bootstraps the remote one), so the
# state bucket and lock table come in as variables, not through remote state.

locals {
  upstream_stacks = ["01_network_iam"] # read through module "upstream" (upstream.tf)

  kms_key_arn = lookup(module.upstream.platform.kms_key_arns, var.kms_key_purpose, null)
}

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

module "cicd" {
  source = "../../modules/cicd"

  name_prefix              = local.name_prefix
  create_oidc_provider     = var.create_oidc_provider
  oidc_provider_arn        = var.oidc_provider_arn
  github_repository        = var.github_repository
  allowed_environments     = var.allowed_environments
  deploy_policy_arns       = var.deploy_policy_arns
  assume_role_arns         = var.assume_role_arns
  permissions_boundary_arn = var.permissions_boundary_arn
  state_bucket_arn         = var.state_bucket_name == null ? null : "arn:${data.aws_partition.current.partition}:s3:::${var.state_bucket_name}"
  lock_table_arn           = var.lock_table_name == null ? null : "arn:${data.aws_partition.current.partition}:dynamodb:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:table/${var.lock_table_name}"
  kms_key_arn              = local.kms_key_arn
  ecr_force_delete         = var.ecr_force_delete
  tags                     = var.tags
}

check "inputs_from_earlier_stacks" {
  assert {
    condition     = local.kms_key_arn != null
    error_message = "Missing kms_key_arns[\"${var.kms_key_purpose}\"] from 01_network_iam: apply it first."
  }
}
