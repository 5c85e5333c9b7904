# Plain task runner. `make demo` and `make test` are the README's two set-up commands.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1:8000

.PHONY: demo serve install test lint format check ci benchmark screenshots bench bench-scale

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## A development .env (DEBUG=true), so `.venv/bin/python manage.py ...` runs as written.
## Never overwritten; production sets real values in the environment (.env.example).
.env:
	printf '%s\n' \
	  '# Written by `make demo` for development on this machine (config/env.py reads it).' \
	  '# Production: delete this file and set the variables of .env.example instead.' \
	  'DEBUG=true' > $@
	@echo "Wrote .env (DEBUG=true) for development."

## Install, migrate the embedded SQLite database, load the demo, serve on http://$(HOST)
demo: install .env
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py generate_events --count 20000 --days 30 --top-up --no-progress
	$(BIN)/python manage.py demo_conversations
	$(BIN)/python manage.py runserver $(HOST)

## Serve again without reloading the demo data
serve: install .env
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py runserver $(HOST)

## The whole test suite (SQLite and local cache unless DATABASE_URL / REDIS_URL are set) on
## WORKERS processes (pytest-xdist: one per CPU by default). COVERAGE=1 also measures
## coverage (coverage.py) and prints the table of files not fully covered (CI does).
## Bytecode is cached even where the environment says PYTHONDONTWRITEBYTECODE (this machine
## does): every worker and every server a test starts would otherwise compile the project and
## rewrite the tests' asserts from source again.
WORKERS ?= auto
COVERAGE ?=
test: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(WORKERS) --dist loadgroup $(if $(COVERAGE),--cov --cov-report=term:skip-covered)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

## 1280 px and 390 px screenshots of the pages into docs/images/ (Chromium). Only here are
## pictures written: `make test` runs the same tests' checks without them.
screenshots: install
	SCREENSHOTS_DIR=docs/images $(BIN)/pytest -q -p no:cacheprovider tests/browser/test_screenshots_*.py

benchmark: install
	$(BIN)/python scripts/benchmark.py

## Token endpoint vs its floor, the signature and the Node peer under wrk (docs/benchmarks.md)
bench: install
	$(BIN)/python scripts/bench.py

## The token endpoint with 1 vs 1,000,000 customers and 1 vs 100 brands x 50 keys
bench-scale: install
	$(BIN)/python scripts/bench.py scale

ci:
	bash .ci/run
