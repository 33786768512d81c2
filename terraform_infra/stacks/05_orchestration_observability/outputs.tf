output "alert_topic_arn" {
  description = "SNS topic of alarms and budget notifications."
  value       = module.observability.alert_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the platform."
  value       = module.observability.dashboard_name
}

output "alarm_names" {
  description = "Metric alarms by key."
  value       = module.observability.alarm_names
}

output "adot_config_parameter_name" {
  description = "SSM parameter with the ADOT collector configuration."
  value       = module.observability.adot_config_parameter_name
}

output "mwaa_environment_name" {
  description = "MWAA environment (null when not created)."
  value       = module.mwaa.environment_name
}

output "mwaa_webserver_url" {
  description = "Airflow UI host (null when not created)."
  value       = module.mwaa.webserver_url
}

output "mwaa_dag_bucket_name" {
  description = "Bucket the DAGs are synced to (prefix dags/)."
  value       = module.mwaa.dag_bucket_name
}

output "mwaa_execution_role_arn" {
  description = "MWAA execution role."
  value       = module.mwaa.execution_role_arn
}

output "grafana_workspace_endpoint" {
  description = "Managed Grafana URL host (null when not created)."
  value       = module.managed_grafana.workspace_endpoint
}

output "grafana_role_arn" {
  description = "Role Managed Grafana reads data with."
  value       = module.managed_grafana.role_arn
}

output "openmetadata_cluster_name" {
  description = "ECS cluster of OpenMetadata."
  value       = module.openmetadata.cluster_name
}

output "openmetadata_service_name" {
  description = "ECS service of OpenMetadata (null when not created)."
  value       = module.openmetadata.service_name
}

output "openmetadata_database_endpoint" {
  description = "OpenMetadata catalog database host:port."
  value       = module.openmetadata.database_endpoint
}

output "openmetadata_database_secret_arn" {
  description = "Secret with the OpenMetadata database credentials."
  value       = module.openmetadata.database_secret_arn
}

output "openmetadata_search_endpoint" {
  description = "OpenMetadata OpenSearch endpoint."
  value       = module.openmetadata.search_endpoint
}

output "budget_name" {
  description = "Monthly cost budget."
  value       = module.budgets.budget_name
}

output "service_budget_names" {
  description = "Per-service budgets."
  value       = module.budgets.service_budget_names
}
