"""MWAA verifiers: the Airflow web server is private and the environment on a customer KMS key."""

from __future__ import annotations

from collections.abc import Iterator

from runbook_lib.infra.verify.core import CUSTOMER_KEY, Outcome, VerifyContext, configured, equal
from runbook_lib.terraform.state import StateResource


def verify_mwaa(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    env = ctx.client("mwaa").get_environment(Name=r.get("name"))["Environment"]
    yield equal("mwaa.private_webserver", "PRIVATE_ONLY", env.get("WebserverAccessMode"))
    yield configured("mwaa.kms", CUSTOMER_KEY, env.get("KmsKey"), missing="AWS owned")
