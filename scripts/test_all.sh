#!/usr/bin/env bash
# Run every test tier (unit, integration, notebooks, browser), sharing one test sandbox, and stop that
# sandbox at the end whatever happened. Each tier can also run alone: make test-<tier>.
# The notebooks tier is one long headless runbook run that mostly waits on Terraform, so the tiers that do
# not change the sandbox run beside it: browser (only reads it: the preflight notebook) and unit (never
# touches it: moto in-process, stubs). Integration runs first and alone: it seeds and corrupts sandbox data.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export RUNBOOK_SANDBOX_DIR=${RUNBOOK_SANDBOX_DIR:-$PWD/.sandbox-test}
export RUNBOOK_KEEP_TEST_SANDBOX=1
browser_log=$(mktemp)
unit_log=$(mktemp)
browser_tmp=$(mktemp -d)  # own pytest basetemps: sessions at once must not prune each other's
unit_tmp=$(mktemp -d)
cleanup() {
  "$PY" -m runbook_lib.cli sandbox down >/dev/null 2>&1 || true
  rm -rf "$browser_log" "$unit_log" "$browser_tmp" "$unit_tmp"
}
trap cleanup EXIT
status=0
echo "=== tier: integration"
"$PY" -m pytest -m integration -q || status=1
echo "=== tier: notebooks (with the unit and browser tiers beside it)"
"$PY" -m pytest -m unit -q -p no:cacheprovider --basetemp "$unit_tmp" >"$unit_log" 2>&1 &
unit_pid=$!
"$PY" -m pytest -m browser -q -p no:cacheprovider --basetemp "$browser_tmp" >"$browser_log" 2>&1 &
browser_pid=$!
"$PY" -m pytest -m notebooks -q || status=1
wait "$unit_pid" || status=1
wait "$browser_pid" || status=1
echo "=== tier: unit"
cat "$unit_log"
echo "=== tier: browser"
cat "$browser_log"
exit $status
