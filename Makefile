# openwer — developer entry points. Every target creates .venv when it is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck unit soak bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the package metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[server,postgres,s3,dev]'
	touch $(STAMP)

.PHONY: system-deps
system-deps:
	@bash scripts/install-system-deps.sh

## run: set up and start the main job (see README: "What make run does").
run: $(STAMP)
	@bash scripts/run.sh

## test: set up, then lint, type-check, check import layers and run every test.
test: $(STAMP) system-deps lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	@bash scripts/install-s3rver.sh >/dev/null || echo "note: s3rver could not be installed; its tests will skip" >&2
	$(BIN)/pytest -q -p no:cacheprovider --cov --cov-report=term:skip-covered --cov-fail-under=90

## soak: the long torture runs (200 kill rounds and more).
soak: $(STAMP)
	OPENWER_SOAK_ROUNDS=200 $(BIN)/pytest -q -p no:cacheprovider -m soak -o addopts="" tests

## bench: run every benchmark and print the figures (installs wrk first).
# OPENWER_BENCH_SECONDS=5 shortens the HTTP benchmarks (bench_stage1, bench_bundle; default 30).
bench: $(STAMP)
	@bash scripts/install-bench-deps.sh
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage .coverage.* htmlcov
