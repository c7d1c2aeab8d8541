# Container image, Compose stack and their checks. Included by the top-level Makefile.
# Tools (buildah, podman, runc, debootstrap, docker-compose, shellcheck; hadolint and
# cyclonedx-py in a tools venv) are installed by `image-tools` when missing.
# Caches: .cache/image/ (debootstrap tarball, tools venv; self-git-ignored) and the project's
# container storage /var/lib/containers/conveyor-<driver>. See docs/deployment.md.

IMAGE_SCRIPTS := scripts/image
IMAGE_TOOLS   := .cache/image/tools/bin

.PHONY: image image-base image-tools image-test image-checks image-shellcheck hadolint \
	compose-check compose-up compose-down sbom

image-tools: ## Install the container tools when missing (apt + a tools venv)
	@bash $(IMAGE_SCRIPTS)/tools.sh

image-base: image-tools ## Make the Debian bookworm base image locally (debootstrap; cached)
	bash $(IMAGE_SCRIPTS)/base.sh

image: image-tools ## Build the Conveyor image with buildah (BASE_IMAGE=... to use a pulled base)
	bash $(IMAGE_SCRIPTS)/build.sh

hadolint: image-tools ## Lint deploy/docker/Dockerfile (disabled rules: deploy/docker/hadolint.yaml)
	$(IMAGE_TOOLS)/hadolint --config deploy/docker/hadolint.yaml deploy/docker/Dockerfile

image-shellcheck: image-tools ## shellcheck the image and Compose scripts
	shellcheck -x $(IMAGE_SCRIPTS)/*.sh deploy/docker/*.sh

compose-check: image-tools ## Validate deploy/compose/compose.yaml with a real Compose (offline)
	bash $(IMAGE_SCRIPTS)/compose.sh check

compose-up: ## Run the whole platform with Compose (creates deploy/compose/.env once)
	bash $(IMAGE_SCRIPTS)/compose.sh up

compose-down: ## Stop the Compose stack (COMPOSE_DOWN_ARGS=--volumes drops the data)
	bash $(IMAGE_SCRIPTS)/compose.sh down

sbom: image-tools ## CycloneDX SBOM of the image's Python environment -> dist/sbom/
	bash $(IMAGE_SCRIPTS)/sbom.sh

# The tests in tests/deploy build the image, run it with podman against a real PostgreSQL
# and check the Compose file; a plain `pytest` leaves them out (CONVEYOR_DEPLOY_TESTS=1 here).
image-test: $(VENV)/.synced image-tools ## Image smoke test and Compose checks (pytest tests/deploy)
	CONVEYOR_DEPLOY_TESTS=1 $(BIN)/pytest tests/deploy

image-checks: hadolint image-shellcheck compose-check image-test ## Everything above that CI runs

test: image-checks
