#!/usr/bin/env bash
# Run every test tier in order (unit, integration, notebooks, browser), sharing one test sandbox,
# and stop that sandbox at the end whatever happened. Each tier can also run alone: make test-<tier>.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export RUNBOOK_SANDBOX_DIR=${RUNBOOK_SANDBOX_DIR:-$PWD/.sandbox-test}
export RUNBOOK_KEEP_TEST_SANDBOX=1
cleanup() { "$PY" -m runbook_lib.cli sandbox down >/dev/null 2>&1 || true; }
trap cleanup EXIT
status=0
for tier in unit integration notebooks browser; do
  echo "=== tier: $tier"
  "$PY" -m pytest -m "$tier" -q || status=1
done
exit $status
