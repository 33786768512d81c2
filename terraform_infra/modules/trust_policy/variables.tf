variable "services" {
  description = "Service principals that may assume the role, e.g. [\"glue.amazonaws.com\"]."
  type        = list(string)

  validation {
    condition     = length(var.services) > 0 && alltrue([for s in var.services : endswith(s, ".amazonaws.com")])
    error_message = "services must be one or more service principals (<name>.amazonaws.com)."
  }
}

variable "source_account_condition" {
  description = "Admit the services only on behalf of this account (aws:SourceAccount). False for services that do not send the key."
  type        = bool
  default     = true
}

variable "sid" {
  description = "Statement id; null leaves it out."
  type        = string
  default     = null
}
