# Every stack (symlinked into each): the provider's region, default tags, account allow-list and role.

variable "region" {
  description = "AWS region of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "tags" {
  description = "Tags every resource gets through the provider's default_tags (project, environment, owner, cost centre)."
  type        = map(string)
  default     = {}
}

variable "allowed_account_ids" {
  description = "The only AWS accounts the provider may act in (params aws.allowed_account_ids, passed by the runner as TF_VAR_allowed_account_ids); empty: not enforced by the provider."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.allowed_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "allowed_account_ids must be 12-digit AWS account IDs."
  }
}

variable "assume_role_arn" {
  description = "A role the provider assumes (params aws.assume_role_arn, passed by the runner as TF_VAR_assume_role_arn); null: the profile's own credentials."
  type        = string
  default     = null
}
