locals {
  msk_cluster_name      = coalesce(var.msk_cluster_name, "${var.name_prefix}-msk")
  mwaa_environment_name = coalesce(var.mwaa_environment_name, "${var.name_prefix}-airflow")
  glue_database_prefix  = coalesce(var.glue_database_prefix, replace(var.name_prefix, "-", "_"))

  raw_arn       = var.data_lake_bucket_arns["raw"]
  curated_arn   = var.data_lake_bucket_arns["curated"]
  analytics_arn = var.data_lake_bucket_arns["analytics"]
  artifacts_arn = lookup(var.data_lake_bucket_arns, "artifacts", null)

  # Buckets each role may list/read, and the key paths each may write.
  read_bucket_arns = compact([local.raw_arn, local.curated_arn, local.analytics_arn, local.artifacts_arn])

  arn_prefix = {
    logs    = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group"
    ec2     = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
    glue    = "arn:${local.partition}:glue:${local.region}:${local.account_id}"
    kafka   = "arn:${local.partition}:kafka:${local.region}:${local.account_id}"
    secrets = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret"
    ecr     = "arn:${local.partition}:ecr:${local.region}:${local.account_id}:repository"
    sqs     = "arn:${local.partition}:sqs:${local.region}:${local.account_id}"
    emr     = "arn:${local.partition}:elasticmapreduce:${local.region}:${local.account_id}"
  }

  glue_catalog_arns = [
    "${local.arn_prefix.glue}:catalog",
    "${local.arn_prefix.glue}:database/${local.glue_database_prefix}*",
    "${local.arn_prefix.glue}:table/${local.glue_database_prefix}*/*",
    "${local.arn_prefix.glue}:userDefinedFunction/${local.glue_database_prefix}*/*",
  ]

  kafka_cluster_arn = "${local.arn_prefix.kafka}:cluster/${local.msk_cluster_name}/*"
  kafka_topic_arn   = "${local.arn_prefix.kafka}:topic/${local.msk_cluster_name}/*/*"
  kafka_group_arn   = "${local.arn_prefix.kafka}:group/${local.msk_cluster_name}/*/*"

  # Secrets the workloads may read: the project's own ("<prefix>/...") and those RDS/DocumentDB manage ("rds!...").
  secret_arns = [
    "${local.arn_prefix.secrets}:${var.name_prefix}/*",
    "${local.arn_prefix.secrets}:rds!*",
  ]

  role_names = {
    ingest_lambda = "${var.name_prefix}-ingest-lambda"
    glue          = "${var.name_prefix}-glue"
    emr_service   = "${var.name_prefix}-emr-service"
    emr_ec2       = "${var.name_prefix}-emr-ec2"
    mwaa          = "${var.name_prefix}-mwaa"
    grafana       = "${var.name_prefix}-grafana"
    ecs_task      = "${var.name_prefix}-ecs-task"
    ecs_execution = "${var.name_prefix}-ecs-execution"
  }
  role_arns = { for k, n in local.role_names : k => "arn:${local.partition}:iam::${local.account_id}:role/${n}" }

  roles = merge(
    var.create_ingest_lambda_role ? { ingest_lambda = { services = ["lambda.amazonaws.com"], policy = data.aws_iam_policy_document.ingest_lambda[0].json, description = "Ingest Lambda: writes the raw zone and MSK topics" } } : {},
    var.create_glue_role ? { glue = { services = ["glue.amazonaws.com"], policy = data.aws_iam_policy_document.glue[0].json, description = "Glue jobs and crawlers: raw -> curated -> analytics" } } : {},
    var.create_emr_roles ? {
      emr_service = { services = ["elasticmapreduce.amazonaws.com"], policy = data.aws_iam_policy_document.emr_service[0].json, description = "EMR service role: manages the cluster's EC2 capacity" }
      emr_ec2     = { services = ["ec2.amazonaws.com"], policy = data.aws_iam_policy_document.emr_ec2[0].json, description = "EMR cluster nodes: EMRFS access to the data lake" }
    } : {},
    var.create_mwaa_role ? { mwaa = { services = ["airflow.amazonaws.com", "airflow-env.amazonaws.com"], policy = data.aws_iam_policy_document.mwaa[0].json, description = "MWAA execution role: runs DAGs that orchestrate Glue and EMR" } } : {},
    var.create_grafana_role ? { grafana = { services = ["grafana.amazonaws.com"], policy = data.aws_iam_policy_document.grafana[0].json, description = "Managed Grafana workspace: read-only CloudWatch" } } : {},
    var.create_ecs_roles ? {
      ecs_task      = { services = ["ecs-tasks.amazonaws.com"], policy = data.aws_iam_policy_document.ecs_task[0].json, description = "ECS migration workers: data lake, secrets, MSK" }
      ecs_execution = { services = ["ecs-tasks.amazonaws.com"], policy = data.aws_iam_policy_document.ecs_execution[0].json, description = "ECS agent: pulls images, writes logs, injects secrets" }
    } : {},
  )
}

