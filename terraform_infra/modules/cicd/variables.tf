variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider. An account has at most one per URL: set false and pass oidc_provider_arn where it already exists."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "Existing GitHub OIDC provider ARN, used when create_oidc_provider = false."
  type        = string
  default     = null
}

variable "oidc_thumbprints" {
  description = "Certificate thumbprints of token.actions.githubusercontent.com (AWS now trusts GitHub's CA itself, but the API still stores a list)."
  type        = list(string)
  default     = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

variable "github_repository" {
  description = "The one repository allowed to assume the deploy role, as \"owner/name\"."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository)) && !strcontains(var.github_repository, "*")
    error_message = "github_repository must be exactly \"owner/name\" without wildcards."
  }
}

variable "allowed_environments" {
  description = "GitHub deployment environments of github_repository whose jobs may assume the role: the role trusts exactly the subjects \"repo:<owner/name>:environment:<env>\" (StringEquals), nothing per branch or pull request."

  type = list(string)

  validation {
    condition     = length(var.allowed_environments) > 0 && alltrue([for e in var.allowed_environments : can(regex("^[A-Za-z0-9_.-]+$", e))])
    error_message = "allowed_environments must name at least one GitHub environment, each of letters, digits, '_', '.' and '-' only: a wildcard (\"*\", \"?\") would trust every environment of the repository."
  }
}

variable "deploy_policy_arns" {
  description = "Extra managed policies on the deploy role itself. Prefer assume_role_arns: the pipeline identity pushes images and reads state, and assumes a separate Terraform execution role for the rest. Broad policies here fail the runbook's least-privilege verification."
  type        = list(string)
  default     = []
}

variable "assume_role_arns" {
  description = "Terraform execution roles (one per account or environment) the pipeline may assume with sts:AssumeRole; the deploy role gets no other rights on the platform's resources."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.assume_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "assume_role_arns must be IAM role ARNs (arn:aws:iam::<account>:role/<name>); wildcards are not allowed."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary for the deploy role; null sets none."
  type        = string
  default     = null
}

variable "max_session_hours" {
  description = "Maximum session of the deploy role in hours."
  type        = number
  default     = 1

  validation {
    condition     = var.max_session_hours >= 1 && var.max_session_hours <= 12
    error_message = "max_session_hours must be between 1 and 12."
  }
}

variable "state_bucket_arn" {
  description = "Terraform state bucket the pipeline reads and writes; null grants nothing on state."
  type        = string
  default     = null
}

variable "lock_table_arn" {
  description = "DynamoDB lock table of the terraform state; null grants nothing on it."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "KMS key for the ECR repository (and the state, if it uses the same key)."
  type        = string
}

variable "ecr_repository_name" {
  description = "ECR repository for the runbook image. Null derives \"<name_prefix>/runbook\"."
  type        = string
  default     = null
}

variable "ecr_keep_images" {
  description = "How many tagged images the lifecycle policy keeps."
  type        = number
  default     = 30

  validation {
    condition     = var.ecr_keep_images >= 1
    error_message = "ecr_keep_images must be at least 1."
  }
}

variable "ecr_force_delete" {
  description = "Let terraform delete the repository with images in it (sandbox/dev only)."
  type        = bool
  default     = false
}
