# The two commands a newcomer needs (see README.md):
#   make demo   install sprmon in .venv and run it against the built-in simulated WAN
#               (make demo DEMO_ARGS="--keep-running --mqtt 127.0.0.1:1883" for the options)
#   make test   install everything the tests need (Debian packages + pip) and run the whole suite
# .ci/run calls `make test` and nothing else.

PYTHON ?= python3
DEMO_ARGS ?=
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test install system-deps lint typecheck pytest bench clean

$(BIN)/sprmon: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/sprmon

demo: install
	$(BIN)/sprmon demo $(DEMO_ARGS)

system-deps:
	scripts/install-system-deps

lint: install
	$(BIN)/ruff check sprmon tests bench examples scripts/frr-wan
	$(BIN)/ruff format --check sprmon tests bench examples scripts/frr-wan

typecheck: install
	$(BIN)/mypy
	$(BIN)/mypy tests bench

pytest: install
	$(BIN)/pytest

test: system-deps install lint typecheck pytest

bench: install
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_snapshot.py
	$(BIN)/python bench/bench_intent.py
	$(BIN)/python bench/bench_startup.py
	$(BIN)/python bench/bench_snmp.py
	$(BIN)/python bench/bench_lab.py --sites 200
	$(BIN)/python bench/bench_daemon.py --cycles 2
	$(BIN)/python bench/bench_gnmi.py --sites 20 --injections 5

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis *.egg-info
