# Two commands set up everything on a fresh machine:
#   make demo   - install, start the sandbox, run the whole runbook headless, print where the evidence is
#   make test   - install and run every test tier (unit, integration, notebooks, browser)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNBOOK := $(VENV)/bin/runbook
STAMP := $(VENV)/.installed
CHECKOV_VENV := .venv-checkov
AIRFLOW_VENV := .venv-airflow
OPENMETADATA_VENV := .venv-openmetadata
PYTEST := $(PY) -m pytest
ENV ?= sandbox

.PHONY: install demo test test-unit test-integration test-notebooks test-browser lint bench clean sandbox-up sandbox-down checkov airflow openmetadata

$(STAMP): pyproject.toml scripts/install.sh
	bash scripts/install.sh $(PYTHON) $(VENV)
	touch $(STAMP)

install: $(STAMP)

checkov: $(CHECKOV_VENV)/bin/checkov
$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check 'checkov>=3.2'

# Phase 5 validates DAGs under MWAA's Airflow and OpenMetadata configs under openmetadata-ingestion, each in its
# own virtualenv (their pins conflict with the runbook's); scripts/install.sh builds both, cached by a stamp.
airflow: $(AIRFLOW_VENV)/.built
$(AIRFLOW_VENV)/.built: scripts/airflow-venv.txt scripts/install_workload_venvs.sh
	bash scripts/install_workload_venvs.sh $(PYTHON) airflow
openmetadata: $(OPENMETADATA_VENV)/.built
$(OPENMETADATA_VENV)/.built: scripts/install_workload_venvs.sh
	bash scripts/install_workload_venvs.sh $(PYTHON) openmetadata

demo: install checkov
	RUNBOOK=$(RUNBOOK) ENV=$(ENV) bash scripts/demo.sh

test: install checkov
	PY=$(PY) bash scripts/test_all.sh

test-unit: install
	$(PYTEST) -m unit -q
test-integration: install
	$(PYTEST) -m integration -q
test-notebooks: install
	$(PYTEST) -m notebooks -q
test-browser: install
	$(PYTEST) -m browser -q

lint: install
	$(VENV)/bin/ruff check runbook_lib sandbox_shims tests benchmarks
	terraform fmt -check -recursive terraform_infra

bench: install
	$(PY) benchmarks/run_all.py

sandbox-up: install
	$(RUNBOOK) sandbox up
sandbox-down: install
	$(RUNBOOK) sandbox down

clean:
	-$(RUNBOOK) sandbox down
	rm -rf $(VENV) $(CHECKOV_VENV) $(AIRFLOW_VENV) $(OPENMETADATA_VENV) .pytest_cache
