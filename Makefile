# regclust: `make run` sets up .venv from the lock file and rebuilds every table with DVC;
# `make test` runs the whole test suite (unit, end to end, notebooks) after the same set-up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export DVC_NO_ANALYTICS := 1
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup run test lint format bench lock clean help

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "regclust needs Python 3.11 or newer: set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip sync --python $(BIN)/python --compile-bytecode --quiet requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --no-deps --quiet -e .
	touch $@

setup: $(BIN)/.installed  ## create .venv with the locked dependencies

run: setup  ## set up, then rebuild every published table (dvc repro)
	$(BIN)/dvc repro

test: run  ## set up, build the tables the notebooks read, run the whole test suite
	$(BIN)/python -m pytest --nbmake tests pipeline notebooks

lint: setup  ## ruff lint and format check
	$(BIN)/ruff check . && $(BIN)/ruff format --check pipeline tests benchmarks scripts

format: setup
	$(BIN)/ruff format pipeline tests benchmarks scripts && $(BIN)/ruff check --fix .

bench: setup  ## benchmarks (see benchmarks/README.md)
	$(BIN)/python benchmarks/run.py

lock:  ## refresh requirements.lock from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:  ## remove built tables (the DVC cache keeps them for a fast rebuild)
	rm -rf data/processed data/interim
