"""Lambda and API Gateway v2 verifiers: functions in their VPC with encrypted environments, routes
authorized, stages logging access, and the rest as the state records it.
"""

from __future__ import annotations

from collections.abc import Iterator

from runbook_lib.infra.verify.core import (
    CUSTOMER_KEY,
    Lookup,
    MatchesState,
    Outcome,
    VerifyContext,
    configured,
    dig,
    equal,
    present,
)
from runbook_lib.infra.verify.policy import policy_document, statements
from runbook_lib.terraform.state import StateResource


def verify_lambda(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    config = ctx.client("lambda").get_function_configuration(FunctionName=r.get("function_name"))
    yield present("exists", True, config.get("FunctionArn"))
    vpc = r.block("vpc_config")
    if vpc.get("subnet_ids"):
        yield equal(
            "lambda.in_vpc",
            sorted(vpc.get("subnet_ids", [])),
            sorted((config.get("VpcConfig") or {}).get("SubnetIds", [])),
        )
    if r.get("environment"):
        yield configured("lambda.environment_kms", CUSTOMER_KEY, config.get("KMSKeyArn"))


def verify_lambda_permission(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    policy = policy_document(ctx.client("lambda").get_policy(FunctionName=r.get("function_name"))["Policy"])
    found = [s for s in statements(policy) if s.get("Sid") == r.get("statement_id")]
    yield present("exists", bool(found), r.get("statement_id"))


verify_apigw_api = MatchesState(
    "matches state: protocol",
    Lookup("apigatewayv2", "get_api", {"ApiId": "id"}),
    field="ProtocolType",
    attribute="protocol_type",
)

verify_apigw_integration = MatchesState(
    "matches state: type",
    Lookup("apigatewayv2", "get_integration", {"ApiId": "api_id", "IntegrationId": "id"}),
    field="IntegrationType",
    attribute="integration_type",
)

verify_apigw_authorizer = MatchesState(
    "matches state: type",
    Lookup("apigatewayv2", "get_authorizer", {"ApiId": "api_id", "AuthorizerId": "id"}),
    field="AuthorizerType",
    attribute="authorizer_type",
)


def verify_apigw_route(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    route = ctx.client("apigatewayv2").get_route(ApiId=r.get("api_id"), RouteId=r.get("id"))
    yield equal("matches state: route", r.get("route_key"), route.get("RouteKey"))
    auth = route.get("AuthorizationType", "NONE")
    yield Outcome(
        "apigw.route_authorized",
        f"{r.get('authorization_type')} (not NONE)",
        auth,
        auth == r.get("authorization_type") and auth != "NONE",
    )


def verify_apigw_stage(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    stage = ctx.client("apigatewayv2").get_stage(ApiId=r.get("api_id"), StageName=r.get("name"))
    destination = dig(stage, "AccessLogSettings", "DestinationArn")
    yield configured("apigw.access_logs", "an access log destination", destination)
