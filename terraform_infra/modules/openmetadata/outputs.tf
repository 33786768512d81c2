output "cluster_name" {
  description = "ECS cluster name."
  value       = try(aws_ecs_cluster.this[0].name, null)
}

output "service_name" {
  description = "ECS service name (null when the service is not created)."
  value       = try(aws_ecs_service.this[0].name, null)
}

output "database_endpoint" {
  description = "host:port of the module's own catalog database (null when the instance is not created)."
  value       = try(aws_db_instance.this[0].endpoint, null)
}

output "database_secret_arn" {
  description = "Secrets Manager secret (RDS-managed) with the database credentials."
  value       = local.db_secret_arn
}

output "search_endpoint" {
  description = "OpenSearch domain endpoint (null when not created)."
  value       = try(aws_opensearch_domain.this[0].endpoint, null)
}
