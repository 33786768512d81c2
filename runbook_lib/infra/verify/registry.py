"""The one table of verifiers: Terraform resource type -> the verifier that reads it back from AWS.

Why a table and not decorators: every supported type is visible in one place, and importing a
service module registers nothing behind the reader's back. A type missing here is reported
``not verified`` by the runner (never passed); :func:`verifier_for` names the known types.
"""

from __future__ import annotations

from runbook_lib.errors import ParamsError
from runbook_lib.infra.verify import (
    budgets,
    cloudwatch,
    docdb,
    dynamodb,
    ec2_network,
    ecr,
    ecs,
    emr,
    glue,
    grafana,
    iam,
    kms,
    lambda_apigw,
    msk,
    mwaa,
    opensearch,
    rds,
    s3,
    secretsmanager,
    sns,
    sqs,
    ssm,
)
from runbook_lib.infra.verify.core import Verifier

VERIFIERS: dict[str, Verifier] = {
    # S3
    "aws_s3_bucket": s3.verify_s3_bucket,
    "aws_s3_bucket_versioning": s3.verify_s3_versioning,
    "aws_s3_bucket_server_side_encryption_configuration": s3.verify_s3_sse,
    "aws_s3_bucket_public_access_block": s3.verify_s3_pab,
    "aws_s3_bucket_policy": s3.verify_s3_policy,
    "aws_s3_bucket_ownership_controls": s3.verify_s3_ownership,
    "aws_s3_bucket_lifecycle_configuration": s3.verify_s3_lifecycle,
    "aws_s3_bucket_logging": s3.verify_s3_logging,
    "aws_s3_bucket_replication_configuration": s3.verify_s3_replication,
    "aws_s3_bucket_notification": s3.verify_s3_notification,
    "aws_s3_object": s3.verify_s3_object,
    # KMS
    "aws_kms_key": kms.verify_kms_key,
    "aws_kms_alias": kms.verify_kms_alias,
    # IAM
    "aws_iam_role": iam.verify_iam_role,
    "aws_iam_role_policy": iam.verify_iam_role_policy,
    "aws_iam_policy": iam.verify_iam_policy,
    "aws_iam_role_policy_attachment": iam.verify_iam_attachment,
    "aws_iam_instance_profile": iam.verify_instance_profile,
    "aws_iam_openid_connect_provider": iam.verify_oidc_provider,
    # EC2 / VPC
    "aws_security_group": ec2_network.verify_security_group,
    "aws_default_security_group": ec2_network.verify_default_security_group,
    "aws_security_group_rule": ec2_network.verify_security_group_rule,
    "aws_vpc_security_group_ingress_rule": ec2_network.verify_vpc_sg_rule,
    "aws_vpc_security_group_egress_rule": ec2_network.verify_vpc_sg_rule,
    "aws_vpc": ec2_network.verify_vpc,
    "aws_subnet": ec2_network.verify_subnet,
    "aws_internet_gateway": ec2_network.verify_igw,
    "aws_nat_gateway": ec2_network.verify_nat,
    "aws_eip": ec2_network.verify_eip,
    "aws_route_table": ec2_network.verify_route_table,
    "aws_route": ec2_network.verify_route,
    "aws_route_table_association": ec2_network.verify_route_table_association,
    "aws_vpc_endpoint": ec2_network.verify_vpc_endpoint,
    "aws_flow_log": ec2_network.verify_flow_log,
    # RDS
    "aws_db_instance": rds.verify_db_instance,
    "aws_db_parameter_group": rds.verify_db_parameter_group,
    "aws_db_subnet_group": rds.verify_db_subnet_group,
    # DocumentDB
    "aws_docdb_subnet_group": docdb.verify_docdb_subnet_group,
    "aws_docdb_cluster_parameter_group": docdb.verify_docdb_parameter_group,
    "aws_docdb_cluster": docdb.verify_docdb_cluster,
    "aws_docdb_cluster_instance": docdb.verify_docdb_instance,
    # DynamoDB
    "aws_dynamodb_table": dynamodb.verify_dynamodb_table,
    # CloudWatch (logs, alarms, dashboards)
    "aws_cloudwatch_log_group": cloudwatch.verify_log_group,
    "aws_cloudwatch_log_resource_policy": cloudwatch.verify_log_resource_policy,
    "aws_cloudwatch_metric_alarm": cloudwatch.verify_metric_alarm,
    "aws_cloudwatch_dashboard": cloudwatch.verify_dashboard,
    # SNS
    "aws_sns_topic": sns.verify_sns_topic,
    "aws_sns_topic_policy": sns.verify_sns_topic_policy,
    "aws_sns_topic_subscription": sns.verify_sns_subscription,
    # SQS
    "aws_sqs_queue": sqs.verify_sqs_queue,
    # SSM Parameter Store
    "aws_ssm_parameter": ssm.verify_ssm_parameter,
    # Secrets Manager
    "aws_secretsmanager_secret": secretsmanager.verify_secret,
    "aws_secretsmanager_secret_version": secretsmanager.verify_secret_version,
    # Lambda, API Gateway v2
    "aws_lambda_function": lambda_apigw.verify_lambda,
    "aws_lambda_permission": lambda_apigw.verify_lambda_permission,
    "aws_apigatewayv2_api": lambda_apigw.verify_apigw_api,
    "aws_apigatewayv2_integration": lambda_apigw.verify_apigw_integration,
    "aws_apigatewayv2_route": lambda_apigw.verify_apigw_route,
    "aws_apigatewayv2_authorizer": lambda_apigw.verify_apigw_authorizer,
    "aws_apigatewayv2_stage": lambda_apigw.verify_apigw_stage,
    # ECR
    "aws_ecr_repository": ecr.verify_ecr_repository,
    "aws_ecr_lifecycle_policy": ecr.verify_ecr_lifecycle,
    # Glue
    "aws_glue_catalog_database": glue.verify_glue_database,
    "aws_glue_security_configuration": glue.verify_glue_security_configuration,
    "aws_glue_data_catalog_encryption_settings": glue.verify_glue_catalog_encryption,
    "aws_glue_job": glue.verify_glue_job,
    "aws_glue_crawler": glue.verify_glue_crawler,
    # EMR
    "aws_emr_security_configuration": emr.verify_emr_security_configuration,
    "aws_emr_cluster": emr.verify_emr_cluster,
    "aws_emr_instance_group": emr.verify_emr_instance_group,
    # ECS
    "aws_ecs_cluster": ecs.verify_ecs_cluster,
    "aws_ecs_service": ecs.verify_ecs_service,
    "aws_ecs_task_definition": ecs.verify_ecs_task_definition,
    # OpenSearch
    "aws_opensearch_domain": opensearch.verify_opensearch_domain,
    "aws_opensearch_domain_policy": opensearch.verify_opensearch_policy,
    # MSK
    "aws_msk_cluster": msk.verify_msk_cluster,
    "aws_msk_configuration": msk.verify_msk_configuration,
    # MWAA
    "aws_mwaa_environment": mwaa.verify_mwaa,
    # Managed Grafana
    "aws_grafana_workspace": grafana.verify_grafana,
    # Budgets
    "aws_budgets_budget": budgets.verify_budget,
}


def verifier_for(resource_type: str) -> Verifier:
    """The verifier for a type.

    Raises:
        ParamsError: none is registered; the error lists the known types.
    """
    try:
        return VERIFIERS[resource_type]
    except KeyError:
        raise ParamsError("resource type", resource_type, sorted(VERIFIERS)) from None
