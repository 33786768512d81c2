# Module input of the modules that own one named bucket (secure_bucket, state_backend; symlinked into each).

variable "bucket_name" {
  description = "Globally unique name of the bucket (3-63 characters, lower case, digits, dots and hyphens)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 characters of lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit."
  }
}
