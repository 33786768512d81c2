"""CloudWatch verifiers: log groups kept for a period and encrypted; alarms, dashboards and log
resource policies as the state records them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from runbook_lib.infra.verify.core import ListedIn, Lookup, Outcome, VerifyContext, configured, equal, present
from runbook_lib.terraform.state import StateResource


def verify_log_group(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    name = r.get("name")
    groups = ctx.client("logs").describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
    group = next((g for g in groups if g.get("logGroupName") == name), None)
    yield present("exists", group is not None, name)
    if group is None:
        return
    want = r.get("retention_in_days") or None
    have = group.get("retentionInDays")
    yield Outcome(
        "logs.retention",
        f"{want} days" if want else "a retention period",
        f"{have} days" if have else "never expires",
        have is not None and (want is None or have == want),
    )
    yield configured("logs.kms", "a KMS key", group.get("kmsKeyId"))


verify_log_resource_policy = ListedIn(
    Lookup("logs", "describe_resource_policies", {}),
    items="resourcePolicies",
    field="policyName",
    attribute="policy_name",
)


def verify_metric_alarm(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    alarms = ctx.client("cloudwatch").describe_alarms(AlarmNames=[r.get("alarm_name")]).get("MetricAlarms", [])
    yield present("exists", bool(alarms), r.get("alarm_name"))
    if alarms:
        yield equal(
            "matches state: actions",
            sorted(r.get("alarm_actions", [])),
            sorted(alarms[0].get("AlarmActions", [])),
        )


def verify_dashboard(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    name = r.get("dashboard_name") or r.get("id")
    body = ctx.client("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"]
    same = json.loads(body) == json.loads(r.get("dashboard_body"))
    yield Outcome("matches state: body", "same widgets", "same" if same else "different", same)
