# Build / test tooling for the altostrat.cloud collection.  `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# A real (non-shim) Python 3.11: ansible-core 2.19 is the newest line that supports it.
ifndef PYTHON
PYTHON := $(shell p=$$(command -v python3.11) && "$$p" -c 'import sys; print(sys.executable)')
endif

# Real (non-shim) interpreters for the version matrix (`make matrix`): on PATH, else in
# ~/.pyenv/versions/X.Y.*/bin/; empty when the machine has none (its rows are reported SKIPPED).
# Found once; exported so that sub-makes and scripts/matrix.sh do not look again.
PYTHON38  ?= $(shell scripts/matrix_python.sh 3.8)
PYTHON311 ?= $(shell scripts/matrix_python.sh 3.11)
PYTHON312 ?= $(shell scripts/matrix_python.sh 3.12)
PYTHON38  := $(PYTHON38)
PYTHON311 := $(PYTHON311)
PYTHON312 := $(PYTHON312)
export PYTHON38 PYTHON311 PYTHON312

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

CHECKS := units e2e matrix reliability sanity lint docs-check $(if $(wildcard changelogs/config.yaml),changelog-lint) galaxy-check

# The version matrix: <ansible-core X.Y>:<controller Python X.Y>, one venv each under $(MATRIX)
# (core<X.Y>-py<X.Y>, from scripts/requirements-core<X.Y>.txt), except the main venv's line,
# whose row runs in .venv. MATRIX_OLDEST: that line's controller with the modules on the oldest
# Python it and tests/config.yml admit ($(MATRIX)/target-py<X.Y>, from
# scripts/requirements-target-py<X.Y>.txt). MATRIX_SANITY: lines whose ansible-test sanity the
# matrix runs (the main line's is `make sanity`).
# The venvs live under .build, which galaxy.yml's build_ignore leaves out of the collection
# tarball (a top-level .matrix/ would be packed into it); `make clean` keeps them, as it keeps .venv.
MATRIX        := .build/matrix-venvs
MATRIX_ROWS   := 2.16:3.11 2.17:3.11 2.18:3.11 2.19:3.11 2.20:3.12
MATRIX_MAIN   := 2.19
MATRIX_OLDEST := 2.16:3.8
MATRIX_SANITY := 2.16

python_of = $(PYTHON$(subst .,,$(1)))
row_core  = $(word 1,$(subst :, ,$(1)))
row_py    = $(word 2,$(subst :, ,$(1)))

# $(call matrix_venv,<dir>,<Python X.Y>,<requirements>): rebuilt from scratch when the requirements change.
define matrix_venv
$(1)/.installed: $(3)
	@test -n "$$(call python_of,$(2))" || { echo "python$(2) not found (or set PYTHON$(subst .,,$(2))=...)"; exit 1; }
	rm -rf $(1)
	"$$(call python_of,$(2))" -m venv $(1)
	$(1)/bin/pip install -q --disable-pip-version-check -r $(3)
	touch $$@
endef

MATRIX_STAMPS :=
$(foreach row,$(filter-out $(MATRIX_MAIN):%,$(MATRIX_ROWS)),\
  $(eval $(call matrix_venv,$(MATRIX)/core$(call row_core,$(row))-py$(call row_py,$(row)),$(call row_py,$(row)),scripts/requirements-core$(call row_core,$(row)).txt))\
  $(if $(call python_of,$(call row_py,$(row))),\
    $(eval MATRIX_STAMPS += $(MATRIX)/core$(call row_core,$(row))-py$(call row_py,$(row))/.installed)))
$(eval $(call matrix_venv,$(MATRIX)/target-py$(call row_py,$(MATRIX_OLDEST)),$(call row_py,$(MATRIX_OLDEST)),scripts/requirements-target-py$(call row_py,$(MATRIX_OLDEST)).txt))
MATRIX_STAMPS += $(if $(call python_of,$(call row_py,$(MATRIX_OLDEST))),$(MATRIX)/target-py$(call row_py,$(MATRIX_OLDEST))/.installed)

.PHONY: help venv matrix-venvs collection redis-server test $(CHECKS) changelog-lint demo bench clean distclean

