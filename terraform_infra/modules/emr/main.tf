locals {
  create         = var.create
  create_cluster = var.create && var.create_cluster
  log_bucket     = "${var.name_prefix}-emr-logs-${local.account_id}"

  # The log bucket (artifact_bucket.tf).
  artifact_bucket_name   = local.log_bucket
  create_artifact_bucket = local.create
  create_roles           = local.create && var.create_roles
  service_role           = local.create_roles ? try(aws_iam_role.service[0].arn, null) : var.service_role_arn
  instance_prof          = local.create_roles ? try(aws_iam_instance_profile.instance[0].arn, null) : var.instance_profile_name
  instance_role          = local.create_roles ? try(aws_iam_role.instance[0].id, null) : var.instance_role_name
  # The AWS-managed EMR v2 service policy only acts on resources carrying this tag.
  emr_managed_tag = { "for-use-with-amazon-emr-managed-policies" = "true" }

  security_configuration = {
    EncryptionConfiguration = {
      EnableInTransitEncryption = true
      EnableAtRestEncryption    = true
      InTransitEncryptionConfiguration = {
        TLSCertificateConfiguration = {
          CertificateProviderType = "PEM"
          S3Object                = var.in_transit_certificate_s3_uri
        }
      }
      AtRestEncryptionConfiguration = {
        S3EncryptionConfiguration = {
          EncryptionMode = "SSE-KMS"
          AwsKmsKey      = var.kms_key_arn
        }
        LocalDiskEncryptionConfiguration = {
          EncryptionKeyProviderType = "AwsKms"
          AwsKmsKey                 = var.kms_key_arn
          EnableEbsEncryption       = true
        }
      }
    }
    InstanceMetadataServiceConfiguration = {
      MinimumInstanceMetadataServiceVersion = 2
      HttpPutResponseHopLimit               = 1
    }
  }

  glue_metastore = [for c in ["spark-hive-site", "hive-site"] : {
    Classification = c
    Properties = {
      "hive.metastore.client.factory.class" = "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"
    }
  }]
}

# ---------------------------------------------------------------- logs

# ---------------------------------------------------------------- encryption

resource "aws_emr_security_configuration" "this" {
  count = local.create ? 1 : 0

  name          = "${var.name_prefix}-emr"
  configuration = jsonencode(local.security_configuration)
}

# ---------------------------------------------------------------- network

resource "aws_security_group" "primary" {
  count = local.create ? 1 : 0

  name                   = "${var.name_prefix}-emr-primary"
  description            = "EMR primary node(s); EMR adds its own intra-cluster rules."
  vpc_id                 = var.vpc_id
  revoke_rules_on_delete = true

  tags = merge(var.tags, local.emr_managed_tag, { Name = "${var.name_prefix}-emr-primary" })
}

resource "aws_security_group" "core" {
  count = local.create ? 1 : 0

  name                   = "${var.name_prefix}-emr-core"
  description            = "EMR core and task nodes; EMR adds its own intra-cluster rules."
  vpc_id                 = var.vpc_id
  revoke_rules_on_delete = true

  tags = merge(var.tags, local.emr_managed_tag, { Name = "${var.name_prefix}-emr-core" })
}

resource "aws_security_group" "service_access" {
  count = local.create ? 1 : 0

  name                   = "${var.name_prefix}-emr-service-access"
  description            = "EMR service access for clusters in private subnets."
  vpc_id                 = var.vpc_id
  revoke_rules_on_delete = true

  tags = merge(var.tags, local.emr_managed_tag, { Name = "${var.name_prefix}-emr-service-access" })
}

# aws_security_group_rule, not aws_vpc_security_group_*_rule: the latter reads a referenced group back
# as "<account>/<sg>" when the provider does not know its account id (sandbox), and plans a change forever.
resource "aws_security_group_rule" "service_access_from_primary" {
  count = local.create ? 1 : 0

  type                     = "ingress"
  security_group_id        = aws_security_group.service_access[0].id
  description              = "EMR service access: primary node to service on 9443."
  protocol                 = "tcp"
  from_port                = 9443
  to_port                  = 9443
  source_security_group_id = aws_security_group.primary[0].id
}

resource "aws_security_group_rule" "service_access_to_nodes" {
  for_each = local.create ? toset(["primary", "core"]) : toset([])

  type                     = "egress"
  security_group_id        = aws_security_group.service_access[0].id
  description              = "EMR service access: service to ${each.key} nodes on 8443."
  protocol                 = "tcp"
  from_port                = 8443
  to_port                  = 8443
  source_security_group_id = each.key == "primary" ? aws_security_group.primary[0].id : aws_security_group.core[0].id
}

