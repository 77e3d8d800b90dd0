# Orderly: `make run` to try it, `make test` to check it. Needs only Python >= 3.11 and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ORDERLY := $(BIN)/orderly
HOST ?= 127.0.0.1
PORT ?= 8000
PIP := $(BIN)/python -m pip --disable-pip-version-check
# pytest-xdist processes for `make test`: one per core by default, each with its own PostgreSQL.
TEST_WORKERS ?= auto

.DEFAULT_GOAL := help
.PHONY: help run test suite quick soak lint fmt bench clean

help:
	@echo "make run    install, migrate, load the demo data once, serve at http://$(HOST):$(PORT)"
	@echo "make test   install dev tools, then ruff, mypy, import contracts and every test (over all cores)"
	@echo "make quick  the domain and unit tests, those that need no PostgreSQL (seconds)"
	@echo "make soak   the order lifecycle machine with fresh seeds for SOAK_MINUTES (default 10)"
	@echo "make lint   ruff format --check, ruff check, mypy, import contracts (lint-imports)"
	@echo "make fmt    ruff format and ruff check --fix"
	@echo "make bench  order-intake benchmark (bench/order_intake.py)"
	@echo "make clean  stop the embedded PostgreSQL, remove .venv and caches (keeps your data)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files: pip runs again only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev]'
	@touch $@

run: $(VENV)/.installed
	$(ORDERLY) migrate
	$(ORDERLY) seed
	@echo ""
	@echo "  Dashboard:    http://$(HOST):$(PORT)/app  (sign in with the dashboard login above)"
	@echo "  Orderly API:  http://$(HOST):$(PORT)"
	@echo "  API docs:     http://$(HOST):$(PORT)/docs"
	@echo "  Stop with Ctrl-C; the data stays for the next 'make run'."
	@echo ""
	$(ORDERLY) serve --host $(HOST) --port $(PORT) --with-worker

# The lint runs beside the suite: mypy is one process, and the suite leaves a core idle at times.
test: $(VENV)/.installed-dev
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint suite

# Files go out in the order tests/conftest.py gives them (those with slow tests first), not
# xdist's order by number of tests, which left the longest single-test files for the end.
suite: $(VENV)/.installed-dev
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

quick: $(VENV)/.installed-dev
	$(BIN)/pytest -q -m "not db and not slow"

# The lifecycle state machine (tests/lifecycle) with fresh random seeds until the time is up;
# prints the seed and the shrunk steps of every failure.
SOAK_MINUTES ?= 10
soak: $(VENV)/.installed-dev
	ORDERLY_SOAK_MINUTES=$(SOAK_MINUTES) $(BIN)/pytest -s -p no:cacheprovider \
		tests/lifecycle/test_order_lifecycle_machine.py::test_soak

lint: $(VENV)/.installed-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

fmt: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed
	$(BIN)/python bench/order_intake.py

clean:
	-@test -x $(ORDERLY) && $(ORDERLY) db stop
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
