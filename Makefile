# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format schema bench explore-money fuzz chaos

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

# The money model at length, by hand (CI runs a bounded few): new random examples each run,
# failures kept in .hypothesis/ and replayed first next time. PAYABLE_MODEL_STRICT=1 also
# enforces what main cannot satisfy yet; PAYABLE_MODEL_IGNORE=a,b sets known ones aside.
explore-money: $(STAMP)
	PAYABLE_MODEL_EXAMPLES=$${PAYABLE_MODEL_EXAMPLES:-500} \
	PAYABLE_MODEL_STEPS=$${PAYABLE_MODEL_STEPS:-50} \
	$(BIN)/pytest -q -x tests/money/test_money_model.py

# Every query and mutation fuzzed at length (CI runs a bounded, fixed few): new random documents
# each run; prints how many requests were sent and how many were server errors.
fuzz: $(STAMP)
	PAYABLE_FUZZ_EXAMPLES=$${PAYABLE_FUZZ_EXAMPLES:-10000} bash -o pipefail -c \
	  "$(BIN)/pytest -q -s -p no:randomly tests/api_layer/test_fuzz.py | grep -v '\[info'"

# Load on a real `payable serve` and PostgreSQL while the server is killed (SIGKILL) and the
# database crashed in turn; then no acknowledged write may be missing and no money moved twice.
# A few minutes; CHAOS_ARGS="--seconds 300 --every 10" for longer.
chaos: $(STAMP)
	$(BIN)/python bench/chaos.py $(CHAOS_ARGS)
