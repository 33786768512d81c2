provider "aws" {
  region = var.region

  # The account guard, in Terraform too: the provider refuses any account not listed (the runner passes
  # aws.allowed_account_ids against real AWS; empty -> unset, as in the sandbox, whose provider skips the
  # account lookup).
  allowed_account_ids = length(var.allowed_account_ids) > 0 ? var.allowed_account_ids : null

  dynamic "assume_role" {
    for_each = var.assume_role_arn == null ? [] : [var.assume_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "runbook"
    }
  }

  default_tags {
    tags = var.tags
  }
}
