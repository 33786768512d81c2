"""The ``cost`` section: usage profiles for the offline plan estimate, the self-hosted platform's monthly cost, and
how Cost Explorer is asked (pages, cache).

Why named usage profiles: a usage-based price (requests, GB stored, DPU-hours) has no quantity in a Terraform plan;
the estimate takes it from the profile the params name, and a dimension the profile does not give is listed as
"not priced", never counted as zero. A key outside :data:`USAGE_KEYS` is a typo and stops the run (one line, naming
the key and the allowed ones).
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from runbook_lib.params.formats import Region, StrictModel, rule_error

#: Every quantity a usage profile may give, per month and per resource of the type it prices (an average: two
#: buckets with ``s3_gb_stored: 100`` are priced at 200 GB), and what it means (shown in errors and the README).
USAGE_KEYS: dict[str, str] = {
    "api_requests": "API Gateway requests per API",
    "lambda_requests": "invocations per Lambda function",
    "lambda_avg_duration_ms": "average duration of one Lambda invocation (ms)",
    "sqs_requests": "requests per SQS queue",
    "sns_requests": "publishes per SNS topic",
    "sns_email_notifications": "e-mail deliveries per SNS topic",
    "s3_gb_stored": "S3 Standard GB stored per bucket",
    "s3_put_requests": "S3 PUT/COPY/POST/LIST requests per bucket",
    "s3_get_requests": "S3 GET and other requests per bucket",
    "logs_gb_ingested": "CloudWatch Logs GB ingested per log group",
    "logs_gb_stored": "CloudWatch Logs GB archived per log group",
    "flow_logs_gb": "VPC flow log GB delivered per flow log",
    "nat_gb_processed": "GB processed per NAT gateway",
    "dynamodb_write_requests": "DynamoDB on-demand write request units per table",
    "dynamodb_read_requests": "DynamoDB on-demand read request units per table",
    "dynamodb_gb_stored": "DynamoDB GB stored per table",
    "docdb_gb_stored": "DocumentDB GB stored per cluster",
    "docdb_io_requests": "DocumentDB I/O requests per cluster",
    "glue_job_hours": "hours each Glue job runs",
    "glue_crawler_dpu_hours": "DPU-hours per Glue crawler",
    "emr_cluster_hours": "hours each EMR cluster runs",
    "mwaa_additional_workers": "MWAA workers above the minimum, on average, per environment",
    "grafana_editors": "active editors/admins per Amazon Managed Grafana workspace",
    "grafana_viewers": "active viewers per Amazon Managed Grafana workspace",
    "ecr_gb_stored": "ECR GB stored per repository",
    "sm_api_calls": "Secrets Manager API calls per secret",
    "kms_requests": "KMS requests per key",
}


class CostParams(StrictModel):
    """How the runbook prices a plan and reads the bill.

    Attributes:
        price_region: the region whose prices the estimate uses (default: ``aws.region``).
        usage_profile: the profile of ``usage_profiles`` the estimate uses (none: usage-based prices not priced).
        usage_profiles: name -> {usage key -> quantity per month}.
        self_hosted_monthly_usd: what the self-hosted platform costs per month, by component (the "before").
        monthly_budget_usd: the limit the cumulative chart is drawn against when no AWS Budget is found.
        budget_name: the AWS Budget to compare actuals with (default: the first budget the account has).
        tag_keys: cost-allocation tags Cost Explorer groups by (``map-migrated`` for the MAP programme).
        max_pages: Cost Explorer pages per query (each page is a paid request, USD 0.01).
    """

    price_region: Region | None = None
    usage_profile: str | None = None
    usage_profiles: dict[str, dict[str, float]] = Field(default_factory=dict)
    self_hosted_monthly_usd: dict[str, float] = Field(default_factory=dict)
    monthly_budget_usd: float | None = Field(default=None, gt=0)
    budget_name: str | None = None
    tag_keys: list[str] = Field(default_factory=lambda: ["map-migrated", "project", "environment"])
    max_pages: int = Field(default=5, ge=1, le=100)

    @field_validator("usage_profiles")
    @classmethod
    def _known_usage_keys(cls, profiles: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        allowed = ", ".join(USAGE_KEYS)
        for name, profile in profiles.items():
            for key, value in profile.items():
                if key not in USAGE_KEYS:
                    raise rule_error(f"cost.usage_profiles.{name}.{key}", key, allowed)
                if value < 0:
                    raise rule_error(f"cost.usage_profiles.{name}.{key}", value, "a quantity >= 0 per month")
        return profiles

    @model_validator(mode="after")
    def _profile_exists(self) -> CostParams:
        if self.usage_profile is not None and self.usage_profile not in self.usage_profiles:
            raise rule_error(
                "cost.usage_profile",
                self.usage_profile,
                ", ".join(self.usage_profiles) or "a key of cost.usage_profiles",
            )
        return self

    def profile(self, name: str | None = None) -> dict[str, float]:
        """The quantities of profile ``name`` (default: ``usage_profile``); empty when none is named."""
        chosen = name or self.usage_profile
        if chosen is None:
            return {}
        if chosen not in self.usage_profiles:
            from runbook_lib.errors import ParamsError

            raise ParamsError("cost.usage_profile", chosen, list(self.usage_profiles) or ["(no profiles defined)"])
        return dict(self.usage_profiles[chosen])


__all__ = ["USAGE_KEYS", "CostParams"]
