# Module input of the modules that a stack, or a calling module (secure_bucket), can switch off as a whole
# (symlinked into each).

variable "create" {
  description = "Master switch: false creates nothing of this module."
  type        = bool
  default     = true
}
