# Where the earlier stacks' state is: every stack from 01 on (symlinked into each; the runner supplies
# the values from the environment's tfvars) and modules/stack_outputs, which reads it, take the same three.

variable "remote_state_backend" {
  description = "Backend type of the earlier stacks' state: \"s3\" (normal) or \"local\" (offline trials, remote_state_config.path is then a directory)."
  type        = string
  default     = "s3"

  validation {
    condition     = contains(["s3", "local"], var.remote_state_backend)
    error_message = "remote_state_backend must be s3 or local."
  }
}

variable "remote_state_config" {
  description = "Backend settings of the earlier stacks' state without the key (bucket, region, endpoints ... for s3; {path = <directory>} for local), normally those of backend.hcl."
  type        = map(any)
  default     = {}
}

variable "state_key_prefix" {
  description = "Prefix of every stack's state key (usually the environment name): stack NN_name's state is <prefix>/NN_name.tfstate."
  type        = string
  default     = "sandbox"
}
