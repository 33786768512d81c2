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

output "public_route_table_id" {
  description = "Route table of the public subnets."
  value       = aws_route_table.public.id
}

output "private_route_table_ids" {
  description = "Route table of each private subnet."
  value       = aws_route_table.private[*].id
}

output "nat_gateway_ids" {
  description = "NAT gateway IDs (empty when enable_nat_gateway = false)."
  value       = aws_nat_gateway.this[*].id
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways, for allow-lists on the on-premises side."
  value       = aws_eip.nat[*].public_ip
}

output "s3_endpoint_id" {
  description = "S3 gateway endpoint ID, for aws:SourceVpce conditions in bucket policies."
  value       = try(aws_vpc_endpoint.s3[0].id, null)
}

output "dynamodb_endpoint_id" {
  description = "DynamoDB gateway endpoint ID."
  value       = try(aws_vpc_endpoint.dynamodb[0].id, null)
}

output "security_group_ids" {
  description = "Security group ID per key of var.security_groups."
  value       = { for k, v in aws_security_group.this : k => v.id }
}

output "flow_log_id" {
  description = "VPC flow log ID."
  value       = try(aws_flow_log.this[0].id, null)
}

output "flow_log_group_name" {
  description = "CloudWatch log group receiving the flow logs."
  value       = try(aws_cloudwatch_log_group.flow_logs[0].name, null)
}
