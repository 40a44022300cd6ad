# The two commands a newcomer needs: `make demo` and `make test`. Everything installs into
# .venv from requirements.lock (regenerate it with `make lock` after changing pyproject.toml).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml Makefile | cksum | cut -d' ' -f1)

.PHONY: setup demo test chaos lint format lock bench dev stop clean

# --compile-bytecode: compiled once at install, as pip does by default and uv only when asked.
# Otherwise every new interpreter (code server, each run worker) compiles Dagster again where
# PYTHONDONTWRITEBYTECODE is set: about 2.5 s of CPU per run on this machine.
$(STAMP): requirements.lock pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP)

demo: setup
	$(BIN)/promoteros demo

test: setup lint
	$(BIN)/pytest -n auto

# The fault scenarios (tests/faults, marker `chaos`): they kill PostgreSQL and the Dagster
# daemon, so they run one at a time, on a server of their own, after `make test`.
chaos: setup
	$(BIN)/pytest -p no:xdist -m chaos tests/faults

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock:
	$(BIN)/uv pip compile --quiet --python-version 3.11 --extra dev --generate-hashes \
		--output-file requirements.lock pyproject.toml

bench: setup
	$(BIN)/python -m benchmarks

dev: setup
	$(BIN)/promoteros dev

stop:
	$(BIN)/promoteros stop

clean: stop
	rm -rf $(VENV) .promoteros
