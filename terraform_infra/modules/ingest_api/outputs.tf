output "repository_url" {
  description = "ECR repository URL to push the function image to."
  value       = aws_ecr_repository.this.repository_url
}

output "function_name" {
  description = "Lambda function name."
  value       = aws_lambda_function.this.function_name
}

output "api_id" {
  description = "HTTP API ID."
  value       = aws_apigatewayv2_api.this.id
}

output "ingest_url" {
  description = "Full URL of the ingest route."
  value       = "${aws_apigatewayv2_stage.this.invoke_url}${trimprefix(split(" ", var.route_key)[1], "/")}"
}

output "function_version" {
  description = "Version published by the last apply."
  value       = aws_lambda_function.this.version
}

output "alias_name" {
  description = "Alias API Gateway invokes (weighted routing during the staged cutover)."
  value       = aws_lambda_alias.live.name
}

output "alias_arn" {
  description = "ARN of the alias."
  value       = aws_lambda_alias.live.arn
}
