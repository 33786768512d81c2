locals {
  function_name = var.name
  image_uri     = coalesce(var.image_uri, "${aws_ecr_repository.this.repository_url}:${var.image_tag}")
}

# --- Image repository -------------------------------------------------------------------------------

resource "aws_ecr_repository" "this" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last ${var.image_retention_count} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.image_retention_count
      }
      action = { type = "expire" }
    }]
  })
}

# --- Function ---------------------------------------------------------------------------------------

# The function's log group and the API's access log.
resource "aws_cloudwatch_log_group" "this" {
  for_each = {
    function = "/aws/lambda/${local.function_name}"
    access   = "/aws/apigateway/${var.name}/access"
  }

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = merge(var.tags, { Name = "${var.name}-${each.key}-logs" })
}

resource "aws_sqs_queue" "dlq" {
  name                              = "${var.name}-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  tags = merge(var.tags, { Name = "${var.name}-dlq" })
}

# The platform's ingestor (examples/platform/ingestor: FastAPI + Mangum) as a container image. Every change
# publishes a version; the "live" alias below is what API Gateway invokes.
resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_272:Code signing applies to zip packages only; container images are verified by ECR scanning and immutable tags.
  function_name = local.function_name
  description   = "The platform ingestor: validates each posted event and produces it to Kafka with its key"
  role          = var.role_arn
  package_type  = "Image"
  image_uri     = local.image_uri
  publish       = true

  architectures                  = ["x86_64"]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.encrypt_environment ? var.kms_key_arn : null

  environment {
    variables = {
      INGEST_BOOTSTRAP_SERVERS = var.kafka_bootstrap_brokers
      INGEST_TOPIC             = var.kafka_topic
      INGEST_AUTH              = var.kafka_auth
      INGEST_MAX_EVENT_BYTES   = tostring(var.max_event_bytes)
      INGEST_PATH_LABEL        = var.path_label
    }
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  dynamic "dead_letter_config" {
    for_each = var.enable_dead_letter_config ? [aws_sqs_queue.dlq.arn] : []

    content {
      target_arn = dead_letter_config.value
    }
  }

  tracing_config {
    mode = "Active"
  }

  dynamic "logging_config" {
    for_each = var.enable_json_logging ? [aws_cloudwatch_log_group.this["function"].name] : []

    content {
      log_format = "JSON"
      log_group  = logging_config.value
    }
  }

  # The same entry point and command as examples/platform/ingestor/Dockerfile, stated so that the function
  # does not depend on the image's metadata (and reads back identically everywhere).
  image_config {
    entry_point = ["/lambda-entrypoint.sh"]
    command     = ["ingestor.lambda_handler.handler"]
  }

  tags = merge(var.tags, { Name = local.function_name })
}

# What API Gateway invokes. Weighted routing between two published versions (the version producing to the
# self-hosted Kafka and the one producing to MSK) moves producers in steps: runbook_lib.cutover.traffic
# sets the weights through the Lambda API, gated on the canary, so Terraform creates the alias and then
# leaves its version and weights to the cutover (ignore_changes) instead of undoing a step half-way.
resource "aws_lambda_alias" "live" {
  name             = var.alias_name
  description      = "Producers' entry point; weights are moved by the staged cutover"
  function_name    = aws_lambda_function.this.function_name
  function_version = coalesce(var.alias_function_version, aws_lambda_function.this.version)

  dynamic "routing_config" {
    for_each = length(var.alias_additional_version_weights) > 0 ? [1] : []

    content {
      additional_version_weights = var.alias_additional_version_weights
    }
  }

  lifecycle {
    ignore_changes = [function_version, routing_config]
  }
}

# --- HTTP API ---------------------------------------------------------------------------------------

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "HTTP"
  description   = "Event ingest endpoint of the data platform"

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  count = var.authorization_type == "JWT" ? 1 : 0

  api_id           = aws_apigatewayv2_api.this.id
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]
  name             = "${var.name}-jwt"

  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = var.jwt_audience
  }
}

resource "aws_apigatewayv2_integration" "this" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_alias.live.invoke_arn
  integration_method     = "POST"
  payload_format_version = "2.0"
  timeout_milliseconds   = var.timeout * 1000 + 1000 > 30000 ? 30000 : var.timeout * 1000 + 1000
}

resource "aws_apigatewayv2_route" "this" {
  api_id             = aws_apigatewayv2_api.this.id
  route_key          = var.route_key
  target             = "integrations/${aws_apigatewayv2_integration.this.id}"
  authorization_type = var.authorization_type
  authorizer_id      = try(aws_apigatewayv2_authorizer.jwt[0].id, null)
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.this["access"].arn
    format = jsonencode({
      requestId          = "$context.requestId"
      sourceIp           = "$context.identity.sourceIp"
      caller             = "$context.identity.caller"
      requestTime        = "$context.requestTime"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      integrationError   = "$context.integrationErrorMessage"
      integrationLatency = "$context.integrationLatency"
    })
  }

  tags = merge(var.tags, { Name = "${var.name}-default" })
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowInvokeFromHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = var.qualify_invoke_permission ? aws_lambda_alias.live.name : null
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}
