# Two commands are all the set-up: `make demo` and `make test`. Each creates or reuses .venv
# and installs pullcast (with its dev extra) from pyproject.toml.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.pullcast-installed

.PHONY: demo test test-floors lint bench bench-gate docs clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m pullcast demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks examples
	$(VENV)/bin/mypy src
	$(VENV)/bin/lint-imports

test: lint
	$(VENV)/bin/pytest

# The suite at the lowest versions pyproject.toml declares (.ci/floors.txt), in its own virtualenv; the
# tests of extras that are not installed there skip.
FLOORS := .venv-floors
test-floors:
	test -x $(FLOORS)/bin/python || $(PYTHON) -m venv $(FLOORS)
	$(FLOORS)/bin/python -m pip install --quiet --upgrade pip
	$(FLOORS)/bin/python -m pip install --quiet -c .ci/floors.txt -e '.[parquet]' 'pytest>=8' 'hypothesis>=6.100'
	NUMBA_CACHE_DIR=$(FLOORS)/numba-cache $(FLOORS)/bin/pytest -p no:cacheprovider

bench: $(STAMP)
	$(PY) -m benchmarks kernels

bench-gate: $(STAMP)
	$(PY) -m benchmarks gate

docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict

clean:
	rm -rf $(VENV) $(FLOORS) .pytest_cache .mypy_cache .ruff_cache
