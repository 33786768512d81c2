locals {
  # rds.force_ssl refuses plain-text connections; the logging settings give the query evidence
  # (DDL, slow statements, connections) that the migration's verification step reads.
  parameters = merge({
    "log_statement"              = "ddl"
    "log_min_duration_statement" = tostring(var.log_min_duration_statement_ms)
    "log_connections"            = "1"
    "log_disconnections"         = "1"
  }, var.extra_parameters)
}

resource "aws_db_subnet_group" "this" {
  name        = "${var.identifier}-subnets"
  description = "Private subnets of ${var.identifier}"
  subnet_ids  = var.subnet_ids

  tags = merge(var.tags, { Name = "${var.identifier}-subnets" })
}

resource "aws_db_parameter_group" "this" {
  count = var.create_parameter_group ? 1 : 0

  name        = "${var.identifier}-params"
  family      = var.parameter_group_family
  description = "TLS-only, query-logging parameters of ${var.identifier}"

  parameter {
    name         = "rds.force_ssl"
    value        = "1"
    apply_method = "pending-reboot"
  }

  dynamic "parameter" {
    for_each = { for k, v in local.parameters : k => v if k != "rds.force_ssl" }

    content {
      name         = parameter.key
      value        = parameter.value
      apply_method = "pending-reboot"
    }
  }

  tags = merge(var.tags, { Name = "${var.identifier}-params" })

  lifecycle {
    create_before_destroy = true
  }
}

module "monitoring_trust" {
  source = "../trust_policy"

  services                 = ["monitoring.rds.amazonaws.com"]
  source_account_condition = false
}

resource "aws_iam_role" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  name               = "${var.identifier}-monitoring"
  assume_role_policy = module.monitoring_trust.json

  tags = merge(var.tags, { Name = "${var.identifier}-monitoring" })
}


# The same grants as the AWS-managed AmazonRDSEnhancedMonitoringRole (write to the RDSOSMetrics log
# group only), written out so the policy is reviewable here and does not depend on a managed policy.
data "aws_iam_policy_document" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  statement {
    sid       = "EnableCreationAndManagementOfRDSCloudwatchLogGroups"
    actions   = ["logs:CreateLogGroup", "logs:PutRetentionPolicy"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:RDS*"]
  }

  statement {
    sid       = "EnableCreationAndManagementOfRDSCloudwatchLogStreams"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:GetLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:RDS*:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  name   = "enhanced-monitoring"
  role   = aws_iam_role.monitoring[0].id
  policy = data.aws_iam_policy_document.monitoring[0].json
}

resource "aws_db_instance" "this" {
  identifier     = var.identifier
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class
  port           = 5432

  db_name                       = var.db_name
  username                      = var.master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage > 0 ? var.max_allocated_storage : null
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  multi_az               = var.multi_az
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = var.vpc_security_group_ids
  publicly_accessible    = false
  parameter_group_name   = var.create_parameter_group ? aws_db_parameter_group.this[0].name : null

  iam_database_authentication_enabled = true
  auto_minor_version_upgrade          = true
  allow_major_version_upgrade         = false
  apply_immediately                   = var.apply_immediately
  ca_cert_identifier                  = "rds-ca-rsa2048-g1"

  backup_retention_period   = var.backup_retention_period
  backup_window             = var.backup_window
  maintenance_window        = var.maintenance_window
  copy_tags_to_snapshot     = true
  delete_automated_backups  = var.delete_automated_backups
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${var.identifier}-final"

  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]

  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_kms_key_id       = var.performance_insights_enabled ? var.kms_key_arn : null
  performance_insights_retention_period = var.performance_insights_enabled ? var.performance_insights_retention_period : null

  monitoring_interval = var.monitoring_interval
  monitoring_role_arn = var.monitoring_interval > 0 ? aws_iam_role.monitoring[0].arn : null

  tags = merge(var.tags, { Name = var.identifier })

  depends_on = [aws_iam_role_policy.monitoring]
}
