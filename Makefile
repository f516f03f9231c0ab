# Build / test tooling for the altostrat.cloud collection.  `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# A real (non-shim) Python 3.11: ansible-core 2.19 is the newest line that supports it.
ifndef PYTHON
PYTHON := $(shell p=$$(command -v python3.11) && "$$p" -c 'import sys; print(sys.executable)')
endif

VENV   := .venv
STAMP  := $(VENV)/.installed
REQS   := scripts/requirements-dev.txt
BUILD  := $(CURDIR)/.build
COLL   := $(BUILD)/ansible_collections/altostrat/cloud
PYTEST := pytest -p no:cacheprovider
space  := $() $()

# Venv first on PATH, pyenv shims removed (they confuse ansible-test's interpreter discovery).
export PATH := $(CURDIR)/$(VENV)/bin:$(subst $(space),:,$(filter-out %pyenv/shims %pyenv-virtualenv/shims,$(subst :, ,$(PATH))))
export ANSIBLE_COLLECTIONS_PATH := $(BUILD)
export PYTHONPATH := $(BUILD):$(CURDIR)/tests
export PYTHONDONTWRITEBYTECODE := 1
ifdef CI
export ANSIBLE_NOCOLOR := 1
export NO_COLOR := 1
export PY_COLORS := 0
endif

CHECKS := units e2e reliability sanity lint docs-check $(if $(wildcard changelogs/config.yaml),changelog-lint) galaxy-check

.PHONY: help venv collection test $(CHECKS) changelog-lint demo bench clean distclean

help:
	@echo "targets: venv collection test ($(CHECKS)) changelog-lint demo bench clean distclean"

venv: $(STAMP)
$(STAMP): $(REQS)
	@test -n "$(PYTHON)" || { echo "python3.11 not found on PATH (or set PYTHON=...)"; exit 1; }
	$(VENV)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
	  || { rm -rf $(VENV) && "$(PYTHON)" -m venv $(VENV); }
	$(VENV)/bin/pip install -q -r $(REQS)
	touch $@

collection: $(COLL)
$(COLL):
	mkdir -p $(dir $@)
	ln -sfn ../../.. $@

# Each check runs in its own make so `make test` stops at the first failure.
test: venv collection
	@set -e; for t in $(CHECKS); do printf '\n===== %s =====\n' "$$t"; $(MAKE) --no-print-directory $$t; done
	@printf '\n===== all checks passed =====\n'

# In a random order (a new one each run; RANDOM_ORDER_SEED=N repeats one), each test bounded to 60 s.
units: venv collection
	@seed=$${RANDOM_ORDER_SEED:-$$RANDOM}; echo "unit tests in random order: RANDOM_ORDER_SEED=$$seed repeats it"; \
	  $(PYTEST) tests/unit -q -n auto --timeout 60 --random-order-bucket=global --random-order-seed=$$seed

e2e: venv collection
	$(PYTEST) tests/e2e tests/role tests/awx tests/bench_smoke -q -n 2

# Tests marked `timing` bound wall-clock times: they run alone, after the rest.
reliability: venv collection
	$(PYTEST) tests/reliability -q -n 2 -m 'not timing'
	$(PYTEST) tests/reliability -q -n 0 -m timing

sanity: venv
	scripts/sanity.sh

lint: venv
	ansible-lint --profile production

docs-check: venv collection
	python scripts/check_docs.py

changelog-lint: venv
	antsibull-changelog lint
	if [ -f changelogs/changelog.yaml ]; then antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml; fi

galaxy-check: venv
	scripts/galaxy_check.sh

demo: venv collection
	scripts/demo.sh

bench: venv collection
	python tests/benchmarks/run.py

clean:
	rm -rf .build tests/output .ansible .pytest_cache .hypothesis importer_result.json
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
