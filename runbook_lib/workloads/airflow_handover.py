"""The handover plan: each DAG paused on the self-hosted Airflow before it is unpaused on MWAA.

Why a typed plan: no DAG may run on both sides, and no run may be lost in between. For each DAG the
steps come in one fixed order (check MWAA parsed the DAG and holds it paused, so the source is never paused
for a DAG MWAA does not have; pause the source; wait until its running runs finish; unpause on MWAA; check
the source stays paused), and :func:`check_order` refuses any
plan where an unpause on MWAA is not preceded by that DAG's pause on the source. Each step carries the call
it makes: the source's Airflow REST API, MWAA's ``InvokeRestApi``. There is no Airflow server in the sandbox:
the plan is built and shown there, and nothing is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from runbook_lib.errors import OrchestrationError

Side = Literal["source", "mwaa"]


@dataclass(frozen=True)
class HandoverStep:
    """One action on one side for one DAG, with the exact call it makes."""

    dag_id: str
    order: int
    side: Side
    action: str
    call: str


def handover_plan(dag_ids: list[str], mwaa_environment: str | None) -> list[HandoverStep]:
    """The steps, DAG by DAG (sorted), in the order they must run."""
    env = mwaa_environment or "<mwaa environment>"
    steps: list[HandoverStep] = []
    for dag_id in sorted(dag_ids):
        template = [
            ("mwaa", "check parsed and paused",
             f"mwaa.invoke_rest_api(Name={env!r}, Method='GET', Path='/dags/{dag_id}') -> is_paused true"),
            ("source", "pause", f"PATCH /api/v1/dags/{dag_id}?update_mask=is_paused {{is_paused: true}}"),
            ("source", "wait for running runs to finish",
             f"GET /api/v1/dags/{dag_id}/dagRuns?state=running (until total_entries == 0)"),
            ("mwaa", "unpause",
             f"mwaa.invoke_rest_api(Name={env!r}, Method='PATCH', Path='/dags/{dag_id}', "
             "Body={'is_paused': False})"),
            ("source", "check still paused", f"GET /api/v1/dags/{dag_id} -> is_paused true"),
        ]
        steps += [HandoverStep(dag_id, i, side, action, call) for i, (side, action, call) in enumerate(template, 1)]
    check_order(steps)
    return steps


def check_order(steps: list[HandoverStep]) -> None:
    """Refuse a plan in which some DAG is unpaused on MWAA before (or without) being paused on the source."""
    paused: set[str] = set()
    for step in steps:
        if step.side == "source" and step.action == "pause":
            paused.add(step.dag_id)
        if step.side == "mwaa" and step.action == "unpause" and step.dag_id not in paused:
            raise OrchestrationError(step.dag_id, "unpaused on MWAA before it is paused on the source",
                                     hint="pause it on the self-hosted Airflow first")


def plan_frame(steps: list[HandoverStep]) -> Any:
    """The plan as a table. The runbook does not execute it yet: the status says so on every row."""
    import pandas as pd

    status = "planned, not called (the runbook shows the calls; no Airflow server in the sandbox)"
    return pd.DataFrame([{"dag_id": s.dag_id, "step": s.order, "side": s.side, "action": s.action,
                          "call": s.call, "status": status} for s in steps])
