# Module input of the modules that a stack can switch off as a whole (symlinked into each).

variable "create" {
  description = "Master switch: false creates nothing of this module."
  type        = bool
  default     = true
}
