output "environment_name" {
  description = "MWAA environment name (null when not created)."
  value       = try(aws_mwaa_environment.this[0].name, null)
}

output "webserver_url" {
  description = "Airflow UI host name (null when not created)."
  value       = try(aws_mwaa_environment.this[0].webserver_url, null)
}

output "dag_bucket_name" {
  description = "Bucket the DAGs are synced to (under dags/)."
  value       = module.artifact_bucket.bucket_name
}

output "execution_role_arn" {
  description = "Execution role of the environment."
  value       = local.role_arn
}
