"""SSM Parameter Store verifiers: parameters exist with their type; secure strings use a customer key."""

from __future__ import annotations

from collections.abc import Iterator

from runbook_lib.infra.verify.core import CUSTOMER_KEY, Outcome, VerifyContext, equal, present
from runbook_lib.terraform.state import StateResource


def verify_ssm_parameter(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    name_filter = [{"Key": "Name", "Values": [r.get("name")]}]
    params = ctx.client("ssm").describe_parameters(ParameterFilters=name_filter).get("Parameters", [])
    yield present("exists", bool(params), r.get("name"))
    if params:
        yield equal("matches state: type", r.get("type"), params[0].get("Type"))
        if r.get("type") == "SecureString":
            key = params[0].get("KeyId")
            yield Outcome("ssm.kms", CUSTOMER_KEY, key or "none", bool(key) and key != "alias/aws/ssm")
