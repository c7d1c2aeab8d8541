# GitOps and progressive delivery: Argo CD and Flux objects over the Kustomize
# overlays, External Secrets, SOPS, promotion, drift and Argo Rollouts, checked against a local
# control plane with the upstream CRDs (scripts/gitops/upstream.py). Included by the Makefile.
# Tools: `make tools` (tools/sops, tools/rollouts, and the Kubernetes ones). See docs/gitops.md.

GITOPS_SCRIPTS := scripts/gitops
GITOPS_BASE    ?= HEAD
ENV            ?=

.PHONY: gitops-crds gitops-check gitops-test gitops-checks drift health-record

gitops-crds: $(VENV)/.synced tools ## Install the Argo CD, Rollouts, Flux and External Secrets CRDs into `make k8s-up`'s cluster
	$(BIN)/python $(GITOPS_SCRIPTS)/upstream.py install --kubeconfig $(K8S_DIR)/admin.kubeconfig

# No Go tool needed (the deploy workflow runs it): with SOPS files in the tree, sops from
# `make tools` is, and its absence is a finding, not a skip.
gitops-check: $(VENV)/.synced ## The GitOps rules (digest in prod, Applications in the project, SOPS, promotion order since GITOPS_BASE)
	$(BIN)/python $(GITOPS_SCRIPTS)/check.py --base "$(GITOPS_BASE)"

# tests/gitops fail (never skip) when a tool is missing; a plain `pytest` leaves them out.
gitops-test: $(VENV)/.synced tools observability-tools ## Argo CD, Flux, External Secrets, SOPS, promotion, drift and Rollouts tests
	CONVEYOR_GITOPS_TESTS=1 $(BIN)/pytest tests/gitops --basetemp="$$(mktemp -d)/pytest"

health-record: $(VENV)/.synced ## Record that ENV runs DIGEST healthy (deploy/gitops/health.yaml), one commit
	$(BIN)/python scripts/promote record "$(ENV)" "$(DIGEST)"

drift: $(VENV)/.synced tools ## What differs between `make k8s-up`'s cluster and git (ENV=dev|stage|prod, default all); non-zero on drift
	$(BIN)/python $(GITOPS_SCRIPTS)/drift.py --kubeconfig $(K8S_DIR)/admin.kubeconfig $(ENV)

gitops-checks: gitops-check gitops-test ## Everything above that CI runs

test: gitops-checks

ops-checks: gitops-checks
