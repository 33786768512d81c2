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

variable "create_evidence_signing_key" {
  description = "Create the asymmetric KMS key that signs the runbook's evidence (params evidence.signing.mode kms)."
  type        = bool
  default     = true
}

variable "evidence_signing_key_alias" {
  description = "Alias of the evidence signing key; must equal params evidence.signing.kms_key_id of the environment."
  type        = string
  default     = "alias/runbook-evidence"

  validation {
    condition     = can(regex("^alias/[a-zA-Z0-9/_-]+$", var.evidence_signing_key_alias)) && !startswith(var.evidence_signing_key_alias, "alias/aws/")
    error_message = "evidence_signing_key_alias must look like alias/runbook-evidence-<env> and must not start with alias/aws/."
  }
}

variable "evidence_signer_arns" {
  description = "Principals allowed to sign evidence with the key (the runbook's role); empty: the account root, i.e. IAM policies decide."
  type        = list(string)
  default     = []
}

variable "evidence_key_deletion_window_days" {
  description = "Days a scheduled deletion of the signing key waits (7-30); old evidence cannot be verified through KMS once it is gone."
  type        = number
  default     = 30

  validation {
    condition     = var.evidence_key_deletion_window_days >= 7 && var.evidence_key_deletion_window_days <= 30
    error_message = "evidence_key_deletion_window_days must be between 7 and 30."
  }
}
