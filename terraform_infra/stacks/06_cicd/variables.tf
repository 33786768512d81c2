variable "region" {
  description = "AWS region of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"dmig-prod\". Null takes 01_network_iam's name_prefix output, so all stacks share one."
  type        = string
  default     = null

  validation {
    condition     = var.name_prefix == null || can(regex("^[a-z][a-z0-9-]{1,20}[a-z0-9]$", coalesce(var.name_prefix, "x")))
    error_message = "name_prefix must be 3-22 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Common tags, applied to every resource through the provider's default_tags."
  type        = map(string)
  default     = {}
}

variable "remote_state_backend" {
  description = "Backend type of the earlier stacks' state: \"s3\" (normal) or \"local\" (offline trials, remote_state_config.path is then a directory)."
  type        = string
  default     = "s3"

  validation {
    condition     = contains(["s3", "local"], var.remote_state_backend)
    error_message = "remote_state_backend must be s3 or local."
  }
}

variable "remote_state_config" {
  description = "Backend configuration to read earlier stacks' state (bucket, region, endpoints ... for s3; {path = <directory>} for local). The key is added per stack."
  type        = map(any)
  default     = {}
}

variable "state_key_prefix" {
  description = "Prefix of the state keys (usually the environment name); stack NN_name's state is <prefix>/NN_name.tfstate."
  type        = string
  default     = "sandbox"
}

variable "kms_key_purpose" {
  description = "Which key of 01_network_iam's kms_key_arns encrypts the ECR repository (the \"streaming\" key admits ecr)."
  type        = string
  default     = "streaming"
}

variable "github_repository" {
  description = "The repository (\"owner/name\") whose workflows may deploy."
  type        = string
}

variable "allowed_branches" {
  description = "Branches whose workflows may assume the deploy role."
  type        = list(string)
  default     = ["main"]
}

variable "allowed_environments" {
  description = "GitHub deployment environments whose jobs may assume the deploy role."
  type        = list(string)
  default     = []
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
