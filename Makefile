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
PYTEST := $(PY) -m pytest
ENV ?= sandbox

.PHONY: install demo test test-unit test-integration test-notebooks test-browser lint bench clean sandbox-up sandbox-down checkov

$(STAMP): pyproject.toml scripts/install.sh
	bash scripts/install.sh $(PYTHON) $(VENV)
	touch $(STAMP)

install: $(STAMP)

checkov: $(CHECKOV_VENV)/bin/checkov
$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check 'checkov>=3.2'

demo: install checkov
	$(RUNBOOK) sandbox up --scale small
	$(RUNBOOK) run --env $(ENV)
	@echo "Evidence: $$(ls -dt outputs/*/ | head -1)index.html"

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
	rm -rf $(VENV) $(CHECKOV_VENV) .pytest_cache
