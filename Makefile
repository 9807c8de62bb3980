# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format schema bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/payable serve --demo

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench migrations
	$(BIN)/ruff format src tests bench migrations

schema: $(STAMP)
	$(BIN)/payable export-schema --output schema.graphql

bench: $(STAMP)
	$(BIN)/python bench/bookings_list.py
