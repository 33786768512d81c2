output "environment_name" {
  description = "MWAA environment name (null when not created)."
  value       = try(aws_mwaa_environment.this[0].name, null)
}

output "environment_arn" {
  description = "MWAA environment ARN (null when not created)."
  value       = try(aws_mwaa_environment.this[0].arn, null)
}

output "webserver_url" {
  description = "Airflow UI host name (null when not created)."
  value       = try(aws_mwaa_environment.this[0].webserver_url, null)
}

output "dag_bucket_name" {
  description = "Bucket the DAGs are synced to (under dags/)."
  value       = module.dag_bucket.bucket_id
}

output "dag_bucket_arn" {
  description = "ARN of the DAG bucket."
  value       = module.dag_bucket.bucket_arn
}

output "execution_role_arn" {
  description = "Execution role of the environment."
  value       = local.role_arn
}

output "security_group_id" {
  description = "Security group of the environment."
  value       = local.sg_id
}
