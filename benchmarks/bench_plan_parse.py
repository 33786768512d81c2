"""Time parsing a 10,000-resource plan and building its three summaries (best of 5).

Run: ``python benchmarks/bench_plan_parse.py [N_RESOURCES]``. The plan is generated
(deterministic, see ``tests/fixtures/plans/synthetic.py``; every resource carries a
sensitive value, the worst case for masking) and serialised to JSON first, so the
timing includes ``json.loads`` exactly as ``TerraformRunner.show`` does it.

Wall-clock is the figure that matters; CPU time is printed too because on a shared
machine the wall clock also measures the neighbours.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from pathlib import Path

from runbook_lib.terraform.plan import parse_plan

ROOT = Path(__file__).resolve().parent.parent


def _load_generator():
    path = ROOT / "tests" / "fixtures" / "plans" / "synthetic.py"
    spec = importlib.util.spec_from_file_location("plan_synthetic", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def run(n_resources: int = 10_000, repeats: int = 5) -> float:
    text = json.dumps(_load_generator().synthetic_plan(n_resources))
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        plan = parse_plan(text)
        plan.summary_by_action()
        plan.summary_by_module()
        plan.summary_by_type()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    assert len(plan.resource_changes) == n_resources
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"parse + 3 summaries, {n_resources} resources ({len(text) / 1e6:.1f} MB JSON), best of {repeats}: "
        f"{best_wall:.3f} s wall, {best_cpu:.3f} s CPU (load average {load:.1f})"
    )
    return best_wall


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
