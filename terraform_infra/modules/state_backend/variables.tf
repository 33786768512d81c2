variable "lock_table_name" {
  description = "Name of the DynamoDB table that holds Terraform state locks (hash key LockID)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.lock_table_name))
    error_message = "lock_table_name must be 3-255 characters of letters, digits, underscores, dots and hyphens."
  }
}

variable "create_kms_key" {
  description = "Create a dedicated KMS key for the state bucket and lock table. False requires kms_key_arn (state must never fall back to SSE-S3: it holds secrets in plain text)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Existing KMS key ARN for the bucket and table, used when create_kms_key = false."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:...)."
  }
}

variable "force_destroy" {
  description = "Let terraform delete the bucket with state objects in it. True only in sandbox/dev: in prod it would delete every stack's state."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "DynamoDB deletion protection on the lock table. Off only in sandbox/dev so destroy can run unattended."
  type        = bool
  default     = true
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which superseded state versions are deleted. Long enough to roll back a bad apply."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "enable_tls_only_policy" {
  description = "Attach the bucket policy that denies requests without TLS. Only a stand-in that cannot evaluate policy conditions (moto) needs false: it applies the Deny to every object request, including the backend's own."
  type        = bool
  default     = true
}

variable "access_log_bucket" {
  description = "Bucket that receives S3 server access logs for the state bucket. Null disables them (the central log bucket is created later, in stack 02; set this on a second apply)."
  type        = string
  default     = null
}
