"""The GitOps tests: Argo CD, Flux, External Secrets and Argo Rollouts objects applied to a real
control plane (scripts/k8s/controlplane.py) with their CRDs read from the pinned upstream Go
modules (scripts/gitops/upstream.py); SOPS with age; promotion in a temporary git repository; drift.

They need the tools `make tools` builds, so a plain ``pytest`` leaves them out; ``make
gitops-checks`` (part of ``make test``) runs them with CONVEYOR_GITOPS_TESTS=1. A missing tool
fails them: nothing here skips.
"""

from __future__ import annotations

from pathlib import Path

from tests.gitops.support import install_upstream
from tests.k8s import fixtures
from tests.support import opt_in_collection

HERE = Path(__file__).resolve().parent

pytest_ignore_collect = opt_in_collection(HERE, "CONVEYOR_GITOPS_TESTS")

tools_built = fixtures.tools_built("sops", "age-keygen")
# One control plane for the session with the GitOps CRDs (scripts/gitops/upstream.py) too.
cluster = fixtures.cluster(install_upstream)
