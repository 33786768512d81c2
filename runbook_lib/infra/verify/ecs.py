"""ECS verifiers: clusters and services active, services without public IPs, task definitions as
the state records them.
"""

from __future__ import annotations

from collections.abc import Iterator

from runbook_lib.infra.verify.core import Lookup, MatchesState, Outcome, VerifyContext, equal, present
from runbook_lib.terraform.state import StateResource


def verify_ecs_cluster(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    clusters = ctx.client("ecs").describe_clusters(clusters=[r.get("arn")], include=["SETTINGS"])["clusters"]
    yield present("exists", bool(clusters) and clusters[0].get("status") == "ACTIVE", r.get("name"))
    settings = {s.get("name"): s.get("value") for s in (clusters[0].get("settings", []) if clusters else [])}
    want = {s.get("name"): s.get("value") for s in r.get("setting", [])}
    if "containerInsights" in want:
        yield equal("matches state: container insights", want["containerInsights"], settings.get("containerInsights"))


def verify_ecs_service(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    services = ctx.client("ecs").describe_services(cluster=r.get("cluster"), services=[r.get("name")])["services"]
    yield present("exists", bool(services) and services[0].get("status") == "ACTIVE", r.get("name"))
    if services:
        network = (services[0].get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        yield equal("ecs.no_public_ip", "DISABLED", network.get("assignPublicIp", "DISABLED"))


verify_ecs_task_definition = MatchesState(
    "matches state: family",
    Lookup("ecs", "describe_task_definition", {"taskDefinition": "arn"}, ("taskDefinition",)),
    field="family",
    attribute="family",
)
