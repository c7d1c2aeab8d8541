# Reliability drills: backups and PITR with pgBackRest, replica failover, the DR drill
# with measured RPO/RTO, chaos experiments (Chaos Toolkit) and load tests held to the SLOs
# (Locust). Included by the top-level Makefile; see docs/dr/README.md, docs/chaos.md, load/.
# Tools: Debian's PostgreSQL 15, pgBackRest and nftables (`drills-tools`, as root when missing);
# Chaos Toolkit and Locust from the project's `drills` dependency group (uv.lock).

DR_SCRIPTS := scripts/dr

.PHONY: drills-tools dr-drill chaos load drills-checks

drills-tools: ## Install PostgreSQL 15, pgBackRest and nftables from Debian when missing
	@missing=""; \
	[ -x /usr/lib/postgresql/15/bin/initdb ] || missing="$$missing postgresql-15"; \
	command -v pgbackrest >/dev/null || missing="$$missing pgbackrest"; \
	command -v nft >/dev/null || missing="$$missing nftables"; \
	[ -z "$$missing" ] || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "missing:$$missing — install them (Debian/Ubuntu: sudo apt-get install$$missing)"; exit 1; fi; }

# The full drill: every scenario at production settings (archive_timeout 30 s, default leases);
# records docs/dr/drills/<date>.json and the table in docs/dr/README.md. ~6 min.
dr-drill: $(VENV)/.synced drills-tools ## DR drill: primary lost (restore, promote async/sync), operator error (PITR); prints RPO/RTO
	timeout --foreground 20m $(BIN)/python -m scripts.dr.drill --record

chaos: $(VENV)/.synced drills-tools test-deps observability-tools ## Every chaos experiment (Chaos Toolkit), table in docs/chaos.md
	timeout --foreground 20m $(BIN)/python -m chaos.run --record

load: $(VENV)/.synced drills-tools ## Locust scenarios smoke/load/stress/spike/soak with SLO thresholds; results in docs/benchmarks.md
	timeout --foreground 30m $(BIN)/python -m load.run --record

# In make test: the short drill (restore, promote, PITR), the worker-SIGKILL, disk-full and
# worker-partitioned (network namespace) experiments end to end and the Locust smoke run; a missing tool fails them (never skips).
drills-checks: $(VENV)/.synced drills-tools observability-tools ## The drills' tests (pytest tests/drills)
	$(BIN)/mypy --strict --ignore-missing-imports --follow-imports=silent --explicit-package-bases \
	  -p scripts.dr -p chaos -p load
	CONVEYOR_DRILLS_TESTS=1 $(BIN)/pytest tests/drills --basetemp="$$(mktemp -d)/pytest"

test: drills-checks

ops-checks: drills-checks