resource "aws_vpc_security_group_egress_rule" "nodes_https" {
  for_each = local.create ? { primary = aws_security_group.primary[0].id, core = aws_security_group.core[0].id } : {}

  security_group_id = each.value
  description       = "HTTPS to S3, EMR, Glue, KMS and CloudWatch endpoints."
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "nodes_vpc" {
  for_each = local.create && var.vpc_cidr != null ? { primary = aws_security_group.primary[0].id, core = aws_security_group.core[0].id } : {}

  security_group_id = each.value
  description       = "Anything inside the VPC (metastore, Kafka, other nodes)."
  ip_protocol       = "-1"
  cidr_ipv4         = var.vpc_cidr
}

# ---------------------------------------------------------------- roles

module "service_trust" {
  source = "../trust_policy"

  services = ["elasticmapreduce.amazonaws.com"]
}

resource "aws_iam_role" "service" {
  count = local.create_roles ? 1 : 0

  name               = "${var.name_prefix}-emr-svc"
  assume_role_policy = module.service_trust.json

  tags = merge(var.tags, { Name = "${var.name_prefix}-emr-svc" })
}

resource "aws_iam_role_policy_attachment" "service" {
  for_each = local.create_roles ? toset(coalesce(var.service_policy_arns, ["arn:${local.partition}:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"])) : toset([])

  role       = aws_iam_role.service[0].name
  policy_arn = each.value
}

module "node_trust" {
  source = "../trust_policy"

  services                 = ["ec2.amazonaws.com"]
  source_account_condition = false
}

data "aws_iam_policy_document" "instance" {
  statement {
    sid       = "Logs"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${local.log_bucket}", "arn:${local.partition}:s3:::${local.log_bucket}/*"]
  }

  statement {
    sid       = "Certificates"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${trimprefix(var.in_transit_certificate_s3_uri, "s3://")}"]
  }

  dynamic "statement" {
    for_each = length(var.data_bucket_arns) > 0 ? [1] : []

    content {
      sid       = "DataLake"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketLocation"]
      resources = concat(var.data_bucket_arns, [for b in var.data_bucket_arns : "${b}/*"])
    }
  }

  statement {
    sid = "GlueMetastore"
    actions = [
      "glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables",
      "glue:CreateTable", "glue:UpdateTable", "glue:GetPartition", "glue:GetPartitions",
      "glue:BatchCreatePartition", "glue:BatchGetPartition", "glue:CreatePartition",
    ]
    resources = [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/*",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/*/*",
    ]
  }

  statement {
    sid       = "Kms"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role" "instance" {
  count = local.create_roles ? 1 : 0

  name               = "${var.name_prefix}-emr-node"
  assume_role_policy = module.node_trust.json

  tags = merge(var.tags, { Name = "${var.name_prefix}-emr-node" })
}

resource "aws_iam_role_policy" "instance" {
  count = local.create && (var.create_roles || var.instance_role_name != null) ? 1 : 0

  name   = "${var.name_prefix}-emr-module"
  role   = local.instance_role
  policy = data.aws_iam_policy_document.instance.json
}

resource "aws_iam_instance_profile" "instance" {
  count = local.create_roles ? 1 : 0

  name = "${var.name_prefix}-emr-node"
  role = aws_iam_role.instance[0].name

  tags = merge(var.tags, { Name = "${var.name_prefix}-emr-node" })
}

# ---------------------------------------------------------------- cluster

resource "aws_emr_cluster" "this" {
  #checkov:skip=CKV2_AWS_7:The managed security groups have no 0.0.0.0/0 ingress; EMR itself adds only intra-cluster rules.
  count = local.create_cluster ? 1 : 0

  name                              = "${var.name_prefix}-spark"
  release_label                     = var.release_label
  applications                      = var.applications
  service_role                      = local.service_role
  security_configuration            = aws_emr_security_configuration.this[0].name
  log_uri                           = "s3://${module.artifact_bucket.bucket_name}/logs/"
  log_encryption_kms_key_id         = var.kms_key_arn
  termination_protection            = var.termination_protection
  keep_job_flow_alive_when_no_steps = true
  ebs_root_volume_size              = 32
  configurations_json               = jsonencode(local.glue_metastore)

  ec2_attributes {
    subnet_id                         = var.subnet_id
    instance_profile                  = local.instance_prof
    emr_managed_master_security_group = aws_security_group.primary[0].id
    emr_managed_slave_security_group  = aws_security_group.core[0].id
    service_access_security_group     = aws_security_group.service_access[0].id
  }

  master_instance_group {
    instance_type  = var.master_instance_group.instance_type
    instance_count = var.master_instance_group.instance_count

    ebs_config {
      size                 = var.master_instance_group.ebs_size_gb
      type                 = "gp3"
      volumes_per_instance = 1
    }
  }

  core_instance_group {
    instance_type  = var.core_instance_group.instance_type
    instance_count = var.core_instance_group.instance_count
    bid_price      = var.core_instance_group.bid_price

    ebs_config {
      size                 = var.core_instance_group.ebs_size_gb
      type                 = "gp3"
      volumes_per_instance = var.core_instance_group.ebs_volumes_per_node
    }
  }

  auto_termination_policy {
    idle_timeout = var.idle_timeout_seconds
  }

  tags = merge(var.tags, local.emr_managed_tag, { Name = "${var.name_prefix}-spark" })

  lifecycle {
    precondition {
      condition     = var.subnet_id != null
      error_message = "create_cluster = true needs subnet_id (a private subnet)."
    }

    precondition {
      condition     = local.service_role != null && local.instance_prof != null
      error_message = "create_roles = false needs service_role_arn and instance_profile_name."
    }
  }

  depends_on = [aws_iam_role_policy_attachment.service, aws_iam_role_policy.instance]
}

resource "aws_emr_instance_group" "task" {
  count = local.create_cluster && var.task_instance_group != null ? 1 : 0

  name           = "${var.name_prefix}-task"
  cluster_id     = aws_emr_cluster.this[0].id
  instance_type  = var.task_instance_group.instance_type
  instance_count = var.task_instance_group.instance_count
  bid_price      = var.task_instance_group.bid_price

  ebs_config {
    size                 = var.task_instance_group.ebs_size_gb
    type                 = "gp3"
    volumes_per_instance = 1
  }
}

# The log bucket moved to the shared artifact_bucket.tf: the same bucket, a new address.
moved {
  from = module.log_bucket
  to   = module.artifact_bucket
}
