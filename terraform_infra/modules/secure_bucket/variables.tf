variable "create" {
  description = "Create the bucket. False creates nothing, so a caller can switch the bucket off without a count of its own."
  type        = bool
  default     = true
}

variable "bucket_name" {
  description = "Globally unique bucket name (3-63 characters, lower case, digits, dots and hyphens)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 characters of lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN for SSE-KMS. Null falls back to SSE-S3 (AES256), which only suits throw-away sandboxes."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let terraform destroy a non-empty bucket. True only in sandbox/dev: in prod it would delete evidence and logs."
  type        = bool
  default     = false
}

variable "access_log_bucket" {
  description = "Name of a central bucket that receives S3 server access logs for this bucket. Null disables access logging."
  type        = string
  default     = null
}

variable "access_log_prefix" {
  description = "Key prefix for the access log objects in access_log_bucket."
  type        = string
  default     = null
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which non-current object versions are deleted; bounds the cost of versioning."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "object_ownership" {
  description = "S3 object ownership. BucketOwnerEnforced disables ACLs; log-delivery buckets written by old services may need BucketOwnerPreferred."
  type        = string
  default     = "BucketOwnerEnforced"

  validation {
    condition     = contains(["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"], var.object_ownership)
    error_message = "object_ownership must be BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter."
  }
}

variable "extra_policy_statements" {
  description = "Additional bucket policy statements (IAM policy JSON statement objects), e.g. to let a service principal write logs."
  type        = list(any)
  default     = []
}

variable "tags" {
  description = "Tags added to the bucket (provider default_tags are added on top)."
  type        = map(string)
  default     = {}
}

variable "enable_tls_only_policy" {
  description = "Deny every request that does not use TLS (aws:SecureTransport). Only the sandbox turns it off: moto ignores the Bool condition and would deny every request."
  type        = bool
  default     = true
}
