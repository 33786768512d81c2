terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }

  # Partial configuration: bucket, region, lock table and key come from
  # envs/<env>/backend.hcl through `terraform init -backend-config=...`.
  backend "s3" {}
}
