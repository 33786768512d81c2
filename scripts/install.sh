#!/usr/bin/env bash
# Install everything the runbook and its tests need into a virtualenv, from PyPI and Debian only.
# Idempotent: a second run changes nothing that is already there.
set -euo pipefail
PYTHON=${1:-python3}
VENV=${2:-.venv}
cd "$(dirname "$0")/.."

need_apt=()
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "install: apt-get install ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "install: please install with your package manager: ${need_apt[*]}" >&2
  fi
fi
command -v terraform >/dev/null 2>&1 || command -v tofu >/dev/null 2>&1 || {
  echo "install: Terraform or OpenTofu is required on PATH (>= 1.6)" >&2; exit 4; }

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/pip" install -q --disable-pip-version-check -e '.[all]'
"$VENV/bin/runbook" tools install
# Phase 5: MWAA's Airflow and openmetadata-ingestion in their own virtualenvs (cached; skipped when up to date).
bash scripts/install_workload_venvs.sh "$PYTHON" all
