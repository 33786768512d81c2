# Stack 01: the VPC, the KMS keys and the IAM roles every later stack uses.
# It also owns the naming contract of the data lake buckets: the IAM policies must name the exact
# bucket ARNs before stack 02 creates the buckets, so the names are decided once, here.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  upstream_stacks = [] # 01 reads no earlier stack

  account_id = data.aws_caller_identity.current.account_id

  data_lake_zones        = ["raw", "curated", "analytics", "artifacts"]
  data_lake_bucket_names = { for z in local.data_lake_zones : z => "${var.name_prefix}-${z}-${local.account_id}" }
  data_lake_bucket_arns  = { for z, n in local.data_lake_bucket_names : z => "arn:${data.aws_partition.current.partition}:s3:::${n}" }
  msk_cluster_name       = "${var.name_prefix}-msk"

  # One key per purpose. via_services pins which AWS services may use a key on the account's behalf.
  kms_keys = {
    data = {
      description             = "${var.name_prefix}: data lake objects, Glue, EMR and MWAA"
      via_services            = ["s3", "glue", "athena", "ec2", "sqs", "airflow"]
      deletion_window_in_days = var.kms_deletion_window_in_days
    }
    database = {
      description             = "${var.name_prefix}: RDS PostgreSQL, DocumentDB and their managed secrets"
      via_services            = ["rds", "secretsmanager"]
      deletion_window_in_days = var.kms_deletion_window_in_days
    }
    streaming = {
      description             = "${var.name_prefix}: MSK, ingest Lambda environment, dead-letter queue and ECR images"
      via_services            = ["kafka", "lambda", "sqs", "ecr"]
      deletion_window_in_days = var.kms_deletion_window_in_days
    }
    logs = {
      description             = "${var.name_prefix}: CloudWatch log groups"
      service_principals      = ["logs"]
      deletion_window_in_days = var.kms_deletion_window_in_days
    }
    ops = {
      description             = "${var.name_prefix}: alerting and operations (SNS topics, SSM parameters, OpenSearch)"
      via_services            = ["sns", "ssm", "es"]
      service_principals      = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
      deletion_window_in_days = var.kms_deletion_window_in_days
    }
  }

  # Security groups of the platform tiers; the workload stacks attach them.
  security_groups = {
    lambda = { description = "Ingest Lambda functions" }
    ecs    = { description = "ECS migration worker tasks" }
    glue = {
      description = "Glue job connections (Glue needs all TCP between its own workers)"
      ingress = [
        { description = "Glue workers talk to each other", from_port = 0, to_port = 65535, self = true },
      ]
    }
    mwaa = {
      description = "MWAA environment (Airflow components talk to each other)"
      ingress = [
        { description = "Airflow components", from_port = 0, to_port = 0, protocol = "-1", self = true },
      ]
    }
    postgres = {
      description = "RDS PostgreSQL"
      ingress = concat(
        [for src in ["lambda", "ecs", "glue", "mwaa"] : { description = "PostgreSQL from ${src}", from_port = 5432, to_port = 5432, source_security_group = src }],
        length(var.database_client_cidrs) > 0 ? [{ description = "PostgreSQL from migration sources", from_port = 5432, to_port = 5432, cidr_blocks = var.database_client_cidrs }] : [],
      )
    }
    docdb = {
      description = "DocumentDB"
      ingress = concat(
        [for src in ["lambda", "ecs", "glue"] : { description = "MongoDB protocol from ${src}", from_port = 27017, to_port = 27017, source_security_group = src }],
        length(var.database_client_cidrs) > 0 ? [{ description = "MongoDB protocol from migration sources", from_port = 27017, to_port = 27017, cidr_blocks = var.database_client_cidrs }] : [],
      )
    }
    msk = {
      description = "MSK brokers (TLS 9094, SASL/IAM 9098)"
      ingress = flatten([
        for src in ["lambda", "ecs", "glue"] : [
          { description = "Kafka SASL/IAM from ${src}", from_port = 9098, to_port = 9098, source_security_group = src },
          { description = "Kafka TLS from ${src}", from_port = 9094, to_port = 9094, source_security_group = src },
        ]
      ])
    }
  }
}

module "kms" {
  source = "../../modules/kms"

  name_prefix = var.name_prefix
  keys        = local.kms_keys
}

module "network" {
  source = "../../modules/network"

  name_prefix = var.name_prefix
  cidr_block  = var.vpc_cidr
  azs         = var.azs
  subnet_cidrs = {
    public  = slice(var.public_subnet_cidrs, 0, length(var.azs))
    private = slice(var.private_subnet_cidrs, 0, length(var.azs))
  }

  enable_nat_gateway    = var.enable_nat_gateway
  single_nat_gateway    = var.single_nat_gateway
  enable_flow_logs      = var.enable_flow_logs
  log_retention_days    = var.log_retention_days
  flow_logs_kms_key_arn = module.kms.key_arns["logs"]
  security_groups       = local.security_groups
}

module "iam" {
  source = "../../modules/iam"

  name_prefix           = var.name_prefix
  data_lake_bucket_arns = local.data_lake_bucket_arns
  kms_key_arns          = [for k in ["data", "database", "streaming"] : module.kms.key_arns[k]]
  msk_cluster_name      = local.msk_cluster_name
}
