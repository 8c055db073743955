# The two commands a new user runs: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean

install: $(STAMP)

FRONTEND := src/casegraph/web/frontend

$(STAMP): pyproject.toml requirements.lock $(FRONTEND)/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	# browser libraries (htmx, cytoscape) from the npm registry; pages work without them
	if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix $(FRONTEND) --ignore-scripts --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the web UI runs without its graph library"; fi
	touch $(STAMP)

# PORT=8001 make demo (or make demo PORT=8001) when 8000 is taken; Ctrl-C stops the server.
PORT ?= 8000

demo: $(STAMP)
	$(BIN)/casegraph demo --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

# Regenerate the lock after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^casegraph' > requirements.lock

clean:
	rm -rf $(VENV) casegraph-data demo-output .pytest_cache .mypy_cache .ruff_cache
