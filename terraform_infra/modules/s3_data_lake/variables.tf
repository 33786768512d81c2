variable "zones" {
  description = <<-EOT
    Data lake zones keyed by zone name (raw, curated, analytics, and optionally artifacts), each one bucket.
    Lifecycle: objects move to STANDARD_IA and GLACIER_IR after the given days (null = never) and expire after
    expiration_days (null = never); superseded versions expire after noncurrent_version_expiration_days.
  EOT
  type = map(object({
    bucket_name                        = string
    transition_to_ia_days              = optional(number)
    transition_to_glacier_days         = optional(number)
    expiration_days                    = optional(number)
    noncurrent_version_expiration_days = optional(number, 90)
  }))

  validation {
    condition     = alltrue([for z in ["raw", "curated", "analytics"] : contains(keys(var.zones), z)])
    error_message = "zones needs at least raw, curated and analytics."
  }

  validation {
    condition     = alltrue([for z in values(var.zones) : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", z.bucket_name))])
    error_message = "Every bucket_name must be 3-63 characters of lower-case letters, digits, dots and hyphens."
  }

  validation {
    condition     = alltrue([for z in values(var.zones) : z.transition_to_ia_days == null || coalesce(z.transition_to_ia_days, 30) >= 30])
    error_message = "transition_to_ia_days must be at least 30: S3 refuses earlier transitions to STANDARD_IA."
  }

  validation {
    condition = alltrue([for z in values(var.zones) :
      z.expiration_days == null || coalesce(z.expiration_days, 0) > max(coalesce(z.transition_to_ia_days, 0), coalesce(z.transition_to_glacier_days, 0))
    ])
    error_message = "expiration_days must come after every transition day."
  }
}

variable "force_destroy" {
  description = "Let terraform delete buckets that still hold objects. True only in sandbox/dev: in prod it would delete the data lake."
  type        = bool
  default     = false
}

variable "enable_tls_only_policy" {
  description = "Attach to every bucket the policy that denies requests without TLS (1.2 or later). Only a stand-in that cannot evaluate policy conditions (moto) needs false: it applies the Deny to every object request."
  type        = bool
  default     = true
}

variable "enable_access_logging" {
  description = "Create a central access-log bucket and send every zone's S3 server access logs to it. Other stacks can point their buckets at it too."
  type        = bool
  default     = true
}

variable "access_log_bucket_name" {
  description = "Name of the access-log bucket. Null derives \"<name_prefix>-s3-access-logs-<account id>\"."
  type        = string
  default     = null
}

variable "access_log_retention_days" {
  description = "Days access logs are kept."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 1
    error_message = "access_log_retention_days must be at least 1."
  }
}

variable "enable_eventbridge_notifications" {
  description = "Publish object events of every zone to EventBridge, so pipelines can start on arrival instead of polling."
  type        = bool
  default     = true
}

variable "enable_replication" {
  description = "Replicate every zone to a bucket in another region (disaster recovery), through a role this module creates."
  type        = bool
  default     = false
}

variable "replication_destination_bucket_arns" {
  description = "Destination bucket ARN per zone (versioned buckets in the DR region). Required for every zone when enable_replication = true."
  type        = map(string)
  default     = {}
}

variable "replication_destination_kms_key_arn" {
  description = "KMS key in the DR region that encrypts the replicas."
  type        = string
  default     = null
}

variable "replication_storage_class" {
  description = "Storage class of the replicas."
  type        = string
  default     = "STANDARD_IA"

  validation {
    condition     = contains(["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], var.replication_storage_class)
    error_message = "replication_storage_class must be an S3 storage class."
  }
}
