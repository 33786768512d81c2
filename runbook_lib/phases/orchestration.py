"""Phase 5's workloads as notebook steps, after stack 05 is applied: DAGs -> MWAA, dashboards -> Managed Grafana,
OpenMetadata ingestion configs. Each step returns a table and records it in the evidence.

Why here: notebook 05 stays a list of one-line calls; the order (validate before upload, map before writing
secrets, rewrite before import) and the inputs (params, stack outputs, the sandbox) are decided once, here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.clients import aws_client
from runbook_lib.endpoints import aws_endpoint_url
from runbook_lib.errors import OrchestrationError
from runbook_lib.infra.terraform_setup import runner_from_params
from runbook_lib.params import resolve_path, resolve_secret
from runbook_lib.phases.session import PhaseSession
from runbook_lib.workloads import (
    airflow_dags,
    airflow_handover,
    airflow_package,
    airflow_secrets,
    grafana_import,
    grafana_rewrite,
    mwaa_upload,
    openmetadata_configs,
)
from runbook_lib.workloads.airflow_env import airflow_venv, mwaa_pins

log = logging.getLogger("runbook_lib.phases.orchestration")

#: The stack outputs the steps read, as "<stack>.<output>".
UPSTREAM_OUTPUTS = ("02_data_stores", "03_streaming_ingestion", "04_processing")


@dataclass
class OrchestrationSteps:
    """The state of phase 5's workload steps in one notebook."""

    session: PhaseSession
    outputs: dict[str, Any]  # "<stack>.<output>" -> value
    work: Path
    dag_validation: airflow_dags.DagValidation | None = None
    artifacts: list[tuple[str, Path]] = field(default_factory=list)

    @classmethod
    def open(cls, session: PhaseSession, stack_outputs: Mapping[str, Any]) -> OrchestrationSteps:
        """``stack_outputs``: stack 05's (``StackPhase.outputs``); the earlier stacks' are read here."""
        outputs = {f"05_orchestration_observability.{k}": getattr(v, "value", v) for k, v in stack_outputs.items()}
        for stack in UPSTREAM_OUTPUTS:
            try:
                runner = runner_from_params(session.params, stack)
                runner.init()
                outputs.update({f"{stack}.{k}": v.value for k, v in runner.outputs().items()})
            except Exception as error:  # noqa: BLE001 - a step needing a missing output names it
                log.warning("outputs of %s not available: %s", stack, error)
        return cls(session, outputs, session.work_dir("workloads_05"))

    def _keep_built(self) -> None:
        """Keep what the steps built so far (requirements, plugins.zip, configs) as evidence, each file once.

        They are built in the run's private working area and enter the run folder only through the ledger.
        """
        kept = {f.name for f in self.session.ledger.phase(self.session.phase).files_kept}
        for path in sorted(p for p in self.work.rglob("*") if p.is_file()):
            name = path.relative_to(self.work).as_posix()
            if name not in kept:
                self.session.keep_file(name, path)

    @property
    def _airflow(self) -> Any:
        return self.session.params.orchestration.airflow

    def validate_dags(self) -> Any:
        """Every DAG file parsed by MWAA's Airflow; raises (after recording) when any has an import error."""
        venv = airflow_venv(self._airflow.venv)
        venv.require(mwaa_pins())
        self.dag_validation = airflow_dags.validate_dags(resolve_path(self._airflow.dags_dir), venv,
                                                         timeout_s=self._airflow.dag_timeout_s)
        frame = self.session.table("05_dag_validation", self.dag_validation.to_frame())
        if not self.dag_validation.ok:
            first = self.dag_validation.errors[0]
            raise OrchestrationError(f"{first.file}:{first.line}", first.error,
                                                  hint="fix the DAG (see the validation table)")
        return frame

    def package(self) -> Any:
        """requirements.txt (resolved offline against the pinned Airflow) and plugins.zip."""
        dags_dir = resolve_path(self._airflow.dags_dir)
        refs = airflow_dags.dag_references(dags_dir)
        reqs = airflow_package.build_requirements(resolve_path(self._airflow.requirements_in), refs.providers,
                                                  airflow_venv(self._airflow.venv), mwaa_pins(), self.work)
        plugins = airflow_package.build_plugins_zip(resolve_path(self._airflow.plugins_dir), self.work)
        self.artifacts = mwaa_upload.artifacts(airflow_dags.dag_files(dags_dir), dags_dir, reqs.path, plugins.path)
        frame = reqs.to_frame()
        frame.loc[len(frame)] = {"package": "plugins.zip", "version": plugins.sha256[:16],
                                 "resolved": f"{len(plugins.members)} file(s): {', '.join(plugins.members)}"}
        self._keep_built()
        return self.session.table("05_mwaa_requirements", frame)

    def secrets(self) -> Any:
        """Connections and variables the DAGs use -> Secrets Manager (names and actions only)."""
        refs = airflow_dags.dag_references(resolve_path(self._airflow.dags_dir))
        airflow_secrets.check_mapped(refs.connections, refs.variables, self._airflow)
        params = self.session.params
        writes = airflow_secrets.write_secrets(self._airflow, aws_client("secretsmanager", params.aws),
                                               sandbox_resolver=self._sandbox_resolver(),
                                               endpoint_url=aws_endpoint_url(params.aws))
        return self.session.table("05_airflow_secrets", airflow_secrets.writes_frame(writes))

    def upload(self) -> Any:
        """dags/, requirements.txt, plugins.zip -> the MWAA bucket, each read back and compared (sha256)."""
        if not self.artifacts:
            self.package()
        bucket = self.outputs.get("05_orchestration_observability.mwaa_dag_bucket_name")
        objects = mwaa_upload.upload_and_read_back(aws_client("s3", self.session.params.aws), bucket, self.artifacts)
        frame = self.session.table("05_mwaa_upload", mwaa_upload.uploads_frame(objects))
        bad = [o.key for o in objects if not o.ok]
        if bad:
            raise OrchestrationError(str(bucket), f"read back differs for {', '.join(bad)}",
                                                  hint="upload again; check the bucket's encryption/replication")
        return frame

    def handover(self) -> Any:
        """The per-DAG plan: pause on the source, then unpause on MWAA (shown, not called)."""
        if self.dag_validation is None:
            self.validate_dags()
        assert self.dag_validation is not None
        dag_ids = [d for f in self.dag_validation.files for d in f.dag_ids]
        env = self.outputs.get("05_orchestration_observability.mwaa_environment_name")
        steps = airflow_handover.handover_plan(dag_ids, env)
        return self.session.table("05_dag_handover_plan", airflow_handover.plan_frame(steps))

    def grafana(self) -> Any:
        """Rewrite every dashboard and rule through the map; import when a Grafana URL is set (else say why not)."""
        grafana = self.session.params.orchestration.grafana
        bundle = grafana_rewrite.load_bundle(resolve_path(grafana.dashboards_dir), resolve_path(grafana.folders_file),
                                             resolve_path(grafana.alert_rules_file))
        rewritten, rows = grafana_rewrite.rewrite_bundle(bundle, list(grafana.datasource_map))
        frame = grafana_rewrite.rows_frame(rows)
        url = grafana.url or self.outputs.get("05_orchestration_observability.grafana_workspace_endpoint")
        if url and grafana.api_key_ref is not None:
            token = resolve_secret(grafana.api_key_ref, sandbox_resolver=self._sandbox_resolver(),
                                   endpoint_url=aws_endpoint_url(self.session.params.aws))
            api = grafana_import.grafana_api(url if "://" in url else f"https://{url}", token)
            datasources = grafana_import.datasource_payloads(list(grafana.datasource_map), self.outputs)
            imported = grafana_import.import_frame(grafana_import.import_bundle(api, rewritten, datasources))
            frame = frame.merge(imported[["uid", "action", "read_back_equal", "paused"]], on="uid", how="left")
        else:
            frame["action"] = ("not imported: no Grafana URL/api_key_ref (the sandbox has no Managed Grafana; "
                               "tests import into sandbox_shims/grafana_api.py)")
        return self.session.table("05_grafana_dashboards", frame)

    def openmetadata(self) -> Any:
        """Glue, S3 and MSK ingestion configs from the stack outputs, validated by openmetadata-ingestion."""
        om = self.session.params.orchestration.openmetadata
        params = self.session.params
        sandbox_kafka = None
        if params.is_sandbox:
            from runbook_lib.sandbox import load_state

            state = load_state()
            target = state.services.get("kafka-target") if state is not None else None
            sandbox_kafka = target.address if target is not None else None
        configs = openmetadata_configs.build_configs(
            resolve_path(om.services_file), self.outputs, region=params.aws.region,
            endpoint_url=aws_endpoint_url(params.aws), server=om.server_host_port, out_dir=self.work / "openmetadata",
            sandbox_kafka=sandbox_kafka)
        checks = openmetadata_configs.validate_configs([c.path for c in configs], resolve_path(om.venv))
        self._keep_built()
        frame = self.session.table("05_openmetadata_configs", openmetadata_configs.checks_frame(configs, checks))
        if not all(c.ok for c in checks):
            raise OrchestrationError("openmetadata", "generated configs do not validate",
                                                  hint="see the configs table")
        return frame

    def _sandbox_resolver(self) -> Callable[[str], str] | None:
        if not self.session.params.is_sandbox:
            return None
        from runbook_lib.sandbox import require_running

        state = require_running("phase 5's workload steps")
        return lambda name: state.url(name, with_secret=True)