# --- Trust policies: each role trusts only its own service, and only on behalf of this account ---------

module "trust" {
  source   = "../trust_policy"
  for_each = local.roles

  sid      = "TrustOwnService"
  services = each.value.services
  # EC2 and Lambda do not send aws:SourceAccount; the other services do (confused-deputy protection).
  source_account_condition = !contains(["ingest_lambda", "emr_ec2"], each.key)
}

resource "aws_iam_role" "this" {
  for_each = local.roles

  name                 = local.role_names[each.key]
  description          = each.value.description
  assume_role_policy   = module.trust[each.key].json
  max_session_duration = 3600

  tags = merge(var.tags, { Name = local.role_names[each.key], Service = each.key })
}

resource "aws_iam_role_policy" "this" {
  for_each = local.roles

  name   = "${each.key}-least-privilege"
  role   = aws_iam_role.this[each.key].id
  policy = each.value.policy
}

resource "aws_iam_instance_profile" "emr_ec2" {
  count = var.create_emr_roles ? 1 : 0

  name = local.role_names.emr_ec2
  role = aws_iam_role.this["emr_ec2"].name

  tags = merge(var.tags, { Name = local.role_names.emr_ec2 })
}

# --- The project's KMS keys: what each role may do with them (one statement, only when keys are given) ---

locals {
  key_use = {
    ingest_lambda = { sid = "EncryptWithProjectKeys", actions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] }
    glue          = { sid = "UseProjectKeys", actions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] }
    emr_ec2       = { sid = "UseProjectKeys", actions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"] }
    mwaa          = { sid = "UseProjectKeys", actions = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"] }
    ecs_task      = { sid = "UseProjectKeys", actions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] }
    ecs_execution = { sid = "DecryptSecrets", actions = ["kms:Decrypt"] }
  }
  # The statement as a source document of the role's policy, or nothing without keys.
  key_policy = { for k, d in data.aws_iam_policy_document.use_keys : k => length(var.kms_key_arns) > 0 ? [d.json] : [] }
}

data "aws_iam_policy_document" "use_keys" {
  for_each = local.key_use

  statement {
    sid       = each.value.sid
    actions   = each.value.actions
    resources = var.kms_key_arns
  }
}

# --- Data lake access shared by several roles (their policies start with these statements) -----------

data "aws_iam_policy_document" "read_data_lake" {
  statement {
    sid       = "ListDataLake"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = local.read_bucket_arns
  }

  statement {
    sid       = "ReadDataLake"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [for a in local.read_bucket_arns : "${a}/*"]
  }
}

# The ETL engines read the whole lake and write curated, analytics and their own artifacts path.
data "aws_iam_policy_document" "transform_data_lake" {
  for_each = {
    glue    = { sid = "WriteCuratedAndAnalytics", artifacts_path = "glue/tmp/*" }
    emr_ec2 = { sid = "WriteCuratedAnalyticsAndLogs", artifacts_path = "emr/*" }
  }

  source_policy_documents = [data.aws_iam_policy_document.read_data_lake.json]

  statement {
    sid     = each.value.sid
    actions = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = compact([
      "${local.curated_arn}/*",
      "${local.analytics_arn}/*",
      local.artifacts_arn == null ? null : "${local.artifacts_arn}/${each.value.artifacts_path}",
    ])
  }
}

