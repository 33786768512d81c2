# Module input of the modules whose log groups may use a key of their own (symlinked into each).

variable "logs_kms_key_arn" {
  description = "KMS key for CloudWatch log groups, if logs use a key of their own (its policy must admit logs.<region>.amazonaws.com). Null uses kms_key_arn."
  type        = string
  default     = null
}
