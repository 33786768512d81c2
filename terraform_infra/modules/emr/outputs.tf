output "cluster_id" {
  description = "EMR cluster id (null when the cluster is not created)."
  value       = try(aws_emr_cluster.this[0].id, null)
}

output "security_configuration_name" {
  description = "EMR security configuration (at-rest and in-transit encryption) for clusters started outside terraform too."
  value       = try(aws_emr_security_configuration.this[0].name, null)
}

output "log_uri" {
  description = "log_uri to give clusters started outside terraform."
  value       = try("s3://${module.artifact_bucket.bucket_name}/logs/", null)
}

output "service_role_arn" {
  description = "EMR service role."
  value       = local.service_role
}

output "instance_profile" {
  description = "Instance profile (ARN when created here, name when given) of the cluster nodes."
  value       = local.instance_prof
}

output "security_group_ids" {
  description = "Managed security groups: primary, core, service_access."
  value = {
    primary        = try(aws_security_group.primary[0].id, null)
    core           = try(aws_security_group.core[0].id, null)
    service_access = try(aws_security_group.service_access[0].id, null)
  }
}
