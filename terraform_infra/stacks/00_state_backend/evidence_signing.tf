# The key that seals each run's evidence (params evidence.signing: mode kms, kms_key_id = this alias).
# Created here, in the bootstrap stack, so that it exists before the first phase of a run ends and the
# record log can be signed; it is asymmetric (ECC_NIST_P256, SIGN_VERIFY), so an auditor can check a
# signature with the public key alone (`runbook evidence verify --public-key`), without AWS access.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_root_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
  evidence_signers = length(var.evidence_signer_arns) > 0 ? var.evidence_signer_arns : [local.account_root_arn]
}

data "aws_iam_policy_document" "evidence_signing" {
  count = var.create_evidence_signing_key ? 1 : 0

  #checkov:skip=CKV_AWS_109:In a key policy Resource "*" means "this key"; it is the only value KMS accepts.
  #checkov:skip=CKV_AWS_111:In a key policy Resource "*" means "this key"; it is the only value KMS accepts.
  #checkov:skip=CKV_AWS_356:In a key policy Resource "*" means "this key"; it is the only value KMS accepts.

  statement {
    sid    = "KeyAdministration"
    effect = "Allow"
    # Administration without signing: the account can manage and schedule deletion of the key, and only
    # the signer principals below may sign with it.
    actions = [
      "kms:CancelKeyDeletion", "kms:Create*", "kms:Delete*", "kms:Describe*", "kms:Disable*", "kms:Enable*",
      "kms:Get*", "kms:List*", "kms:Put*", "kms:Revoke*", "kms:ScheduleKeyDeletion", "kms:TagResource",
      "kms:UntagResource", "kms:Update*",
    ]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account_root_arn]
    }
  }

  statement {
    sid       = "SignEvidence"
    effect    = "Allow"
    actions   = ["kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = local.evidence_signers
    }
  }

  statement {
    sid       = "VerifyEvidence"
    effect    = "Allow"
    actions   = ["kms:Verify", "kms:GetPublicKey", "kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account_root_arn]
    }
  }
}

resource "aws_kms_key" "evidence_signing" {
  count = var.create_evidence_signing_key ? 1 : 0

  #checkov:skip=CKV_AWS_7:Automatic rotation exists only for symmetric keys; a signing key keeps its public key so old evidence still verifies.

  description              = "Signs the migration runbook's evidence (the head of each run's record log)."
  customer_master_key_spec = "ECC_NIST_P256"
  key_usage                = "SIGN_VERIFY"
  deletion_window_in_days  = var.evidence_key_deletion_window_days
  policy                   = data.aws_iam_policy_document.evidence_signing[0].json
}

resource "aws_kms_alias" "evidence_signing" {
  count = var.create_evidence_signing_key ? 1 : 0

  name          = var.evidence_signing_key_alias
  target_key_id = aws_kms_key.evidence_signing[0].key_id
}
