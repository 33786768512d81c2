locals {
  create_cluster = var.create && var.enable_cluster
}

resource "aws_cloudwatch_log_group" "broker" {
  count = var.create ? 1 : 0

  name              = "/aws/msk/${var.cluster_name}/broker"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = merge(var.tags, { Name = "${var.cluster_name}-broker-logs" })
}

resource "aws_msk_configuration" "this" {
  count = local.create_cluster ? 1 : 0

  name              = var.cluster_name
  kafka_versions    = [var.kafka_version]
  description       = "Broker settings of ${var.cluster_name}"
  server_properties = join("\n", [for k in sort(keys(var.server_properties)) : "${k} = ${var.server_properties[k]}"])

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_msk_cluster" "this" {
  count = local.create_cluster ? 1 : 0

  cluster_name           = var.cluster_name
  kafka_version          = var.kafka_version
  number_of_broker_nodes = var.number_of_broker_nodes
  enhanced_monitoring    = var.enhanced_monitoring

  broker_node_group_info {
    instance_type   = var.broker_instance_type
    client_subnets  = var.client_subnet_ids
    security_groups = var.security_group_ids

    storage_info {
      ebs_storage_info {
        volume_size = var.broker_volume_size
      }
    }

    connectivity_info {
      public_access {
        type = "DISABLED"
      }
    }
  }

  # Clients authenticate with IAM (SASL/IAM on port 9098) over TLS only; no unauthenticated access.
  client_authentication {
    unauthenticated = false

    sasl {
      iam = true
    }
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = var.kms_key_arn

    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.this[0].arn
    revision = aws_msk_configuration.this[0].latest_revision
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.broker[0].name
      }
    }
  }

  open_monitoring {
    prometheus {
      jmx_exporter {
        enabled_in_broker = true
      }
      node_exporter {
        enabled_in_broker = true
      }
    }
  }

  tags = merge(var.tags, { Name = var.cluster_name })

  lifecycle {
    precondition {
      condition     = var.number_of_broker_nodes % length(var.client_subnet_ids) == 0
      error_message = "number_of_broker_nodes must be a multiple of the number of client subnets."
    }
  }
}
