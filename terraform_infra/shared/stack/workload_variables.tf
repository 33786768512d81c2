# Stacks 04 and 05 (symlinked into each): the settings of the workload stacks that run inside
# 01_network_iam's network with its keys and roles, next to 02_data_stores' buckets.

variable "logs_kms_key_purpose" {
  description = "Which key of 01_network_iam's kms_key_arns encrypts CloudWatch log groups (its policy must admit logs.<region>.amazonaws.com)."
  type        = string
  default     = "logs"
}

variable "force_destroy" {
  description = "Let terraform delete non-empty buckets (and, in 05, secrets) of this stack at once (sandbox/dev only)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of this stack's log groups."
  type        = number
  default     = 365
}

variable "use_shared_roles" {
  description = "Use the IAM roles of 01_network_iam (iam_role_arns) where it has one for a service; this stack's modules then only add an inline policy for the buckets and log groups they own. False makes the modules create their own roles."
  type        = bool
  default     = true
}

variable "enable_tls_only_policy" {
  description = "TLS-only bucket policies on this stack's buckets. Sandbox only turns it off: moto ignores the aws:SecureTransport condition and would deny every request."
  type        = bool
  default     = true
}