help:
	@echo "targets: venv matrix-venvs collection redis-server test ($(CHECKS)) changelog-lint demo bench clean distclean"

venv: $(STAMP)
$(STAMP): $(REQS)
	@test -n "$(PYTHON)" || { echo "python3.11 not found on PATH (or set PYTHON=...)"; exit 1; }
	$(VENV)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
	  || { rm -rf $(VENV) && "$(PYTHON)" -m venv $(VENV); }
	$(VENV)/bin/pip install -q -r $(REQS)
	touch $@

collection: $(COLL)

# Debian's redis-server, for the tests of the shared request budget (rate_limit_store): installed when missing.
redis-server:
	scripts/install_redis_server.sh

$(COLL):
	mkdir -p $(dir $@)
	ln -sfn ../../.. $@

# Each check runs in its own make so `make test` stops at the first failure. MAKE_TEST_PASSED tells
# a check which ones passed before it (`matrix` does not rerun the main venv's unit tests).
test: venv collection
	@set -e; passed=; for t in $(CHECKS); do printf '\n===== %s =====\n' "$$t"; \
	  MAKE_TEST_PASSED="$$passed" $(MAKE) --no-print-directory $$t; passed="$$passed $$t"; done
	@printf '\n===== all checks passed =====\n'

# In a random order (a new one each run; RANDOM_ORDER_SEED=N repeats one), each test bounded to 60 s.
units: venv collection redis-server
	@seed=$${RANDOM_ORDER_SEED:-$$RANDOM}; echo "unit tests in random order: RANDOM_ORDER_SEED=$$seed repeats it"; \
	  $(PYTEST) tests/unit -q -n auto --timeout 60 --random-order-bucket=global --random-order-seed=$$seed

# Most end-to-end tests wait (on runs, on the 60/min limit, on outages): four at a time fit two cores.
e2e: venv collection redis-server
	$(PYTEST) tests/e2e --ignore=tests/e2e/reliability --ignore=tests/e2e/matrix -q -n 4

# Unit tests and the end-to-end gate on every ansible-core line we claim (scripts/matrix.sh).
matrix-venvs: $(MATRIX_STAMPS)
matrix: venv collection redis-server matrix-venvs
	MATRIX_ROWS='$(MATRIX_ROWS)' MATRIX_MAIN='$(MATRIX_MAIN)' MATRIX_OLDEST='$(MATRIX_OLDEST)' \
	  MATRIX_SANITY='$(MATRIX_SANITY)' MATRIX_DIR='$(MATRIX)' scripts/matrix.sh

# Tests marked `timing` bound wall-clock times: they run alone, after the rest.
reliability: venv collection
	$(PYTEST) tests/e2e/reliability -q -n 2 -m 'not timing'
	$(PYTEST) tests/e2e/reliability -q -n 0 -m timing

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

# A user's footprint only (scripts/requirements-demo.txt), not the dev venv; under .build/, which
# galaxy.yml's build_ignore keeps out of the collection tarball.
DEMO_VENV := .build/venv-demo
demo: $(DEMO_VENV)/.installed
	DEMO_VENV=$(DEMO_VENV) scripts/demo.sh
$(DEMO_VENV)/.installed: scripts/requirements-demo.txt
	@test -n "$(PYTHON)" || { echo "python3.11 not found on PATH (or set PYTHON=...)"; exit 1; }
	$(DEMO_VENV)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
	  || { rm -rf $(DEMO_VENV) && "$(PYTHON)" -m venv $(DEMO_VENV); }
	$(DEMO_VENV)/bin/pip install -q --disable-pip-version-check -r $<
	touch $@

bench: venv collection redis-server
	python tests/benchmarks/run.py

# clean keeps the virtualenvs (.venv and the matrix venvs); distclean removes them too.
clean:
	rm -rf tests/output .ansible .pytest_cache .hypothesis importer_result.json
	if [ -d .build ]; then find .build -mindepth 1 -maxdepth 1 ! -path $(MATRIX) -exec rm -rf {} +; fi
	find . \( -path ./$(VENV) -o -path ./$(MATRIX) \) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) .build
