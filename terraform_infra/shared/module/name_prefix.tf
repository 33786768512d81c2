# Module input of the modules that derive their resource names from the environment's prefix
# (symlinked into each; openmetadata has a shorter limit of its own).

variable "name_prefix" {
  description = "Prefix of every name the module creates (and of the names its policies are scoped to), e.g. \"dmig-prod\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}
