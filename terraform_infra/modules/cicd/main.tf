locals {
  oidc_host         = "token.actions.githubusercontent.com"
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.this[0].arn : var.oidc_provider_arn
  repository_name   = coalesce(var.ecr_repository_name, "${var.name_prefix}/runbook")
  role_name         = "${var.name_prefix}-github-deploy"

  # Token subjects GitHub issues to a job that names a deployment environment: exactly one per
  # environment of this repository, compared with StringEquals (no pattern, no branch or PR subject).
  allowed_subjects = [for e in var.allowed_environments : "repo:${var.github_repository}:environment:${e}"]
}

resource "aws_iam_openid_connect_provider" "this" {
  count = var.create_oidc_provider ? 1 : 0

  url             = "https://${local.oidc_host}"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.oidc_thumbprints

  tags = merge(var.tags, { Name = local.oidc_host })
}

data "aws_iam_policy_document" "trust" {
  #checkov:skip=CKV_AWS_358:sub is pinned with StringEquals to "repo:<owner/name>:environment:<env>" built in local.allowed_subjects; variable validation forbids wildcards in the repository and the environments. checkov cannot evaluate the list.
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [coalesce(local.oidc_provider_arn, "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.oidc_host}")]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = local.allowed_subjects
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = local.role_name
  description          = "Assumed by GitHub Actions of ${var.github_repository} (environments ${join(", ", var.allowed_environments)}) to deploy ${var.name_prefix}."
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = var.max_session_hours * 3600
  permissions_boundary = var.permissions_boundary_arn

  tags = merge(var.tags, { Name = local.role_name })

  lifecycle {
    precondition {
      condition     = var.create_oidc_provider || var.oidc_provider_arn != null
      error_message = "create_oidc_provider = false needs oidc_provider_arn."
    }
  }
}

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = toset(var.deploy_policy_arns)

  role       = aws_iam_role.deploy.name
  policy_arn = each.value
}

data "aws_iam_policy_document" "pipeline" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken has no resource type
  }

  statement {
    sid = "EcrPush"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
      "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload",
      "ecr:PutImage", "ecr:UploadLayerPart",
    ]
    resources = [aws_ecr_repository.this.arn]
  }

  dynamic "statement" {
    for_each = var.state_bucket_arn == null ? [] : [1]

    content {
      sid       = "TerraformState"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]
      resources = [var.state_bucket_arn, "${var.state_bucket_arn}/*"]
    }
  }

  dynamic "statement" {
    for_each = var.lock_table_arn == null ? [] : [1]

    content {
      sid       = "TerraformLock"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable"]
      resources = [var.lock_table_arn]
    }
  }

  dynamic "statement" {
    for_each = length(var.assume_role_arns) == 0 ? [] : [1]

    content {
      sid       = "AssumeTerraformExecutionRoles"
      actions   = ["sts:AssumeRole", "sts:TagSession"]
      resources = var.assume_role_arns
    }
  }

  statement {
    sid       = "Kms"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "ecr-push-and-terraform-state"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.pipeline.json
}

resource "aws_ecr_repository" "this" {
  name                 = local.repository_name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.ecr_force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = merge(var.tags, { Name = local.repository_name })
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Drop untagged images after 7 days"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest ${var.ecr_keep_images} images"
        selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.ecr_keep_images }
        action       = { type = "expire" }
      },
    ]
  })
}
