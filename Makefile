# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test browser vendor-widget lint format schema bench bench-peers explore-money fuzz chaos

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/payable serve --demo

test: $(STAMP) browser
	$(BIN)/pytest -q

# The widget's browser test drives Debian's chromium (through playwright, no browser download).
# Installed here when missing and apt-get can run (as root); otherwise that one test skips,
# unless PAYABLE_REQUIRE_BROWSER is set (CI), where it fails.
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for the widget's browser test (log: .artifacts/apt.log)"; \
	    mkdir -p .artifacts; \
	    { export DEBIAN_FRONTEND=noninteractive; \
	      apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; } \
	      >.artifacts/apt.log 2>&1 || echo "chromium could not be installed: see .artifacts/apt.log"; \
	  else echo "chromium is missing and cannot be installed here: the browser test will skip"; fi; }

# graphql-ws's browser build for the widget, fetched again from npm and checked by its hashes.
vendor-widget:
	$(PYTHON) scripts/vendor_graphql_ws.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench migrations scripts
	$(BIN)/ruff format --check src tests bench migrations scripts

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench migrations scripts
	$(BIN)/ruff format src tests bench migrations scripts

schema: $(STAMP)
	$(BIN)/payable export-schema --output schema.graphql

bench: $(STAMP)
	$(BIN)/python bench/bookings_list.py

# payable beside PostGraphile 4 and a raw asyncpg endpoint on one database (needs node and npm;
# wrk is used when installed). Options: make bench-peers ARGS="--rounds 5 --duration 15"
bench-peers: $(STAMP)
	$(BIN)/python bench/side_by_side.py $(ARGS)

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