# --- Ingest Lambda ----------------------------------------------------------------------------------

data "aws_iam_policy_document" "ingest_lambda" {
  count = var.create_ingest_lambda_role ? 1 : 0

  source_policy_documents = local.key_policy["ingest_lambda"]

  statement {
    sid     = "WriteOwnLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "${local.arn_prefix.logs}:/aws/lambda/${var.name_prefix}-ingest*",
      "${local.arn_prefix.logs}:/aws/lambda/${var.name_prefix}-ingest*:*",
    ]
  }

  statement {
    sid       = "LandRawEvents"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${local.raw_arn}/ingest/*"]
  }

  statement {
    sid       = "ConnectToMsk"
    actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:WriteDataIdempotently"]
    resources = [local.kafka_cluster_arn]
  }

  statement {
    sid       = "ProduceToTopics"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"]
    resources = [local.kafka_topic_arn]
  }

  statement {
    sid       = "DeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = ["${local.arn_prefix.sqs}:${var.name_prefix}-ingest*"]
  }

  # A Lambda in a VPC creates and removes its own ENIs in the project's subnets.
  statement {
    sid     = "ManageVpcInterfaces"
    actions = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
    resources = [
      "${local.arn_prefix.ec2}:network-interface/*",
      "${local.arn_prefix.ec2}:subnet/*",
      "${local.arn_prefix.ec2}:security-group/*",
    ]
  }

  # These actions have no resource-level permissions in IAM: "*" is the only valid resource.
  statement {
    sid       = "DescribeAndTrace"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

# --- Glue ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "glue" {
  count = var.create_glue_role ? 1 : 0

  source_policy_documents = concat([data.aws_iam_policy_document.transform_data_lake["glue"].json], local.key_policy["glue"])

  statement {
    sid = "DataCatalog"
    actions = [
      "glue:GetDatabase", "glue:GetDatabases", "glue:CreateTable", "glue:DeleteTable", "glue:GetTable", "glue:GetTables",
      "glue:UpdateTable", "glue:GetPartition", "glue:GetPartitions", "glue:CreatePartition", "glue:UpdatePartition",
      "glue:DeletePartition", "glue:BatchCreatePartition", "glue:BatchGetPartition", "glue:BatchDeletePartition",
      "glue:GetUserDefinedFunctions",
    ]
    resources = local.glue_catalog_arns
  }

  statement {
    sid     = "WriteGlueLogs"
    actions = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
    resources = [
      "${local.arn_prefix.logs}:/aws-glue/*",
      "${local.arn_prefix.logs}:/aws-glue/*:*",
    ]
  }

  statement {
    sid       = "PublishGlueMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue"]
    }
  }

  # Glue connections inside the VPC: describe calls have no resource-level permissions.
  statement {
    sid       = "DescribeVpc"
    actions   = ["ec2:DescribeVpcEndpoints", "ec2:DescribeRouteTables", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets"]
    resources = ["*"]
  }

  statement {
    sid       = "DescribeVpcAttributes"
    actions   = ["ec2:DescribeVpcAttribute"]
    resources = ["${local.arn_prefix.ec2}:vpc/*"]
  }

  statement {
    sid     = "VpcInterfaces"
    actions = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:CreateTags"]
    resources = [
      "${local.arn_prefix.ec2}:network-interface/*",
      "${local.arn_prefix.ec2}:subnet/*",
      "${local.arn_prefix.ec2}:security-group/*",
    ]
  }
}

# --- EMR ----------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "emr_service" {
  count = var.create_emr_roles ? 1 : 0

  # Same scoping idea as AWS's AmazonEMRServicePolicy_v2: EMR may only touch EC2 resources tagged for it.
  statement {
    sid = "ManageTaggedCapacity"
    actions = [
      "ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:CreateLaunchTemplateVersion",
      "ec2:DeleteLaunchTemplate", "ec2:TerminateInstances", "ec2:ModifyInstanceAttribute",
      "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AuthorizeSecurityGroupIngress",
      "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress",
    ]
    resources = [
      "${local.arn_prefix.ec2}:instance/*",
      "${local.arn_prefix.ec2}:fleet/*",
      "${local.arn_prefix.ec2}:launch-template/*",
      "${local.arn_prefix.ec2}:network-interface/*",
      "${local.arn_prefix.ec2}:security-group/*",
      "${local.arn_prefix.ec2}:subnet/*",
      "${local.arn_prefix.ec2}:volume/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/for-use-with-amazon-emr-managed-policies"
      values   = ["true"]
    }
  }

  statement {
    sid       = "LaunchFromPublicImages"
    actions   = ["ec2:RunInstances", "ec2:CreateFleet"]
    resources = ["arn:${local.partition}:ec2:${local.region}::image/*", "arn:${local.partition}:ec2:${local.region}::snapshot/*"]
  }

  statement {
    sid       = "TagOnCreate"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.arn_prefix.ec2}:*/*"]

    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["RunInstances", "CreateFleet", "CreateLaunchTemplate", "CreateNetworkInterface"]
    }
  }

  statement {
    sid       = "DescribeEc2"
    actions   = ["ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs", "ec2:DescribeNetworkInterfaces", "ec2:DescribeLaunchTemplates", "ec2:DescribeImages", "ec2:DescribeDhcpOptions", "ec2:DescribeRouteTables", "ec2:DescribeVpcEndpoints"]
    resources = ["*"]
  }

  statement {
    sid       = "PassNodeRole"
    actions   = ["iam:PassRole"]
    resources = [local.role_arns.emr_ec2]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ec2.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = local.artifacts_arn == null ? [] : [1]

    content {
      sid       = "BootstrapAndLogs"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
      resources = [local.artifacts_arn, "${local.artifacts_arn}/emr/*"]
    }
  }
}

