variable "kms_key_purpose" {
  description = "Which key of 01_network_iam's kms_key_arns encrypts the ECR repository (the \"streaming\" key admits ecr)."
  type        = string
  default     = "streaming"
}

variable "github_repository" {
  description = "The repository (\"owner/name\") whose workflows may deploy."
  type        = string
}

variable "allowed_environments" {
  description = "GitHub deployment environments whose jobs may assume the deploy role (repo:<owner/name>:environment:<env>); the generated workflows use \"<env>\" (apply) and \"<env>-plan\" (plan)."
  type        = list(string)
}

variable "create_oidc_provider" {
  description = "Create the GitHub OIDC provider (false where the account already has one; then set oidc_provider_arn)."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "Existing GitHub OIDC provider, used when create_oidc_provider = false."
  type        = string
  default     = null
}

variable "deploy_policy_arns" {
  description = "Extra managed policies on the deploy role (prefer assume_role_arns)."
  type        = list(string)
  default     = []
}

variable "assume_role_arns" {
  description = "Terraform execution roles the pipeline may assume; the deploy role itself only pushes images and reads/writes state."
  type        = list(string)
  default     = []
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the deploy role."
  type        = string
  default     = null
}

variable "state_bucket_name" {
  description = "Terraform state bucket (from envs/<env>/backend.hcl); the deploy role may read and write it. Null grants nothing."
  type        = string
  default     = null
}

variable "lock_table_name" {
  description = "Terraform lock table (from envs/<env>/backend.hcl). Null grants nothing."
  type        = string
  default     = null
}

variable "ecr_force_delete" {
  description = "Let terraform delete the ECR repository with images (sandbox/dev only)."
  type        = bool
  default     = false
}
