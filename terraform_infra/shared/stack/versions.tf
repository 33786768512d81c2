# Stacks 01-06 (symlinked into each): stack 00 keeps local state and has a versions.tf of its own.
terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }

  # Partial configuration: envs/<env>/backend.hcl plus -backend-config=key=<prefix>/<NN_name>.tfstate.
  backend "s3" {}
}
