# The trust policy of a service role: one AWS service (or a few) may assume it, and only on behalf of
# this account where the service sends aws:SourceAccount (confused-deputy protection). Data only: the
# modules that own the roles use its JSON.

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "this" {
  statement {
    sid     = var.sid
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = var.services
    }

    # EC2, Lambda, VPC flow logs and RDS monitoring do not send aws:SourceAccount; the others do.
    dynamic "condition" {
      for_each = var.source_account_condition ? [data.aws_caller_identity.current.account_id] : []

      content {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [condition.value]
      }
    }
  }
}
