# Observability as code (issue 12): SLOs -> Sloth rules, cause alerts, Alertmanager, dashboards,
# runbooks, each exercised by the real tool of its field. See docs/observability.md.
# Tools: Sloth, Alertmanager and amtool from `make tools` (tools/sloth, tools/alertmanager);
# promtool/prometheus from Debian and the npm checks (scripts/observability/js) via
# `observability-tools`.

OBS_SCRIPTS := scripts/observability
# The stamps of mk/tools.mk's groups (spelled out: this file is included before tools.mk, so
# its TOOLS_DIR is not set yet when these prerequisites are read).
SLOTH_STAMP := .cache/tools/stamps/sloth
OBS_STAMPS  := $(SLOTH_STAMP) .cache/tools/stamps/alertmanager

.PHONY: slo chart-rules dashboards observability-tools observability-checks observability-up

observability-tools: $(OBS_STAMPS) ## Sloth, Alertmanager, amtool (make tools); promtool, prometheus (apt); npm checks
	@bash $(OBS_SCRIPTS)/tools.sh

slo: $(SLOTH_STAMP) $(VENV)/.synced ## Validate observability/slo/*.yaml, generate observability/prometheus/rules/slo-*.yaml with Sloth, then the chart's copy
	$(BIN)/python -m scripts.observability.slo
	$(BIN)/python -m scripts.observability.chart_rules

# Helm reads no file outside its chart: the chart's PrometheusRule takes its groups from this copy.
chart-rules: $(VENV)/.synced ## Copy observability/prometheus/rules/*.yaml into deploy/helm/conveyor/files/prometheus-rules
	$(BIN)/python -m scripts.observability.chart_rules

dashboards: $(VENV)/.synced ## Generate observability/grafana/dashboards/*.json from the Python builders
	$(BIN)/python -m scripts.observability.dashboards

# The tests in tests/observability run promtool, amtool, Sloth, Node and a live Prometheus and
# Alertmanager; a plain `pytest` leaves them out (CONVEYOR_OBSERVABILITY_TESTS=1 here), and in CI
# a missing tool fails them instead of skipping.
observability-checks: observability-tools $(VENV)/.synced ## Everything above that CI runs (pytest tests/observability)
	CONVEYOR_OBSERVABILITY_TESTS=1 $(BIN)/pytest tests/observability --basetemp="$$(mktemp -d)/pytest"

observability-up: observability-tools $(VENV)/.synced ## Prometheus + Alertmanager on loopback scraping `make up`'s processes
	$(BIN)/python -m scripts.observability.stack

test: observability-checks

ops-checks: observability-checks