data "aws_iam_policy_document" "emr_ec2" {
  count = var.create_emr_roles ? 1 : 0

  source_policy_documents = concat([data.aws_iam_policy_document.transform_data_lake["emr_ec2"].json], local.key_policy["emr_ec2"])

  statement {
    sid       = "DataCatalog"
    actions   = ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchCreatePartition", "glue:BatchGetPartition", "glue:GetUserDefinedFunctions"]
    resources = local.glue_catalog_arns
  }

}

# --- MWAA ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "mwaa" {
  count = var.create_mwaa_role ? 1 : 0

  source_policy_documents = local.key_policy["mwaa"]

  statement {
    sid       = "PublishAirflowMetrics"
    actions   = ["airflow:PublishMetrics"]
    resources = ["arn:${local.partition}:airflow:${local.region}:${local.account_id}:environment/${local.mwaa_environment_name}"]
  }

  dynamic "statement" {
    for_each = local.artifacts_arn == null ? [] : [1]

    content {
      sid       = "ReadDags"
      actions   = ["s3:GetObject*", "s3:GetBucket*", "s3:List*"]
      resources = [local.artifacts_arn, "${local.artifacts_arn}/*"]
    }
  }

  statement {
    sid       = "CheckAccountPublicAccessBlock"
    actions   = ["s3:GetAccountPublicAccessBlock"]
    resources = ["*"]
  }

  statement {
    sid     = "AirflowLogs"
    actions = ["logs:CreateLogStream", "logs:CreateLogGroup", "logs:PutLogEvents", "logs:GetLogEvents", "logs:GetLogRecord", "logs:GetLogGroupFields", "logs:GetQueryResults"]
    resources = [
      "${local.arn_prefix.logs}:airflow-${local.mwaa_environment_name}-*",
      "${local.arn_prefix.logs}:airflow-${local.mwaa_environment_name}-*:*",
    ]
  }

  statement {
    sid       = "DescribeLogGroupsAndMetrics"
    actions   = ["logs:DescribeLogGroups", "cloudwatch:PutMetricData"]
    resources = ["*"]
  }

  # The Celery queue lives in an AWS-owned account, hence "*" in the account field only.
  statement {
    sid       = "CeleryQueue"
    actions   = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage"]
    resources = ["arn:${local.partition}:sqs:${local.region}:*:airflow-celery-*"]
  }

  statement {
    sid       = "RunGlue"
    actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun", "glue:GetJob", "glue:StartCrawler", "glue:GetCrawler"]
    resources = ["${local.arn_prefix.glue}:job/${var.name_prefix}-*", "${local.arn_prefix.glue}:crawler/${var.name_prefix}-*"]
  }

  statement {
    sid       = "RunEmrSteps"
    actions   = ["elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:DescribeStep", "elasticmapreduce:DescribeCluster", "elasticmapreduce:ListSteps", "elasticmapreduce:CancelSteps"]
    resources = ["${local.arn_prefix.emr}:cluster/*"]
  }

  statement {
    sid       = "PassJobRoles"
    actions   = ["iam:PassRole"]
    resources = [local.role_arns.glue, local.role_arns.emr_service, local.role_arns.emr_ec2]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["glue.amazonaws.com", "elasticmapreduce.amazonaws.com", "ec2.amazonaws.com"]
    }
  }
}

