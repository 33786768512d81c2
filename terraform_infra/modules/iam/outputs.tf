output "role_arns" {
  description = "Role ARN per service key (ingest_lambda, glue, emr_service, emr_ec2, mwaa, grafana, ecs_task, ecs_execution); only the roles created."
  value       = { for k, r in aws_iam_role.this : k => r.arn }
}

output "role_names" {
  description = "Role name per service key; only the roles created."
  value       = { for k, r in aws_iam_role.this : k => r.name }
}

output "emr_instance_profile_name" {
  description = "Instance profile name, as aws_emr_cluster ec2_attributes.instance_profile expects it."
  value       = try(aws_iam_instance_profile.emr_ec2[0].name, null)
}
