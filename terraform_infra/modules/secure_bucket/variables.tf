variable "kms_key_arn" {
  description = "KMS key ARN for SSE-KMS. Null falls back to SSE-S3 (AES256), which only the access-log bucket wants (S3 log delivery cannot write to SSE-KMS buckets)."
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

variable "lifecycle_rule_id" {
  description = "Id of the bucket's lifecycle rule."
  type        = string
  default     = "expire-noncurrent-and-abort-uploads"
}

variable "transitions" {
  description = "Storage-class transitions of current objects, e.g. [{ days = 30, storage_class = \"STANDARD_IA\" }]. Empty keeps objects in STANDARD."
  type = list(object({
    days          = number
    storage_class = string
  }))
  default = []
}

variable "expiration_days" {
  description = "Days after which current objects expire. Null keeps them."
  type        = number
  default     = null
}

variable "policy_documents" {
  description = "Further bucket policy documents (JSON, e.g. from aws_iam_policy_document) whose statements come first in the bucket policy, e.g. to let a service principal write logs."
  type        = list(string)
  default     = []
}

variable "deny_acl_writes" {
  description = "Deny ACL writes in the bucket policy (belt and braces to BucketOwnerEnforced)."
  type        = bool
  default     = true
}

variable "minimum_tls_version" {
  description = "Deny requests over a TLS version below this one (s3:TlsVersion, e.g. \"1.2\"). Null adds no such statement."
  type        = string
  default     = null
}

variable "enable_eventbridge_notifications" {
  description = "Publish the bucket's object events to EventBridge."
  type        = bool
  default     = false
}

variable "enable_tls_only_policy" {
  description = "Deny every request that does not use TLS (aws:SecureTransport). Only the sandbox turns it off: moto ignores the Bool condition and would deny every request."
  type        = bool
  default     = true
}
