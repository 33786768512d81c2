"""Phase 03's staged producer cutover in one call: the alias, the canary on each step, the metrics, the record.

Why a coordinator: the notebook stays thin (no function definitions), yet the canary differs by place. On AWS
it posts to the ingest URL (stack 03's ``ingest_url``, or ``ingest.canary.api_url``) and Lambda's weighted
routing picks the version; in the sandbox moto runs no function, so two local ingestor instances (old →
source broker, new → target broker) stand in and :class:`~runbook_lib.health.canary.WeightedTargets` splits
events by the weight read back from the Lambda API.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.clients import aws_client
from runbook_lib.cutover.local_ingestors import local_ingestor
from runbook_lib.cutover.traffic import (
    AliasRouting,
    CutoverReport,
    GateThresholds,
    StepRecord,
    resolve_versions,
    run_staged_cutover,
    stage_new_version,
)
from runbook_lib.endpoints import aws_endpoint_url, kafka_bootstrap
from runbook_lib.errors import ParamsError
from runbook_lib.health import canary as canary_mod
from runbook_lib.health.canary_readback import BrokerReadback
from runbook_lib.params import RunbookParams, resolve_secret

log = logging.getLogger("runbook_lib.cutover.ingest_cutover")


@dataclass
class IngestCutoverRun:
    """The cutover's report and every canary round it ran (for the tables and the evidence)."""

    report: CutoverReport
    rounds: list[canary_mod.CanaryReport] = field(default_factory=list)
    metrics_published: int = 0


def _brokers(params: RunbookParams, sandbox_state: Any | None) -> tuple[str, str]:
    mappings = [m for m in params.migration.kafka if (m.target_topic or m.source_topic) == params.ingest.topic]
    if not mappings:
        raise ParamsError("migration.kafka", [m.source_topic for m in params.migration.kafka],
                          f"a mapping of ingest.topic {params.ingest.topic!r} (its brokers are the canary's read-back)")
    resolver = (lambda name: sandbox_state.url(name, with_secret=True)) if sandbox_state is not None else None
    endpoint = aws_endpoint_url(params.aws)
    source = resolve_secret(mappings[0].source_bootstrap_ref, sandbox_resolver=resolver, endpoint_url=endpoint)
    target = resolve_secret(mappings[0].target_bootstrap_ref, sandbox_resolver=resolver, endpoint_url=endpoint)
    return kafka_bootstrap(source), kafka_bootstrap(target)


@contextlib.contextmanager
def _targets(params: RunbookParams, outputs: dict[str, Any], source: str, target: str,
             log_dir: Path) -> Iterator[Callable[[float], canary_mod.IngestTarget]]:
    timeout = params.ingest.canary.request_timeout_s
    if params.is_sandbox and params.ingest.canary.api_url is None:
        with local_ingestor("old", source, topic=params.ingest.topic, log_dir=log_dir) as old, \
                local_ingestor("new", target, topic=params.ingest.topic, log_dir=log_dir) as new:
            yield lambda weight: canary_mod.WeightedTargets(canary_mod.HttpTarget(old.url, "old", timeout_s=timeout),
                                                            canary_mod.HttpTarget(new.url, "new", timeout_s=timeout),
                                                            weight)
        return
    url = params.ingest.canary.api_url or outputs.get("ingest_url")
    if not url:
        raise ParamsError("ingest.canary.api_url", None, "the ingest route URL (or apply stack 03: its ingest_url)")
    api = canary_mod.HttpTarget(url, "new", timeout_s=timeout, sign=_sigv4(params))
    yield lambda weight: api


def _sigv4(params: RunbookParams) -> Callable[[str, bytes], dict[str, str]]:  # pragma: no cover - real AWS only
    """Sign canary requests for the AWS_IAM route with the runbook's own credentials."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    from runbook_lib.clients import aws_session

    credentials = aws_session(params.aws, region=params.aws.region).get_credentials()

    def sign(url: str, body: bytes) -> dict[str, str]:
        request = AWSRequest(method="POST", url=url, data=body, headers={"content-type": "application/json"})
        SigV4Auth(credentials, "execute-api", params.aws.region).add_auth(request)
        return dict(request.headers.items())

    return sign


def run_ingest_cutover(params: RunbookParams, outputs: dict[str, Any], *, mirror_lag: float | Callable[[], float],
                       log_dir: Path, sandbox_state: Any | None = None,
                       on_step: Callable[[StepRecord], None] | None = None) -> IngestCutoverRun:
    """Move producers to the new ingest version step by step (``params.ingest.cutover``), gated and recorded.

    Args:
        params: the run's parameters (``ingest``, ``migration.kafka`` for the brokers, ``aws``).
        outputs: stack 03's outputs (``ingest_function_name``, ``ingest_url``).
        mirror_lag: records the Kafka mirror is behind, or a callable returning it (asked once per step).
        log_dir: where the local ingestors log (sandbox).
        sandbox_state: the running sandbox (resolves ``{sandbox: ...}`` broker references).
        on_step: called with each step's record.
    """
    ingest = params.ingest
    function_name = ingest.function_name or outputs.get("ingest_function_name")
    if not function_name:
        raise ParamsError("ingest.function_name", None, "a Lambda function name (or apply stack 03 first)")
    lam = aws_client("lambda", params.aws)
    cloudwatch = aws_client("cloudwatch", params.aws)
    routing = AliasRouting(lam, function_name, ingest.alias_name)
    published = routing.published_versions()
    if params.is_sandbox and published and published[-1] == routing.read().primary_version:
        stage_new_version(lam, function_name, {"INGEST_PATH_LABEL": "new"})  # the rehearsal's "MSK" version
    versions = resolve_versions(routing)
    source, target = _brokers(params, sandbox_state)
    readers = {"old": BrokerReadback(source), "new": BrokerReadback(target)}
    run = IngestCutoverRun(CutoverReport(function_name, ingest.alias_name, versions))
    with _targets(params, outputs, source, target, log_dir) as target_for:

        def canary(weight: float) -> canary_mod.CanaryReport:
            report = canary_mod.run_canary(target_for(weight), readers, env=params.env,
                                           events=ingest.cutover.canary_events_per_step,
                                           rate_per_s=ingest.canary.rate_per_s,
                                           readback_timeout_s=ingest.canary.readback_timeout_s)
            run.metrics_published += canary_mod.publish(cloudwatch, report)
            run.rounds.append(report)
            return report

        run.report = run_staged_cutover(
            routing, versions, steps_pct=ingest.cutover.steps_pct,
            thresholds=GateThresholds(ingest.cutover.max_error_rate, ingest.cutover.max_mirror_lag),
            canary=canary, mirror_lag=mirror_lag, settle_s=ingest.cutover.settle_s, on_step=on_step)
    return run
