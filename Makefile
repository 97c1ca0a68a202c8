# Each target bootstraps what it needs: a fresh machine needs only python3 (3.11+) and PyPI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
GITLAB_CI_LOCAL := tools/node_modules/.bin/gitlab-ci-local
CHECKOV := .venv-checkov/bin/checkov

.PHONY: plan test test-unit lint bench bench-pipeline clean system-deps

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

## plan: the offline plan of the staging stack (writes build/plan/)
plan: $(STAMP)
	$(BIN)/python -m gitlab_k8s_cd.components.plan --stack staging

# gitlab-ci-local, pinned by tools/package-lock.json (the end-to-end test runs it).
$(GITLAB_CI_LOCAL): tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund --silent
	touch $@

# checkov in a virtualenv of its own: in the main one it would downgrade `packaging`.
$(CHECKOV): tools/checkov-requirements.txt
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet --disable-pip-version-check -r tools/checkov-requirements.txt
	touch $@

# Debian packages for the end-to-end test: installed when missing (as root), or named.
system-deps:
	tools/system-deps.sh

## test: lint, then every test, the end-to-end pipeline run included
test: system-deps $(STAMP) $(GITLAB_CI_LOCAL) $(CHECKOV) lint
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder

# Every test but the local pipeline run (which needs root, buildah and gitlab-ci-local): what
# the library-tests job runs on GitLab, where the pipeline itself is the end-to-end run.
test-unit: $(STAMP) $(CHECKOV) lint
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder -m "not e2e"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## bench: the performance figures of bench/README.md (P1, P2; P3, P5 need the pipeline's tools)
bench: $(STAMP)
	$(BIN)/python bench/run.py

bench-pipeline: system-deps $(STAMP) $(GITLAB_CI_LOCAL)
	$(BIN)/python bench/pipeline.py

clean:
	rm -rf build
