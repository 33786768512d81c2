# Stacks 04-06 (symlinked into each): one name prefix for the whole environment. Each of these stacks
# reads 01_network_iam through module "upstream" (modules/stack_outputs).

variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"dmig-prod\". Null takes 01_network_iam's name_prefix output, so all stacks share one."
  type        = string
  default     = null

  validation {
    condition     = var.name_prefix == null || can(regex("^[a-z][a-z0-9-]{1,20}[a-z0-9]$", coalesce(var.name_prefix, "x")))
    error_message = "name_prefix must be 3-22 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

locals {
  name_prefix = coalesce(var.name_prefix, module.upstream.platform.name_prefix, "dmig-${var.state_key_prefix}")
}
