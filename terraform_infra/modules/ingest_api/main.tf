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

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_272:Code signing applies to zip packages only; container images are verified by ECR scanning and immutable tags.
  function_name = local.function_name
  description   = "Receives events from the ingest API and lands them in the raw zone"
  role          = var.role_arn
  package_type  = var.package_type

  image_uri        = var.package_type == "Image" ? local.image_uri : null
  filename         = var.package_type == "Zip" ? var.filename : null
  source_code_hash = var.package_type == "Zip" ? filebase64sha256(var.filename) : null
  handler          = var.package_type == "Zip" ? "handler.handler" : null
  runtime          = var.package_type == "Zip" ? "python3.12" : null

  architectures                  = ["x86_64"]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.encrypt_environment ? var.kms_key_arn : null

  environment {
    variables = {
      RAW_BUCKET              = var.raw_bucket_name
      RAW_PREFIX              = "ingest/"
      KAFKA_BOOTSTRAP_BROKERS = var.kafka_bootstrap_brokers
      KAFKA_TOPIC             = var.kafka_topic
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

  # The same entry point and command as src/Dockerfile, stated so that the function does not depend on
  # the image's metadata (and reads back identically everywhere).
  dynamic "image_config" {
    for_each = var.package_type == "Image" ? [1] : []

    content {
      entry_point = ["/lambda-entrypoint.sh"]
      command     = ["handler.handler"]
    }
  }

  tags = merge(var.tags, { Name = local.function_name })

  lifecycle {
    precondition {
      condition     = var.package_type == "Image" || var.filename != null
      error_message = "package_type = \"Zip\" needs filename (a zip of src/handler.py)."
    }
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
  integration_uri        = aws_lambda_function.this.invoke_arn
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
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}
