# Kubernetes: the chart, the Kustomize overlays and the admission policies, checked by
# Helm, Kustomize (kubectl's), gator and a local control plane. Included by the top-level Makefile.
# The tools come from `make tools` (tools/kubernetes, tools/kwok, tools/helm, tools/gator).
# See docs/kubernetes.md.

K8S_SCRIPTS := scripts/k8s
K8S_DIR     := .cache/k8s

.PHONY: k8s-up k8s-down k8s-render k8s-test k8s-shellcheck k8s-checks kind-up kind-down

k8s-up: $(VENV)/.synced tools ## Start a local control plane (etcd, apiserver, controllers, kwok nodes) in .cache/k8s
	$(BIN)/python $(K8S_SCRIPTS)/controlplane.py up --dir $(K8S_DIR)

k8s-down: $(VENV)/.synced ## Stop the local control plane (nothing left running or listening)
	$(BIN)/python $(K8S_SCRIPTS)/controlplane.py down --dir $(K8S_DIR)

k8s-render: $(VENV)/.synced tools ## Regenerate what comes from the chart: Kustomize base/components, the chart README table
	$(BIN)/python $(K8S_SCRIPTS)/kustomize_base.py
	$(BIN)/python $(K8S_SCRIPTS)/chart_readme.py

# tests/k8s fail (never skip) when a tool is missing; a plain `pytest` leaves them out.
k8s-test: $(VENV)/.synced tools ## Chart, overlays and policies against Helm, Kustomize, gator and a local control plane
	CONVEYOR_K8S_TESTS=1 $(BIN)/pytest tests/k8s --basetemp="$$(mktemp -d)/pytest"

k8s-shellcheck: image-tools ## shellcheck the kind scripts
	shellcheck -x $(K8S_SCRIPTS)/*.sh

kind-up: ## A kind cluster with the image loaded, the chart installed and a smoke job run (needs Docker)
	bash $(K8S_SCRIPTS)/kind.sh up

kind-down: ## Delete the kind cluster
	bash $(K8S_SCRIPTS)/kind.sh down

k8s-checks: k8s-shellcheck k8s-test ## Everything above that CI runs

test: k8s-checks

ops-checks: k8s-checks
