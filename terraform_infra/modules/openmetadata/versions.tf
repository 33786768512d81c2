terraform {
  required_version = ">= 1.11" # ephemeral resources + write-only secret arguments

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}
