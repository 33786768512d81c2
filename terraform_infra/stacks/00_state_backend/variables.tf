variable "state_bucket_name" {
  description = "Name of the state bucket; must equal bucket in envs/<env>/backend.hcl."
  type        = string
}

variable "lock_table_name" {
  description = "Name of the lock table; must equal dynamodb_table in envs/<env>/backend.hcl."
  type        = string
}

variable "force_destroy" {
  description = "Let destroy delete the bucket with state in it. True only in sandbox/dev."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Deletion protection of the lock table. False only in sandbox/dev."
  type        = bool
  default     = true
}

variable "access_log_bucket" {
  description = "Central access-log bucket (output of stack 02) for the state bucket; null until stack 02 exists."
  type        = string
  default     = null
}

variable "enable_tls_only_policy" {
  description = "Bucket policies that deny requests without TLS. False only against moto, which ignores policy conditions and so denies every object request."
  type        = bool
  default     = true
}
