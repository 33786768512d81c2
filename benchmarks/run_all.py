"""Run every benchmark at its default (full) size, one after the other; each prints its own table and ratios.

    python benchmarks/run_all.py [--quick]

``--quick`` runs reduced sizes (a smoke run, not figures to quote). Results land in benchmarks/results/.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    runs = [
        [sys.executable, str(HERE / "bench_plan_parse.py")],
        [sys.executable, str(HERE / "bench_objects.py"), *(["--quick"] if quick else [])],
        [sys.executable, str(HERE / "bench_postgres.py"), *(["--size-gib", "0.05"] if quick else [])],
        [sys.executable, str(HERE / "bench_kafka.py"), *(["--records", "50000"] if quick else [])],
    ]
    status = 0
    for command in runs:
        print(f"\n=== {' '.join(Path(c).name for c in command[1:])}", flush=True)
        status |= subprocess.run(command).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
