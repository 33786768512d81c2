output "repository_url" {
  description = "ECR repository URL to push the function image to."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "ECR repository ARN."
  value       = aws_ecr_repository.this.arn
}

output "function_name" {
  description = "Lambda function name."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Lambda function ARN."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "Execution role the function runs as."
  value       = local.role_arn
}

output "dlq_arn" {
  description = "Dead-letter queue of failed asynchronous invocations."
  value       = aws_sqs_queue.dlq.arn
}

output "api_id" {
  description = "HTTP API ID."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "Base URL of the HTTP API."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "ingest_url" {
  description = "Full URL of the ingest route."
  value       = "${aws_apigatewayv2_stage.this.invoke_url}${trimprefix(split(" ", var.route_key)[1], "/")}"
}

output "function_log_group_name" {
  description = "Log group of the function."
  value       = aws_cloudwatch_log_group.function.name
}

output "access_log_group_name" {
  description = "Log group of the API access logs."
  value       = aws_cloudwatch_log_group.access.name
}
