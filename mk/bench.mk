# Benchmarks: never part of `make test`. The peers and the harness's tools live in
# their own environment, bench/.venv, pinned in bench/pyproject.toml and locked in bench/uv.lock;
# Conveyor runs from the project's .venv exactly as locked. PostgreSQL is embedded (pgserver);
# redis-server is installed from Debian's package by the harness when missing (as root).

BENCH_VENV := bench/.venv
BENCH_PY   := $(BENCH_VENV)/bin/python

.PHONY: bench bench-smoke bench-report bench-env

$(BENCH_VENV)/.synced: $(UV) bench/pyproject.toml bench/uv.lock
	$(UV) sync --project bench --frozen --compile-bytecode --quiet
	@touch $@

bench-env: $(VENV)/.synced $(BENCH_VENV)/.synced ## Create the benchmark environment (peers, Locust, matplotlib)

bench: bench-env ## Run the whole comparison (~20 min): bench/results/<date>.json, docs/benchmarks.md + charts
	timeout --foreground 10m $(BIN)/python bench/console_lists.py
	timeout --foreground 5m $(BIN)/python bench/conditional_get.py
	timeout --foreground 10m $(BIN)/python bench/analytics_cache.py
	timeout --foreground 40m $(BENCH_PY) bench/run.py --docs

bench-smoke: bench-env ## A seconds-sized run of every part of the harness (~3 min), results in /tmp
	timeout --foreground 10m $(BENCH_PY) bench/run.py --smoke

bench-report: bench-env ## Regenerate docs/benchmarks.md and charts from the newest bench/results/<date>.json
	$(BENCH_PY) bench/report.py

# A seconds-sized run of every part of the harness, so it cannot rot; any failed measurement
# fails it. Never a performance check: numbers are not compared to anything.
test: bench-smoke
