variable "keys" {
  description = <<-EOT
    One customer-managed key per purpose, keyed by purpose (e.g. "s3", "rds", "logs").
    via_services: AWS services (short names such as "s3", "rds", "secretsmanager") through which principals
    of this account may use the key; the key policy pins them with kms:ViaService, so the key cannot be used
    directly from a laptop. service_principals: services that use the key as themselves, as a short regional name
    ("logs" for CloudWatch Logs encryption) or a full principal ("budgets.amazonaws.com"); each is limited
    to this account's resources.
  EOT
  type = map(object({
    description             = string
    via_services            = optional(list(string), [])
    service_principals      = optional(list(string), [])
    deletion_window_in_days = optional(number, 30)
  }))

  validation {
    condition     = alltrue([for k, v in var.keys : can(regex("^[a-z][a-z0-9-]{0,31}$", k))])
    error_message = "Key purposes (map keys) must be lower-case words of letters, digits and hyphens; they become alias suffixes."
  }

  validation {
    condition     = alltrue([for k, v in var.keys : v.deletion_window_in_days >= 7 && v.deletion_window_in_days <= 30])
    error_message = "deletion_window_in_days must be between 7 and 30 (the range KMS accepts)."
  }
}

variable "rotation_period_in_days" {
  description = "Automatic rotation period for every key, 90-2560 days. Null leaves the KMS default (365 days) and does not send the setting, which older KMS stand-ins (moto) do not store."
  type        = number
  default     = null

  validation {
    condition     = var.rotation_period_in_days == null || (coalesce(var.rotation_period_in_days, 365) >= 90 && coalesce(var.rotation_period_in_days, 365) <= 2560)
    error_message = "rotation_period_in_days must be between 90 and 2560."
  }
}

variable "key_administrator_arns" {
  description = "IAM principals that administer (but cannot use) the keys. Empty means the account root, i.e. delegated to IAM policies, which is the AWS default and avoids locking the key out."
  type        = list(string)
  default     = []
}

variable "key_user_arns" {
  description = "IAM principals (role ARNs) allowed to use every key directly, besides the via_services path. Keep empty unless a workload calls KMS itself."
  type        = list(string)
  default     = []
}
