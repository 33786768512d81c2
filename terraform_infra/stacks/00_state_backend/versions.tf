terraform {
  required_version = ">= 1.6"

  # Local state on purpose: this stack creates the bucket and table every other stack keeps its state in.
  # The runner passes -backend-config=path=<env state folder>/00_state_backend.tfstate.
  backend "local" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}
