"""The GitOps tests: Argo CD, Flux, External Secrets and Argo Rollouts objects applied to a real
control plane (scripts/k8s/controlplane.py) with their CRDs read from the pinned upstream Go
modules (scripts/gitops/upstream.py); SOPS with age; promotion in a temporary git repository; drift.

They need the tools `make tools` builds, so a plain ``pytest`` leaves them out; ``make
gitops-checks`` (part of ``make test``) runs them with CONVEYOR_GITOPS_TESTS=1. A missing tool
fails them: nothing here skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gitops.support import TOOLS_BIN, ControlPlane, controlplane, install_upstream
from tests.support import opt_in_collection

HERE = Path(__file__).resolve().parent
TOOLS = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
    "kwok",
    "sops",
    "age-keygen",
)

pytest_ignore_collect = opt_in_collection(HERE, "CONVEYOR_GITOPS_TESTS")


@pytest.fixture(scope="session", autouse=True)
def tools_built() -> None:
    missing = [name for name in TOOLS if not os.access(TOOLS_BIN / name, os.X_OK)]
    if missing:
        pytest.fail(f"missing in {TOOLS_BIN}: {', '.join(missing)} — run `make tools`", pytrace=False)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """One control plane for the session with the renderings' CRDs (scripts/k8s/crds.py) and the
    GitOps CRDs (scripts/gitops/upstream.py) installed."""
    with controlplane.running(tmp_path_factory.mktemp("controlplane")) as plane:
        controlplane.install_crds(plane)
        install_upstream(plane)
        yield plane
