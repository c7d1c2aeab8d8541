# Developer experience: the devcontainer (.devcontainer/) and a mock of the API for console work
# (`make mock-api`). Included by the top-level Makefile; see CONTRIBUTING.md and ADR 0025.
#
# Tools: the Dev Containers reference CLI (@devcontainers/cli) and Prism (@stoplight/prism-cli)
# from npm, exactly as scripts/devex/js/package-lock.json pins them (`npm ci`; Node.js from
# Debian when missing); podman and hadolint from `image-tools`.

DEVEX_JS  := scripts/devex/js
MOCK_PORT ?= 4010

.PHONY: devex-tools mock-api devex-test devex-checks

devex-tools: $(DEVEX_JS)/node_modules/.installed ## Install the devcontainer CLI and Prism (npm, pinned)

# Static answers: each is the contract's example (the models' own), so a console pointed at the
# mock signs in with any credentials and shows the same realistic installation every time.
mock-api: devex-tools ## Prism's mock of docs/openapi.json on 127.0.0.1:4010 (MOCK_PORT=...), for `conveyor web` without a database
	@echo "mock-api: the console against it: CONVEYOR_API_URL=http://127.0.0.1:$(MOCK_PORT) CONVEYOR_COOKIE_SECURE=false $(BIN)/conveyor web"
	$(DEVEX_JS)/node_modules/.bin/prism mock --host 127.0.0.1 --port $(MOCK_PORT) docs/openapi.json

# tests/devex: the devcontainer read by the reference CLI (podman as its container CLI, no
# Docker engine) and hadolint; the console rendered against the mock. ~25 s.
devex-test: $(VENV)/.synced $(WEB_ASSETS) devex-tools image-tools ## The devcontainer and API-mock tests (pytest tests/devex)
	CONVEYOR_DEVEX_TESTS=1 $(BIN)/pytest tests/devex --basetemp="$$(mktemp -d)/pytest"

devex-checks: devex-test ## Everything above that CI runs

test: devex-checks

ops-checks: devex-checks
