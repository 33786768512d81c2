locals {
  topic_name = "${var.name_prefix}-alerts"
  namespace  = "DataPlatform/${var.name_prefix}"
  logs_kms   = var.logs_kms_key_arn != null ? var.logs_kms_key_arn : var.kms_key_arn

  api         = var.api_gateway
  api_dims    = local.api == null ? {} : merge(local.api.type == "HTTP" ? { ApiId = local.api.id } : { ApiName = local.api.id }, local.api.stage == null ? {} : { Stage = local.api.stage })
  api_dim_seq = flatten([for k, v in local.api_dims : [k, v]])
  api_5xx     = local.api == null ? null : (local.api.type == "HTTP" ? "5xx" : "5XXError")

  # ---- alarms: one map, so every alarm gets the same actions and naming
  builtin_alarms = merge(
    local.api == null ? {} : {
      "ingest-latency-p95" = {
        namespace   = "AWS/ApiGateway", metric_name = "Latency", dimensions = local.api_dims
        statistic   = null, extended_statistic = "p95", comparison_operator = "GreaterThanThreshold"
        threshold   = var.ingest_latency_p95_ms, period = 300, evaluation_periods = 3, treat_missing_data = "notBreaching"
        description = "Ingest API p95 latency above ${var.ingest_latency_p95_ms} ms for 15 minutes."
      }
      "ingest-5xx" = {
        namespace   = "AWS/ApiGateway", metric_name = local.api_5xx, dimensions = local.api_dims
        statistic   = "Sum", extended_statistic = null, comparison_operator = "GreaterThanThreshold"
        threshold   = 5, period = 300, evaluation_periods = 1, treat_missing_data = "notBreaching"
        description = "More than 5 server errors from the ingest API in 5 minutes."
      }
    },
    { for fn in var.lambda_function_names : "lambda-errors-${fn}" => {
      namespace   = "AWS/Lambda", metric_name = "Errors", dimensions = { FunctionName = fn }
      statistic   = "Sum", extended_statistic = null, comparison_operator = "GreaterThanThreshold"
      threshold   = 0, period = 300, evaluation_periods = 1, treat_missing_data = "notBreaching"
      description = "Lambda ${fn} reported errors."
    } },
    { for db in var.rds_instance_ids : "rds-cpu-${db}" => {
      namespace   = "AWS/RDS", metric_name = "CPUUtilization", dimensions = { DBInstanceIdentifier = db }
      statistic   = "Average", extended_statistic = null, comparison_operator = "GreaterThanThreshold"
      threshold   = var.rds_cpu_percent, period = 300, evaluation_periods = 3, treat_missing_data = "missing"
      description = "RDS ${db} CPU above ${var.rds_cpu_percent}% for 15 minutes."
    } },
    var.msk_cluster_name == null ? {} : {
      "msk-offline-partitions" = {
        namespace   = "AWS/Kafka", metric_name = "OfflinePartitionsCount", dimensions = { "Cluster Name" = var.msk_cluster_name }
        statistic   = "Maximum", extended_statistic = null, comparison_operator = "GreaterThanThreshold"
        threshold   = 0, period = 60, evaluation_periods = 3, treat_missing_data = "missing"
        description = "MSK ${var.msk_cluster_name} has offline partitions."
      }
    },
  )

  alarms = merge(local.builtin_alarms, { for k, a in var.extra_alarms : k => merge(a, { extended_statistic = null }) })

  # ---- dashboard: widgets only for the inputs given (CloudWatch rejects empty metric lists)
  widget_api = local.api == null ? [] : [{
    type = "metric", width = 12, height = 6
    properties = {
      title = "Ingest latency (ms)", region = local.region, view = "timeSeries", period = 60
      metrics = [
        concat(["AWS/ApiGateway", "Latency"], local.api_dim_seq, [{ stat = "p95", label = "p95" }]),
        concat(["AWS/ApiGateway", "Latency"], local.api_dim_seq, [{ stat = "p50", label = "p50" }]),
        concat(["AWS/ApiGateway", "IntegrationLatency"], local.api_dim_seq, [{ stat = "p95", label = "integration p95" }]),
      ]
    }
  }]

  widget_lambda = length(var.lambda_function_names) == 0 ? [] : [{
    type = "metric", width = 12, height = 6
    properties = {
      title   = "Lambda errors", region = local.region, view = "timeSeries", stat = "Sum", period = 300
      metrics = [for fn in var.lambda_function_names : ["AWS/Lambda", "Errors", "FunctionName", fn]]
    }
  }]

  widget_rds = length(var.rds_instance_ids) == 0 ? [] : [{
    type = "metric", width = 12, height = 6
    properties = {
      title       = "RDS CPU (%)", region = local.region, view = "timeSeries", stat = "Average", period = 300
      metrics     = [for db in var.rds_instance_ids : ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", db]]
      annotations = { horizontal = [{ label = "alarm", value = var.rds_cpu_percent }] }
    }
  }]

  # MSK publishes bytes per broker; SEARCH sums every broker of the cluster.
  widget_msk = var.msk_cluster_name == null ? [] : [{
    type = "metric", width = 12, height = 6
    properties = {
      title = "MSK bytes/s", region = local.region, view = "timeSeries", period = 300
      metrics = [
        [{ id = "bin", label = "bytes in", expression = "SUM(SEARCH('{AWS/Kafka,\"Cluster Name\",\"Broker ID\"} MetricName=\"BytesInPerSec\" \"Cluster Name\"=\"${var.msk_cluster_name}\"', 'Average', 300))" }],
        [{ id = "bout", label = "bytes out", expression = "SUM(SEARCH('{AWS/Kafka,\"Cluster Name\",\"Broker ID\"} MetricName=\"BytesOutPerSec\" \"Cluster Name\"=\"${var.msk_cluster_name}\"', 'Average', 300))" }],
      ]
    }
  }]

  widget_alarms = length(local.alarms) == 0 ? [] : [{
    type = "alarm", width = 24, height = 4
    properties = {
      title  = "Alarms"
      alarms = [for k in sort(keys(local.alarms)) : "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name_prefix}-${k}"]
    }
  }]

  widget_header = [{
    type       = "text", width = 24, height = 2
    properties = { markdown = "# ${var.name_prefix} data platform\nIngest latency, Lambda errors, RDS CPU and MSK throughput. Alarms notify SNS topic `${local.topic_name}`." }
  }]

  widgets = concat(local.widget_header, local.widget_alarms, local.widget_api, local.widget_lambda, local.widget_rds, local.widget_msk)

  # ---- ADOT collector configuration (YAML), read by ECS sidecars from SSM
  adot_config = {
    extensions = merge({ health_check = {} }, var.prometheus_remote_write_url == null ? {} : { sigv4auth = { region = local.region, service = "aps" } })
    receivers = {
      otlp                   = { protocols = { grpc = { endpoint = "0.0.0.0:4317" }, http = { endpoint = "0.0.0.0:4318" } } }
      awsecscontainermetrics = { collection_interval = "60s" }
    }
    processors = {
      batch          = { timeout = "30s" }
      memory_limiter = { check_interval = "1s", limit_percentage = 80, spike_limit_percentage = 20 }
      resource       = { attributes = [{ key = "deployment.environment", value = var.name_prefix, action = "upsert" }] }
    }
    exporters = merge(
      {
        awsemf  = { namespace = local.namespace, log_group_name = "/aws/otel/${var.name_prefix}", region = local.region, resource_to_telemetry_conversion = { enabled = true } }
        awsxray = { region = local.region }
      },
      var.prometheus_remote_write_url == null ? {} : {
        prometheusremotewrite = { endpoint = var.prometheus_remote_write_url, auth = { authenticator = "sigv4auth" } }
      },
    )
    service = {
      extensions = concat(["health_check"], var.prometheus_remote_write_url == null ? [] : ["sigv4auth"])
      pipelines = {
        traces = { receivers = ["otlp"], processors = ["memory_limiter", "resource", "batch"], exporters = ["awsxray"] }
        metrics = {
          receivers  = ["otlp", "awsecscontainermetrics"]
          processors = ["memory_limiter", "resource", "batch"]
          exporters  = concat(["awsemf"], var.prometheus_remote_write_url == null ? [] : ["prometheusremotewrite"])
        }
      }
    }
  }
}

# ---------------------------------------------------------------- log groups

resource "aws_cloudwatch_log_group" "this" {
  for_each = var.log_groups

  name              = each.key
  retention_in_days = each.value.retention_days
  kms_key_id        = local.logs_kms

  tags = merge(var.tags, { Name = each.key })
}

resource "aws_cloudwatch_log_group" "adot" {
  count = var.create_adot_config ? 1 : 0

  name              = "/aws/otel/${var.name_prefix}"
  retention_in_days = 365
  kms_key_id        = local.logs_kms

  tags = merge(var.tags, { Name = "/aws/otel/${var.name_prefix}" })
}

# ---------------------------------------------------------------- alerts

resource "aws_sns_topic" "alerts" {
  name              = local.topic_name
  display_name      = "${var.name_prefix} alerts"
  kms_master_key_id = var.kms_key_arn

  tags = merge(var.tags, { Name = local.topic_name })
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid       = "AccountOwner"
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "AlarmAndBudgetPublishers"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

resource "aws_sns_topic_subscription" "alerts" {
  for_each = { for s in var.alert_subscriptions : "${s.protocol}:${s.endpoint}" => s }

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = coalesce(each.value.description, "${each.value.namespace} ${each.value.metric_name}")
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.extended_statistic == null ? each.value.statistic : null
  extended_statistic  = each.value.extended_statistic
  comparison_operator = each.value.comparison_operator
  threshold           = each.value.threshold
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  treat_missing_data  = each.value.treat_missing_data
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })
}

# ---------------------------------------------------------------- dashboard

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.name_prefix}-platform"
  dashboard_body = jsonencode({ widgets = local.widgets })
}

# ---------------------------------------------------------------- ADOT

resource "aws_ssm_parameter" "adot_config" {
  count = var.create_adot_config ? 1 : 0

  name        = "/${var.name_prefix}/adot/collector-config"
  description = "AWS Distro for OpenTelemetry collector configuration (AOT_CONFIG_CONTENT) for ECS sidecars."
  type        = "SecureString"
  key_id      = var.kms_key_arn
  tier        = "Standard"
  value       = yamlencode(local.adot_config)

  tags = merge(var.tags, { Name = "/${var.name_prefix}/adot/collector-config" })
}
