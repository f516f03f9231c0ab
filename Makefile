# Build and test tooling of altostrat.cloud. `make help` says what each target does; docs/developing.md says more.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# A real (non-shim) Python 3.11: ansible-core 2.19 is the newest line that supports it.
ifndef PYTHON
PYTHON := $(shell p=$$(command -v python3.11) && "$$p" -c 'import sys; print(sys.executable)')
endif
PYTEST := pytest -p no:cacheprovider
BUILD  := $(CURDIR)/.build
space  := $() $()

# The main venv first on PATH, pyenv shims removed (they confuse ansible-test's interpreter discovery).
export PATH := $(CURDIR)/.venv/bin:$(subst $(space),:,$(filter-out %pyenv/shims %pyenv-virtualenv/shims,$(subst :, ,$(PATH))))
export ANSIBLE_COLLECTIONS_PATH := $(BUILD)
# The one place for PYTHONPATH: the collection's .build tree, and tests/ for `emulator`, `testkit` and `e2e`.
export PYTHONPATH := $(BUILD):$(CURDIR)/tests
export PYTHONDONTWRITEBYTECODE := 1
ifdef CI
export ANSIBLE_NOCOLOR := 1
export NO_COLOR := 1
export PY_COLORS := 0
endif

CHECKS := units e2e matrix reliability sanity lint docs-check changelog-lint galaxy-check

.PHONY: help venv collection redis-server test $(CHECKS) matrix-venvs demo bench mutate clean distclean

help: ## list the targets, one sentence each
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z0-9-]+):.*## /\1\t/' | expand -t 16

venv: ## make the main virtualenv .venv (Python 3.11) from scripts/requirements-dev.txt
	@scripts/venv.sh .venv "$(PYTHON)" scripts/requirements-dev.txt

collection: ## link the working tree as .build/ansible_collections/altostrat/cloud, where Ansible finds it
	@mkdir -p $(BUILD)/ansible_collections/altostrat && ln -sfn ../../.. $(BUILD)/ansible_collections/altostrat/cloud

redis-server: ## install Debian's redis-server when missing (the shared request budget's tests start their own)
	@scripts/install_redis_server.sh

# Each check runs in its own make, so `make test` stops at the first failure; MAKE_TEST_PASSED tells a check
# which ones passed before it (`matrix` does not run the main line's units and sanity again).
test: venv collection ## run every check CI runs, in order, stopping at the first failure
	@passed=; for t in $(CHECKS); do printf '\n===== %s =====\n' "$$t"; \
	  MAKE_TEST_PASSED="$$passed" $(MAKE) --no-print-directory $$t; passed="$$passed $$t"; done; printf '\n===== all checks passed =====\n'

units: venv collection redis-server ## unit tests in a random order (RANDOM_ORDER_SEED=N repeats one), 60 s a test at most
	@seed=$${RANDOM_ORDER_SEED:-$$RANDOM}; echo "unit tests in random order: RANDOM_ORDER_SEED=$$seed repeats it"; $(PYTEST) tests/unit -q -n auto --timeout 60 --random-order-bucket=global --random-order-seed=$$seed

e2e: venv collection redis-server ## real ansible-playbook, ansible-rulebook and ansible-runner runs by user story (tests/e2e), four at a time
	$(PYTEST) tests/e2e --ignore=tests/e2e/reliability --ignore=tests/e2e/matrix -q -n 4

matrix-venvs: ## make the version matrix's venvs (scripts/matrix.txt) under .build/matrix-venvs
	scripts/matrix.sh venvs

matrix: venv collection redis-server ## unit tests and the end-to-end gate on every ansible-core line of scripts/matrix.txt
	scripts/matrix.sh

reliability: venv collection ## plays through faults, misbehaving servers and deadlines; the `timing` ones alone, after the rest
	$(PYTEST) tests/e2e/reliability -q -n 2 -m 'not timing' && $(PYTEST) tests/e2e/reliability -q -n 0 -m timing

sanity: venv ## ansible-test sanity on a copy of the tree, the modules on every Python tests/config.yml admits
	scripts/sanity.sh

lint: venv ## ansible-lint, production profile
	ansible-lint --profile production

docs-check: venv collection ## every plugin's and role's docs build and lint clean (antsibull-docs)
	python scripts/check_docs.py

changelog-lint: venv ## the changelog fragments and changelogs/changelog.yaml are valid
	antsibull-changelog lint && { [ ! -f changelogs/changelog.yaml ] || antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml; }

galaxy-check: venv ## build the collection tarball and import it with galaxy-importer, offline
	scripts/galaxy_check.sh

demo: ## a user's venv (.build/venv-demo), the collection installed from its tarball, a gate played against the emulator
	@scripts/venv.sh .build/venv-demo "$(PYTHON)" scripts/requirements-demo.txt && DEMO_VENV=.build/venv-demo scripts/demo.sh

bench: venv collection redis-server ## measure the collection beside uri + until and rewrite docs/performance.md
	python tests/benchmarks/run.py

mutate: venv collection ## apply small bugs to the core files one at a time and report which the tests catch (ARGS=...)
	python scripts/mutate.py $(ARGS)

clean: ## remove what the checks leave behind, but keep the venvs
	rm -rf tests/output .ansible .pytest_cache .hypothesis importer_result.json
	if [ -d .build ]; then find .build -mindepth 1 -maxdepth 1 ! -name matrix-venvs -exec rm -rf {} +; fi
	find . \( -path ./.venv -o -path ./.build/matrix-venvs \) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## remove the venvs too
	rm -rf .venv .build
