# Observability as code: SLOs -> Sloth rules, cause alerts, Alertmanager, dashboards,
# runbooks, each exercised by the real tool of its field. See docs/observability.md.
# Tools: Sloth, Alertmanager and amtool, Jaeger, VictoriaLogs and the OpenTelemetry Collector
# Builder from `make tools` (tools/sloth, tools/alertmanager, tools/jaeger, tools/victorialogs,
# tools/otelcol), and the collector ocb builds from its manifest (below, also part of `make
# tools`); promtool/prometheus from Debian and the npm checks (scripts/observability/js) via
# `observability-tools`.

OBS_SCRIPTS := scripts/observability
# The stamps of mk/tools.mk's groups (spelled out: this file is included before tools.mk, so
# its TOOLS_DIR is not set yet when these prerequisites are read).
SLOTH_STAMP := .cache/tools/stamps/sloth
OTELCOL_MANIFEST := observability/otel-collector/builder-config.yaml
OTELCOL_STAMP    := .cache/tools/stamps/otelcol-conveyor
OBS_STAMPS  := $(SLOTH_STAMP) .cache/tools/stamps/alertmanager .cache/tools/stamps/jaeger \
	.cache/tools/stamps/victorialogs $(OTELCOL_STAMP)

# The collector: ocb (tools/otelcol, the builder of the same release) generates a Go module with
# the manifest's components in .cache/tools/build/otelcol-conveyor, resolves it and compiles it;
# rebuilt when the manifest or the builder changes. ADR 0502.
tools: $(OTELCOL_STAMP)

$(OTELCOL_STAMP): $(OTELCOL_MANIFEST) .cache/tools/stamps/otelcol
	@mkdir -p .cache/tools/build .cache/tools/bin $(@D)
	@echo "tools: building otelcol-conveyor ($(OTELCOL_MANIFEST), log .cache/tools/build/otelcol-conveyor.log)"
	@start=$$(date +%s); \
	.cache/tools/bin/builder --config $(OTELCOL_MANIFEST) --ldflags "-s -w" \
	  >.cache/tools/build/otelcol-conveyor.log 2>&1 || { tail -n 40 .cache/tools/build/otelcol-conveyor.log; exit 1; }; \
	cp .cache/tools/build/otelcol-conveyor/otelcol-conveyor .cache/tools/bin/otelcol-conveyor && \
	echo "tools: otelcol-conveyor built in $$(( $$(date +%s) - start )) s"
	@touch $@

.PHONY: slo chart-rules dashboards observability-tools observability-checks observability-up

observability-tools: $(OBS_STAMPS) ## Sloth, Alertmanager, amtool, Jaeger, VictoriaLogs, the collector (make tools); promtool, prometheus (apt); npm checks
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

observability-up: observability-tools $(VENV)/.synced ## Prometheus, Alertmanager, the collector, Jaeger, VictoriaLogs on loopback for `make up`'s processes
	$(BIN)/python -m scripts.observability.stack

test: observability-checks

ops-checks: observability-checks
