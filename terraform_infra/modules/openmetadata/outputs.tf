output "cluster_name" {
  description = "ECS cluster name."
  value       = try(aws_ecs_cluster.this[0].name, null)
}

output "cluster_arn" {
  description = "ECS cluster ARN."
  value       = try(aws_ecs_cluster.this[0].arn, null)
}

output "service_name" {
  description = "ECS service name (null when the service is not created)."
  value       = try(aws_ecs_service.this[0].name, null)
}

output "task_definition_arn" {
  description = "Task definition ARN (server + migrate containers)."
  value       = try(aws_ecs_task_definition.this[0].arn, null)
}

output "database_endpoint" {
  description = "host:port of the module's own catalog database (null when the instance is not created)."
  value       = try(aws_db_instance.this[0].endpoint, null)
}

output "database_secret_arn" {
  description = "Secrets Manager secret (RDS-managed) with the database credentials."
  value       = local.db_secret_arn
}

output "app_secret_arn" {
  description = "Secrets Manager secret with the OpenMetadata fernet key."
  value       = try(aws_secretsmanager_secret.app[0].arn, null)
}

output "search_secret_arn" {
  description = "Secrets Manager secret with the OpenSearch master user."
  value       = try(aws_secretsmanager_secret.search[0].arn, null)
}

output "search_endpoint" {
  description = "OpenSearch domain endpoint (null when not created)."
  value       = try(aws_opensearch_domain.this[0].endpoint, null)
}

output "search_domain_arn" {
  description = "OpenSearch domain ARN (null when not created)."
  value       = try(aws_opensearch_domain.this[0].arn, null)
}

output "log_group_name" {
  description = "Log group of the server and migrate containers."
  value       = try(aws_cloudwatch_log_group.this[0].name, null)
}

output "security_group_ids" {
  description = "Security groups: service, database, search."
  value = {
    service  = try(aws_security_group.service[0].id, null)
    database = try(aws_security_group.database[0].id, null)
    search   = try(aws_security_group.search[0].id, null)
  }
}
