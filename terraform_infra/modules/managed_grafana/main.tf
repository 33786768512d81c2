locals {
  create           = var.create
  create_workspace = var.create && var.create_workspace
  name             = "${var.name_prefix}-grafana"
  role_name        = "${var.name_prefix}-grafana-workspace"
  create_role      = local.create && var.role_arn == null
  role_arn         = local.create_role ? try(aws_iam_role.this[0].arn, null) : var.role_arn
  policy_role      = local.create_role ? try(aws_iam_role.this[0].id, null) : (var.role_arn == null ? null : element(split("/", var.role_arn), length(split("/", var.role_arn)) - 1))
}

module "trust" {
  source = "../trust_policy"

  services = ["grafana.amazonaws.com"]
}

# Read-only access to exactly the data sources enabled; written inline instead of
# attaching the AWS-managed Grafana policies so each grant is visible in review.
data "aws_iam_policy_document" "read" {
  dynamic "statement" {
    for_each = contains(var.data_sources, "CLOUDWATCH") ? [1] : []

    content {
      sid = "CloudWatchRead"
      actions = [
        "cloudwatch:DescribeAlarmsForMetric", "cloudwatch:DescribeAlarmHistory", "cloudwatch:DescribeAlarms",
        "cloudwatch:ListMetrics", "cloudwatch:GetMetricData", "cloudwatch:GetInsightRuleReport",
        "logs:DescribeLogGroups", "logs:GetLogGroupFields", "logs:StartQuery", "logs:StopQuery",
        "logs:GetQueryResults", "logs:GetLogEvents", "ec2:DescribeTags", "ec2:DescribeInstances",
        "ec2:DescribeRegions", "tag:GetResources",
      ]
      resources = ["*"] # read-only list/describe actions without resource-level permissions
    }
  }

  dynamic "statement" {
    for_each = contains(var.data_sources, "PROMETHEUS") ? [1] : []

    content {
      sid       = "PrometheusRead"
      actions   = ["aps:ListWorkspaces", "aps:DescribeWorkspace", "aps:QueryMetrics", "aps:GetLabels", "aps:GetSeries", "aps:GetMetricMetadata"]
      resources = ["arn:${local.partition}:aps:${local.region}:${local.account_id}:*"]
    }
  }

  dynamic "statement" {
    for_each = contains(var.data_sources, "XRAY") ? [1] : []

    content {
      sid = "XRayRead"
      actions = [
        "xray:BatchGetTraces", "xray:GetServiceGraph", "xray:GetTraceGraph", "xray:GetTraceSummaries",
        "xray:GetGroups", "xray:GetGroup", "xray:GetTimeSeriesServiceStatistics", "xray:GetInsightSummaries",
        "xray:GetInsight", "xray:GetInsightEvents",
      ]
      resources = ["*"] # X-Ray read actions have no resource-level permissions
    }
  }

  dynamic "statement" {
    for_each = length(var.alert_topic_arns) > 0 ? [1] : []

    content {
      sid       = "PublishAlerts"
      actions   = ["sns:Publish"]
      resources = var.alert_topic_arns
    }
  }

  statement {
    sid       = "Identity"
    actions   = ["sts:GetCallerIdentity"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "this" {
  count = local.create_role ? 1 : 0

  name               = local.role_name
  assume_role_policy = module.trust.json

  tags = merge(var.tags, { Name = local.role_name })
}

resource "aws_iam_role_policy" "read" {
  count = local.create ? 1 : 0

  name   = "${var.name_prefix}-grafana-module"
  role   = local.policy_role
  policy = data.aws_iam_policy_document.read.json
}

resource "aws_grafana_workspace" "this" {
  count = local.create_workspace ? 1 : 0

  name                      = local.name
  description               = "Dashboards and alerts for the migrated data platform (${var.name_prefix})."
  account_access_type       = "CURRENT_ACCOUNT"
  authentication_providers  = var.authentication_providers
  permission_type           = "CUSTOMER_MANAGED"
  role_arn                  = local.role_arn
  data_sources              = var.data_sources
  notification_destinations = length(var.alert_topic_arns) > 0 ? ["SNS"] : []
  grafana_version           = var.grafana_version

  dynamic "vpc_configuration" {
    for_each = var.vpc_configuration == null ? [] : [var.vpc_configuration]

    content {
      subnet_ids         = vpc_configuration.value.subnet_ids
      security_group_ids = vpc_configuration.value.security_group_ids
    }
  }

  tags = merge(var.tags, { Name = local.name })

  depends_on = [aws_iam_role_policy.read]
}
