terraform {
  required_version = ">= 1.6"

  # Partial configuration: envs/<env>/backend.hcl plus -backend-config=key=<prefix>/<NN_name>.tfstate.
  backend "s3" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}
