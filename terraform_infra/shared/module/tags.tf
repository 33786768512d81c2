# Module input shared by every module (symlinked into each): one definition, one description.

variable "tags" {
  description = "Tags for every resource of the module (provider default_tags are added on top)."
  type        = map(string)
  default     = {}
}
