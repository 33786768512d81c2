#!/usr/bin/env bash
# Build the two heavy, conflicting environments phase 5 validates in, each once (a stamp holds the sha256 of
# what it was built from, so a second run changes nothing):
#   .venv-airflow       MWAA's Airflow (stack 05 pins 2.10.3) + the DAGs' providers, from scripts/airflow-venv.txt
#   .venv-openmetadata  openmetadata-ingestion (the server stack 05 deploys is 1.6.1), --no-deps + its core deps:
#                       its full resolution pulls a dbt parser whose build downloads from GitHub (no internet here)
# Usage: scripts/install_workload_venvs.sh PYTHON [airflow|openmetadata|all]
set -euo pipefail
PYTHON=${1:-python3}
WHICH=${2:-all}
cd "$(dirname "$0")/.."
PIP_FLAGS=(-q --disable-pip-version-check)

build() {  # build VENV STAMP_SOURCE COMMAND...
  local venv=$1 source=$2; shift 2
  local want; want=$(sha256sum "$source" "$0" | sha256sum | cut -c1-64)
  if [ -f "$venv/.built" ] && [ "$(cat "$venv/.built")" = "$want" ]; then echo "$venv: up to date"; return; fi
  rm -rf "$venv"; "$PYTHON" -m venv "$venv"
  local started=$SECONDS
  "$@"
  echo "$want" > "$venv/.built"
  echo "$venv: built in $((SECONDS - started)) s"
}

airflow() {
  .venv-airflow/bin/pip install "${PIP_FLAGS[@]}" -r scripts/airflow-venv.txt -c scripts/airflow-venv.txt
}

openmetadata() {
  .venv-openmetadata/bin/pip install "${PIP_FLAGS[@]}" --no-deps "openmetadata-ingestion==1.6.1.0"
  .venv-openmetadata/bin/pip install "${PIP_FLAGS[@]}" 'chardet==4.0.0' 'cryptography>=42.0.0' 'PyYAML~=6.0' \
    'Jinja2>=2.11.3' 'tabulate==0.9.0' 'sqlalchemy<2,>=1.4.0' 'antlr4-python3-runtime==4.9.2' 'email-validator>=2.0' \
    'requests>=2.23' 'mypy-extensions>=0.4.3' 'boto3<2.0,>=1.20' 'importlib-metadata>=4.13.0' 'jsonpatch<2.0,>=1.24' \
    'cached-property==1.5.2' 'typing-inspect' 'packaging' 'requests-aws4auth~=1.1' 'pydantic>=2.7.0,~=2.0' \
    'python-dateutil>=2.8.1' 'memory-profiler'
}

case "$WHICH" in
  airflow) build .venv-airflow scripts/airflow-venv.txt airflow ;;
  openmetadata) build .venv-openmetadata "$0" openmetadata ;;
  all) build .venv-airflow scripts/airflow-venv.txt airflow; build .venv-openmetadata "$0" openmetadata ;;
  *) echo "usage: $0 PYTHON [airflow|openmetadata|all]" >&2; exit 2 ;;
esac
