output "vpc_id" {
  description = "VPC ID."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "VPC IPv4 CIDR."
  value       = aws_vpc.this.cidr_block
}

output "azs" {
  description = "Availability zones, in subnet order."
  value       = var.azs
}

output "public_subnet_ids" {
  description = "Public subnet IDs, one per AZ."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnet IDs, one per AZ; every workload goes here."
  value       = aws_subnet.private[*].id
}

output "private_route_table_ids" {
  description = "Route table of each private subnet."
  value       = aws_route_table.private[*].id
}

output "s3_endpoint_id" {
  description = "S3 gateway endpoint ID, for aws:SourceVpce conditions in bucket policies."
  value       = try(aws_vpc_endpoint.gateway["s3"].id, null)
}

output "security_group_ids" {
  description = "Security group ID per key of var.security_groups."
  value       = { for k, v in aws_security_group.this : k => v.id }
}

output "flow_log_group_name" {
  description = "CloudWatch log group receiving the flow logs."
  value       = try(aws_cloudwatch_log_group.flow_logs[0].name, null)
}
