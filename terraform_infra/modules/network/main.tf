locals {
  az_count  = length(var.azs)
  nat_count = var.enable_nat_gateway ? (var.single_nat_gateway ? 1 : local.az_count) : 0

  # One ingress rule per (group, rule, source): the resources are keyed by group and rule index so that
  # adding a rule at the end of a list does not recreate the others.
  ingress_rules = merge([
    for gk, g in var.security_groups : merge([
      for i, r in g.ingress : merge(
        r.source_security_group != null ? { "${gk}-${i}-sg" = merge(r, { group = gk, cidr = null, source = r.source_security_group }) } : {},
        r.self ? { "${gk}-${i}-self" = merge(r, { group = gk, cidr = null, source = gk }) } : {},
        { for c in r.cidr_blocks : "${gk}-${i}-${c}" => merge(r, { group = gk, cidr = c, source = null }) },
      )
    ]...)
  ]...)
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = "${var.name_prefix}-vpc" })

  lifecycle {
    precondition {
      condition     = length(var.subnet_cidrs.public) == length(var.azs) && length(var.subnet_cidrs.private) == length(var.azs)
      error_message = "subnet_cidrs.public and subnet_cidrs.private need exactly one CIDR per entry of azs."
    }
  }
}

# The default security group admits traffic between its members; nothing should use it, so it keeps no rules.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-default-unused" })
}

resource "aws_subnet" "public" {
  count = local.az_count

  vpc_id                  = aws_vpc.this.id
  cidr_block              = var.subnet_cidrs.public[count.index]
  availability_zone       = var.azs[count.index]
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name_prefix}-public-${var.azs[count.index]}", Tier = "public" })
}

resource "aws_subnet" "private" {
  count = local.az_count

  vpc_id            = aws_vpc.this.id
  cidr_block        = var.subnet_cidrs.private[count.index]
  availability_zone = var.azs[count.index]

  tags = merge(var.tags, { Name = "${var.name_prefix}-private-${var.azs[count.index]}", Tier = "private" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-igw" })
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = local.az_count

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  count = local.nat_count

  domain = "vpc"

  tags = merge(var.tags, { Name = "${var.name_prefix}-nat-${var.azs[count.index]}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  count = local.nat_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = merge(var.tags, { Name = "${var.name_prefix}-nat-${var.azs[count.index]}" })

  depends_on = [aws_internet_gateway.this]
}

# One private route table per AZ even with a single NAT, so switching to one NAT per AZ later only
# changes routes, never subnet associations.
resource "aws_route_table" "private" {
  count = local.az_count

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-private-${var.azs[count.index]}" })
}

resource "aws_route" "private_nat" {
  count = local.nat_count > 0 ? local.az_count : 0

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.single_nat_gateway ? 0 : count.index].id
}

resource "aws_route_table_association" "private" {
  count = local.az_count

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

data "aws_region" "current" {}

# Gateway endpoints keep S3 and DynamoDB traffic of the private subnets off the NAT gateways.
resource "aws_vpc_endpoint" "gateway" {
  for_each = toset([for service, enabled in { s3 = var.enable_s3_endpoint, dynamodb = var.enable_dynamodb_endpoint } : service if enabled])

  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.name}.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })
}

# --- Flow logs -----------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "flow_logs" {
  count = var.enable_flow_logs ? 1 : 0

  name              = "/aws/vpc/${var.name_prefix}/flow-logs"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.flow_logs_kms_key_arn

  tags = merge(var.tags, { Name = "${var.name_prefix}-flow-logs" })
}

module "flow_logs_trust" {
  source = "../trust_policy"

  services                 = ["vpc-flow-logs.amazonaws.com"]
  source_account_condition = false
}

resource "aws_iam_role" "flow_logs" {
  count = var.enable_flow_logs ? 1 : 0

  name               = "${var.name_prefix}-vpc-flow-logs"
  assume_role_policy = module.flow_logs_trust.json

  tags = merge(var.tags, { Name = "${var.name_prefix}-vpc-flow-logs" })
}

data "aws_iam_policy_document" "flow_logs" {
  count = var.enable_flow_logs ? 1 : 0

  statement {
    sid = "WriteOwnLogGroup"
    actions = [
      "logs:CreateLogStream",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.flow_logs[0].arn,
      "${aws_cloudwatch_log_group.flow_logs[0].arn}:*",
    ]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  count = var.enable_flow_logs ? 1 : 0

  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs[0].id
  policy = data.aws_iam_policy_document.flow_logs[0].json
}

resource "aws_flow_log" "this" {
  count = var.enable_flow_logs ? 1 : 0

  vpc_id               = aws_vpc.this.id
  traffic_type         = var.flow_logs_traffic_type
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_logs[0].arn
  iam_role_arn         = aws_iam_role.flow_logs[0].arn

  tags = merge(var.tags, { Name = "${var.name_prefix}-flow-logs" })
}

# --- Security groups -------------------------------------------------------------------------------

resource "aws_security_group" "this" {
  for_each = var.security_groups

  #checkov:skip=CKV2_AWS_5:The groups are attached by the stacks that create the workloads (RDS, Lambda, MSK, EMR ...).
  name        = "${var.name_prefix}-${each.key}"
  description = each.value.description
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })

  lifecycle {
    create_before_destroy = true
  }
}

# Ingress uses aws_security_group_rule, which reads rules back through DescribeSecurityGroups: the
# sandbox stand-in (moto) answers DescribeSecurityGroupRules with account-qualified group references
# and no descriptions, which would leave aws_vpc_security_group_ingress_rule drifting forever.
resource "aws_security_group_rule" "ingress" {
  for_each = local.ingress_rules

  type                     = "ingress"
  security_group_id        = aws_security_group.this[each.value.group].id
  description              = each.value.description
  protocol                 = each.value.protocol
  from_port                = each.value.protocol == "-1" ? 0 : each.value.from_port
  to_port                  = each.value.protocol == "-1" ? 0 : each.value.to_port
  self                     = each.value.source == each.value.group ? true : null
  source_security_group_id = each.value.source != null && each.value.source != each.value.group ? aws_security_group.this[each.value.source].id : null
  cidr_blocks              = each.value.cidr == null ? null : [each.value.cidr]
}

resource "aws_vpc_security_group_egress_rule" "vpc" {
  for_each = var.security_groups

  security_group_id = aws_security_group.this[each.key].id
  description       = "All traffic inside the VPC (data stores, brokers, interface endpoints)"
  ip_protocol       = "-1"
  cidr_ipv4         = aws_vpc.this.cidr_block

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}-egress-vpc" })
}

resource "aws_vpc_security_group_egress_rule" "https" {
  for_each = { for k, g in var.security_groups : k => g if g.egress_https_anywhere }

  security_group_id = aws_security_group.this[each.key].id
  description       = "HTTPS to AWS APIs without a VPC endpoint, through the NAT gateway"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}-egress-https" })
}
