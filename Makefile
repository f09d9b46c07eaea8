# The README's two commands are `make demo` and `make test`; everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench ui lint format clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[sandbox,dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tajo demo

# One worker per core; `$(BIN)/pytest <path>` runs a part in one process.
test: $(STAMP)
	$(BIN)/pytest -n auto

# The sync benchmark (minutes at 1,000,000 rows); ARGS="--rows 20000" for others.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.sync_bench $(ARGS)

ui: $(STAMP)
	$(BIN)/tajo sandbox run -- $(BIN)/dagster dev -h 127.0.0.1 -p 3000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .tajo_sandbox .pytest_cache .ruff_cache
