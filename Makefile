# Conveyor: the two commands a newcomer needs are `make up` and `make test`.
# Only Python (>= 3.11) and make are required; everything else is installed here.

PYTHON ?= python3
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9
PY_PATHS := src tests scripts $(wildcard bench) $(wildcard chaos) $(wildcard load)

export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never

.PHONY: up dev test test-deps web-assets screenshots lint typecheck suite format docs clean help
.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-16s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The project environment, exactly as locked (bytecode compiled: imports stay fast even where
# PYTHONDONTWRITEBYTECODE is set).
$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --quiet
	@touch $@

# The console's browser assets (HTMX), from the npm registry exactly as its package-lock.json
# pins them, integrity-checked; Python only, no Node.js needed (scripts/web_assets.py, ADR 0300).
WEB := src/conveyor/web
WEB_ASSETS := $(WEB)/node_modules/htmx.org/.integrity
$(WEB_ASSETS): $(WEB)/package-lock.json scripts/web_assets.py
	$(PYTHON) scripts/web_assets.py

# An area's npm tools (scripts/<area>/js: devex, platform), exactly as its package-lock.json pins
# them, no install scripts run; Node.js from Debian when missing (as root; else it says so).
%/node_modules/.installed: %/package.json %/package-lock.json
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; \
	  else echo "Node.js and npm are missing (Debian/Ubuntu: sudo apt-get install nodejs npm)"; exit 1; fi; }
	cd $* && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

web-assets: $(WEB_ASSETS) ## Install the console's browser assets (HTMX) from the npm registry

up: $(VENV)/.synced $(WEB_ASSETS) ## Run the whole platform locally (embedded PostgreSQL in .conveyor/; HTTPS=1: over TLS)
	$(BIN)/conveyor up $(if $(HTTPS),--https)

dev: $(VENV)/.synced $(WEB_ASSETS) ## `make up` that restarts the processes when a source file changes
	$(BIN)/conveyor up --reload

test: lint typecheck suite ## Everything CI runs

# Services the tests start themselves, when the machine lacks the binary (PgBouncer: the engine's
# crash and exactly-once tests also run through it in transaction pooling mode).
# Chromium is the browser the console's end-to-end tests drive (Playwright never downloads one).
test-deps: ## Install system packages the tests need (redis-server, pgbouncer, chromium) when missing
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	[ -x /usr/sbin/pgbouncer ] || missing="$$missing pgbouncer"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -z "$$missing" ] || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "missing:$$missing — install them (Debian/Ubuntu: sudo apt-get install$$missing)"; exit 1; fi; }

# A private base temp dir: the embedded PostgreSQL lives there, and pytest's default
# (/tmp/pytest-of-$USER/pytest-N) is pruned by any other pytest run on the machine.
suite: $(VENV)/.synced test-deps $(WEB_ASSETS) ## The whole pytest suite: unit, integration, end-to-end (real PostgreSQL, Redis, processes and Chromium)
	$(BIN)/pytest --basetemp="$$(mktemp -d)/pytest"

lint: $(VENV)/.synced ## ruff lint and format check
	$(BIN)/ruff check $(PY_PATHS)
	$(BIN)/ruff format --check $(PY_PATHS)

typecheck: $(VENV)/.synced ## mypy --strict on the package and the tests
	$(BIN)/mypy

format: $(VENV)/.synced ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff format $(PY_PATHS)
	$(BIN)/ruff check --fix $(PY_PATHS)

screenshots: $(VENV)/.synced test-deps $(WEB_ASSETS) ## Console screenshots (light/dark, desktop/phone) into docs/screenshots/
	$(BIN)/python scripts/screenshots.py

docs: $(VENV)/.synced ## Regenerate docs/openapi.json from the code
	$(BIN)/python scripts/export_openapi.py

clean: ## Remove environments and caches (keeps .conveyor/ data)
	rm -rf $(TOOLS) $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Feature areas add their targets in mk/*.mk (image, compose, bench, ...).
-include mk/*.mk
