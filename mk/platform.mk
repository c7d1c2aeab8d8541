# Security program and platform engineering: control mappings and the evidence they
# cite, the Backstage catalog, the golden-path template, the docs site. Included by the
# top-level Makefile; see docs/platform.md and docs/security/.
#
# Tools: MkDocs, Material, neoteroi-mkdocs and Copier in their own locked environment
# (scripts/platform/tools/uv.lock → .cache/platform/venv); @backstage/catalog-model from npm
# (scripts/platform/js/package-lock.json, `npm ci`; Node.js from Debian when missing).

PLATFORM       := scripts/platform
PLATFORM_VENV  := .cache/platform/venv
PBIN           := $(PLATFORM_VENV)/bin
PLATFORM_JS    := $(PLATFORM)/js

.PHONY: controls platform-tools docs-site catalog-check platform-test platform-checks

$(PBIN)/.synced: $(UV) $(PLATFORM)/tools/pyproject.toml $(PLATFORM)/tools/uv.lock
	UV_PROJECT_ENVIRONMENT=$(abspath $(PLATFORM_VENV)) $(UV) sync --project $(PLATFORM)/tools \
	  --frozen --quiet
	@touch $@

platform-tools: $(VENV)/.synced $(PBIN)/.synced $(PLATFORM_JS)/node_modules/.installed ## Install the docs-site, template and catalog tools

controls: $(VENV)/.synced ## Regenerate docs/security/controls.md from controls.yaml
	$(BIN)/python -m scripts.security.controls

docs-site: platform-tools ## Build the docs site (MkDocs Material, --strict) into .cache/site
	NO_MKDOCS_2_WARNING=1 $(PBIN)/mkdocs build --strict --quiet --site-dir .cache/site
	@echo "docs site: .cache/site/index.html"

catalog-check: platform-tools ## Validate catalog-info.yaml with @backstage/catalog-model
	node $(PLATFORM_JS)/validate-catalog.mjs catalog-info.yaml

# tests/platform run MkDocs, Copier, Node, Helm and a real Conveyor; a plain `pytest` leaves them out.
# helm and kubectl (make tools) render the chart and the overlays for the cost-allocation labels
# (spelled out: tools.mk is included after this file); hadolint (image-tools) lints the
# Dockerfile the template renders.
platform-test: platform-tools image-tools .cache/tools/stamps/helm .cache/tools/stamps/kubernetes ## Catalog validation, the template rendered and its tests run, the docs site built
	CONVEYOR_PLATFORM_TESTS=1 $(BIN)/pytest tests/platform --basetemp="$$(mktemp -d)/pytest"

platform-checks: platform-test ## Everything above that CI runs

test: platform-checks

ops-checks: platform-checks
