variable "stacks" {
  description = "Earlier stacks to read, by directory name (e.g. [\"01_network_iam\", \"02_data_stores\"])."
  type        = list(string)

  validation {
    condition     = alltrue([for s in var.stacks : can(regex("^[0-9]{2}_[a-z0-9_]+$", s))])
    error_message = "stacks must be stack directory names such as 01_network_iam."
  }
}
