locals {
  create_cluster = var.create && var.enable_cluster
}

resource "aws_docdb_subnet_group" "this" {
  count = var.create ? 1 : 0

  name        = "${var.identifier}-subnets"
  description = "Private subnets of ${var.identifier}"
  subnet_ids  = var.subnet_ids

  tags = merge(var.tags, { Name = "${var.identifier}-subnets" })
}

# tls = enabled refuses plain-text clients; audit_logs and profiler feed the exported CloudWatch logs.
resource "aws_docdb_cluster_parameter_group" "this" {
  count = var.create ? 1 : 0

  name        = "${var.identifier}-params"
  family      = var.parameter_group_family
  description = "TLS-only, audited parameters of ${var.identifier}"

  parameter {
    name         = "tls"
    value        = "enabled"
    apply_method = "pending-reboot"
  }

  parameter {
    name  = "audit_logs"
    value = "enabled"
  }

  parameter {
    name  = "profiler"
    value = "enabled"
  }

  parameter {
    name  = "profiler_threshold_ms"
    value = "500"
  }

  tags = merge(var.tags, { Name = "${var.identifier}-params" })
}

resource "aws_docdb_cluster" "this" {
  count = local.create_cluster ? 1 : 0

  cluster_identifier = var.identifier
  engine             = "docdb"
  engine_version     = var.engine_version

  master_username             = var.master_username
  manage_master_user_password = true

  storage_encrypted = true
  kms_key_id        = var.kms_key_arn

  db_subnet_group_name            = aws_docdb_subnet_group.this[0].name
  db_cluster_parameter_group_name = aws_docdb_cluster_parameter_group.this[0].name
  vpc_security_group_ids          = var.vpc_security_group_ids

  backup_retention_period      = var.backup_retention_period
  preferred_backup_window      = var.backup_window
  preferred_maintenance_window = var.maintenance_window
  deletion_protection          = var.deletion_protection
  skip_final_snapshot          = var.skip_final_snapshot
  final_snapshot_identifier    = var.skip_final_snapshot ? null : "${var.identifier}-final"

  enabled_cloudwatch_logs_exports = ["audit", "profiler"]

  tags = merge(var.tags, { Name = var.identifier })
}

resource "aws_docdb_cluster_instance" "this" {
  count = local.create_cluster ? var.instance_count : 0

  identifier                 = "${var.identifier}-${count.index + 1}"
  cluster_identifier         = aws_docdb_cluster.this[0].id
  instance_class             = var.instance_class
  auto_minor_version_upgrade = true
  promotion_tier             = count.index

  tags = merge(var.tags, { Name = "${var.identifier}-${count.index + 1}" })
}
