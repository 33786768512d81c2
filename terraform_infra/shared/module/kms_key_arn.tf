# Module input of the modules that must encrypt with a customer-managed key (symlinked into each).

variable "kms_key_arn" {
  description = "Customer-managed KMS key that encrypts the module's data at rest."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}
