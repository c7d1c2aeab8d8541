# Delivery: the GitHub workflows' checks offline, the security scanners, the
# supply-chain round trip (registry -> sign -> attest -> verify), pre-commit and DORA.
# Included by the top-level Makefile; see docs/delivery.md.
#
# Tools: Go-built ones come from `make tools` (tools/{actionlint,gitleaks,cosign,registry});
# the Python scanners live in their own locked environment (scripts/delivery/tools/uv.lock)
# at .cache/delivery/venv; shellcheck is Debian's (installed when missing, as root).

DELIVERY       := scripts/delivery
DELIVERY_VENV  := .cache/delivery/venv
DBIN           := $(DELIVERY_VENV)/bin
GO_TOOLS       := .cache/tools/bin
WORKFLOWS      := .github/workflows

.PHONY: delivery-tools shellcheck-tool security actionlint zizmor dependabot-check workflow-lint \
	bandit secrets config-scan licences delivery-test sign verify image-sbom \
	pre-commit dora promote smoke-test release-notes chart-package coverage ops-checks

$(DBIN)/.synced: $(UV) $(DELIVERY)/tools/pyproject.toml $(DELIVERY)/tools/uv.lock
	UV_PROJECT_ENVIRONMENT=$(abspath $(DELIVERY_VENV)) $(UV) sync --project $(DELIVERY)/tools \
	  --frozen --quiet
	@touch $@

shellcheck-tool:
	@command -v shellcheck >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null; \
	  else echo "shellcheck is missing (Debian/Ubuntu: sudo apt-get install shellcheck)"; exit 1; fi; }

delivery-tools: $(VENV)/.synced $(DBIN)/.synced tools shellcheck-tool ## Install the delivery checks' tools (Go, Python venv, shellcheck)

# ---- make security: every scanner, offline; any finding fails ----------------------------------

# actionlint runs shellcheck on every run: script; without shellcheck it would skip that silently.
actionlint: delivery-tools ## actionlint (+ shellcheck) on the workflows
	$(GO_TOOLS)/actionlint -shellcheck "$$(command -v shellcheck)"

zizmor: delivery-tools ## zizmor (offline audits) on the workflows and dependabot.yml
	$(DBIN)/zizmor --offline --no-progress --persona auditor --config .github/zizmor.yml .github/

dependabot-check: delivery-tools ## .github/dependabot.yml against Dependabot's schema
	$(DBIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml

workflow-lint: $(VENV)/.synced ## SHA pins, permissions, no injection in run:, make targets exist
	$(BIN)/python $(DELIVERY)/workflow_lint.py $(WORKFLOWS)

bandit: delivery-tools ## bandit (SAST) on src/: zero findings (skips: scripts/delivery/bandit.yaml)
	$(DBIN)/bandit -c $(DELIVERY)/bandit.yaml -r src -q

# The whole history (every commit) and the working tree (tracked and untracked files).
secrets: delivery-tools ## gitleaks over the git history and the working tree
	$(GO_TOOLS)/gitleaks git --config .gitleaks.toml --redact --no-banner --log-level warn .
	$(GO_TOOLS)/gitleaks dir --config .gitleaks.toml --redact --no-banner --log-level warn .

config-scan: delivery-tools ## Trivy and checkov configuration scans (skips: scripts/delivery/checkov.yaml)
	bash $(DELIVERY)/config_scan.sh

licences: delivery-tools ## Licences of the locked Python dependencies against the allow-list
	$(BIN)/python $(DELIVERY)/licences.py --pip-licenses $(DBIN)/pip-licenses --python $(BIN)/python

security: actionlint zizmor dependabot-check workflow-lint bandit secrets config-scan licences ## Every security check above

# ---- supply chain: a local registry, cosign, SBOM and SLSA provenance ---------------------------

SUPPLY_CHAIN := $(BIN)/python $(DELIVERY)/supply_chain.py

sign: delivery-tools image-tools ## Push `make image` to a loopback registry, sign it, attach SBOM + SLSA provenance
	$(SUPPLY_CHAIN) sign

verify: delivery-tools ## Verify the signature and attestations of what `make sign` published
	$(SUPPLY_CHAIN) verify

# SBOM of an image with syft: SBOM_SOURCE is anything syft reads (docker:, registry:, oci-dir:).
SBOM_SOURCE ?= docker:conveyor:scan
SBOM_OUT    ?= dist/sbom/conveyor.spdx.json
image-sbom: $(DBIN)/.synced ## SPDX SBOM of an image with syft (SBOM_SOURCE=..., SBOM_OUT=...)
	@mkdir -p $(dir $(SBOM_OUT))
	$(DBIN)/syft scan "$(SBOM_SOURCE)" -o "spdx-json=$(SBOM_OUT)"

# ---- tests: fixtures for every rule, the supply-chain round trip, pre-commit, DORA --------------

delivery-test: $(VENV)/.synced delivery-tools image-tools ## pytest tests/delivery (needs root for the image steps)
	CONVEYOR_DELIVERY_TESTS=1 $(BIN)/pytest tests/delivery --basetemp="$$(mktemp -d)/pytest"

pre-commit: delivery-tools image-tools ## Run every pre-commit hook on every file (offline: local hooks)
	PATH="$(abspath $(BIN)):$(abspath $(GO_TOOLS)):$(abspath $(DBIN)):$(abspath $(IMAGE_TOOLS)):$$PATH" \
	  $(DBIN)/pre-commit run --all-files --show-diff-on-failure --color never

# ---- delivery steps the workflows run ----------------------------------------------------------

dora: $(VENV)/.synced ## DORA metrics from git history + deployment records (DEPLOYMENTS=file.json)
	$(BIN)/python $(DELIVERY)/dora.py --repo . --deployments "$(DEPLOYMENTS)"

promote: $(VENV)/.synced ## Set ENV's overlay to DIGEST and commit it (prints the previous digest)
	@$(BIN)/python $(DELIVERY)/promote.py --environment "$(ENV)" --digest "$(DIGEST)" --commit

smoke-test: $(VENV)/.synced ## Smoke-test a deployment (CONVEYOR_SMOKE_URL, CONVEYOR_SMOKE_API_KEY)
	$(BIN)/python $(DELIVERY)/smoke.py

release-notes: ## dist/release/notes.md: the changelog from the previous tag to TAG
	@mkdir -p dist/release
	$(PYTHON) $(DELIVERY)/changelog.py --tag "$(TAG)" --output dist/release/notes.md

chart-package: ## Package deploy/helm/conveyor at TAG's version into dist/release/ (helm)
	bash $(DELIVERY)/chart_package.sh "$(TAG)"

coverage: $(VENV)/.synced test-deps $(WEB_ASSETS) ## The pytest suite under coverage; fails under 85 % of src/
	bash $(DELIVERY)/coverage.sh

# The operations checks CI runs in one job; other areas add theirs with `ops-checks: <target>`.
ops-checks: image-checks delivery-test

test: security delivery-test
