#!/usr/bin/env bash
# Run every test tier (unit, integration, notebooks, browser), sharing one test sandbox, and stop that
# sandbox at the end whatever happened. Each tier can also run alone: make test-<tier>.
# The browser tier runs beside the notebooks tier: the notebooks tier is one long headless runbook run
# that mostly waits on Terraform, and the browser tier only reads the sandbox (the preflight notebook).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export RUNBOOK_SANDBOX_DIR=${RUNBOOK_SANDBOX_DIR:-$PWD/.sandbox-test}
export RUNBOOK_KEEP_TEST_SANDBOX=1
browser_log=$(mktemp)
browser_tmp=$(mktemp -d)  # its own pytest basetemp: two sessions at once must not prune each other's
cleanup() { "$PY" -m runbook_lib.cli sandbox down >/dev/null 2>&1 || true; rm -rf "$browser_log" "$browser_tmp"; }
trap cleanup EXIT
status=0
for tier in unit integration; do
  echo "=== tier: $tier"
  "$PY" -m pytest -m "$tier" -q || status=1
done
echo "=== tier: notebooks (with the browser tier beside it)"
"$PY" -m pytest -m browser -q -p no:cacheprovider --basetemp "$browser_tmp" >"$browser_log" 2>&1 &
browser_pid=$!
"$PY" -m pytest -m notebooks -q || status=1
wait "$browser_pid" || status=1
echo "=== tier: browser"
cat "$browser_log"
exit $status
