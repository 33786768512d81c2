#!/usr/bin/env bash
# Run every test tier (unit, integration, notebooks, browser) in two lanes side by side, each lane with its own test
# sandbox, and stop both sandboxes at the end whatever happened. Each tier can also run alone: make test-<tier>.
#
# Lane 1: the notebooks tier - one long headless runbook run that mostly waits on Terraform and moto - on the
#         sandbox in .sandbox-test/.
# Lane 2: the integration tier on its own sandbox (.sandbox-test-integration/: it seeds and corrupts data, so it
#         never shares one with the runbook run), then the unit tier (never touches a sandbox), then the browser
#         tier (reads lane 1's sandbox for the preflight notebook; notebook 01's Approve click applies to a
#         moto-only sandbox the test starts in its own temporary folder and stops, never lane 1's).
# What the lanes could share is kept apart: Terraform's working data and saved plans live in each sandbox's folder
# (runbook_lib.infra.terraform_setup), the environment lock too; a stack folder's override file is written only
# under that stack's lock; PostgreSQL dumps and checkpoints of lane 2 go to their own folders.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export RUNBOOK_SANDBOX_DIR=${RUNBOOK_SANDBOX_DIR:-$PWD/.sandbox-test}
export RUNBOOK_KEEP_TEST_SANDBOX=1
INTEGRATION_SANDBOX=${RUNBOOK_INTEGRATION_SANDBOX_DIR:-$PWD/.sandbox-test-integration}
lane2_log=$(mktemp)
lane2_tmp=$(mktemp -d)  # own pytest basetemps: sessions at once must not prune each other's
cleanup() {
  "$PY" -m runbook_lib.cli sandbox down >/dev/null 2>&1 || true
  RUNBOOK_SANDBOX_DIR="$INTEGRATION_SANDBOX" "$PY" -m runbook_lib.cli sandbox down >/dev/null 2>&1 || true
  rm -rf "$lane2_log" "$lane2_tmp"
}
trap cleanup EXIT
started=$SECONDS

lane2() {
  local status=0
  echo "=== tier: integration (own sandbox)"
  RUNBOOK_SANDBOX_DIR="$INTEGRATION_SANDBOX" RUNBOOK_WORK_DIR="$lane2_tmp/work" \
    "$PY" -m pytest -m integration -q -p no:cacheprovider --basetemp "$lane2_tmp/integration" || status=1
  RUNBOOK_SANDBOX_DIR="$INTEGRATION_SANDBOX" "$PY" -m runbook_lib.cli sandbox down >/dev/null 2>&1 || true
  echo "[lane 2: integration done at $((SECONDS - started)) s]"
  echo "=== tier: unit"
  "$PY" -m pytest -m unit -q -p no:cacheprovider --basetemp "$lane2_tmp/unit" || status=1
  echo "[lane 2: unit done at $((SECONDS - started)) s]"
  echo "=== tier: browser"
  "$PY" -m pytest -m browser -q -p no:cacheprovider --basetemp "$lane2_tmp/browser" || status=1
  echo "[lane 2: browser done at $((SECONDS - started)) s]"
  return $status
}

status=0
lane2 >"$lane2_log" 2>&1 &
lane2_pid=$!
echo "=== tier: notebooks (lane 1; integration, unit and browser run beside it in lane 2)"
"$PY" -m pytest -m notebooks -q || status=1
echo "[lane 1: notebooks done at $((SECONDS - started)) s]"
wait "$lane2_pid" || status=1
cat "$lane2_log"
echo "[all tiers done in $((SECONDS - started)) s]"
exit $status