# --- Managed Grafana ----------------------------------------------------------------------------------

data "aws_iam_policy_document" "grafana" {
  count = var.create_grafana_role ? 1 : 0

  # Metric reads have no resource-level permissions in IAM.
  statement {
    sid       = "ReadMetrics"
    actions   = ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "cloudwatch:DescribeAlarmsForMetric", "tag:GetResources", "ec2:DescribeTags", "ec2:DescribeInstances", "ec2:DescribeRegions", "logs:DescribeLogGroups", "logs:StopQuery"]
    resources = ["*"]
  }

  statement {
    sid       = "ReadAlarms"
    actions   = ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"]
    resources = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*"]
  }

  statement {
    sid       = "QueryLogs"
    actions   = ["logs:GetLogGroupFields", "logs:StartQuery", "logs:GetLogEvents", "logs:GetQueryResults"]
    resources = ["${local.arn_prefix.logs}:*"]
  }

  statement {
    sid       = "ReadContributorInsights"
    actions   = ["cloudwatch:GetInsightRuleReport"]
    resources = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:insight-rule/*"]
  }
}

# --- ECS ----------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_task" {
  count = var.create_ecs_roles ? 1 : 0

  source_policy_documents = concat([data.aws_iam_policy_document.read_data_lake.json], local.key_policy["ecs_task"])

  statement {
    sid       = "LandMigratedData"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${local.raw_arn}/*"]
  }

  statement {
    sid       = "ReadDatabaseSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = local.secret_arns
  }

  statement {
    sid       = "ConnectToMsk"
    actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:WriteDataIdempotently"]
    resources = [local.kafka_cluster_arn]
  }

  statement {
    sid       = "ProduceAndConsume"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:CreateTopic", "kafka-cluster:ReadData", "kafka-cluster:WriteData", "kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"]
    resources = [local.kafka_topic_arn, local.kafka_group_arn]
  }

}

data "aws_iam_policy_document" "ecs_execution" {
  count = var.create_ecs_roles ? 1 : 0

  source_policy_documents = local.key_policy["ecs_execution"]

  # GetAuthorizationToken is account-wide; it has no resource-level permission.
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "PullProjectImages"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    resources = ["${local.arn_prefix.ecr}/${var.name_prefix}-*"]
  }

  statement {
    sid     = "WriteTaskLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "${local.arn_prefix.logs}:/ecs/${var.name_prefix}*",
      "${local.arn_prefix.logs}:/ecs/${var.name_prefix}*:*",
    ]
  }

  statement {
    sid       = "InjectSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = local.secret_arns
  }

}
