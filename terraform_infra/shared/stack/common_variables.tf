# Every stack (symlinked into each): the provider's region and default tags.

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
