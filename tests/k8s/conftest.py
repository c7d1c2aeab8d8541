"""The Kubernetes tests: the chart, the overlays and the policies, read by Helm, Kustomize and
gator and applied to a real control plane (etcd, kube-apiserver, controller-manager, scheduler,
kwok nodes) started by scripts/k8s/controlplane.py.

They need the tools `make tools` builds, so a plain ``pytest`` leaves them out; ``make k8s-test``
(part of ``make test``) runs them with CONVEYOR_K8S_TESTS=1, and naming this directory on the
command line runs them too. A missing tool fails them: nothing here skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.k8s.support import TOOLS_BIN, ControlPlane, controlplane, install_policies
from tests.support import opt_in_collection

HERE = Path(__file__).resolve().parent
TOOLS = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
    "kwok",
    "helm",
    "gator",
)


pytest_ignore_collect = opt_in_collection(HERE, "CONVEYOR_K8S_TESTS")


@pytest.fixture(scope="session", autouse=True)
def tools_built() -> None:
    missing = [name for name in TOOLS if not os.access(TOOLS_BIN / name, os.X_OK)]
    if missing:
        pytest.fail(f"missing in {TOOLS_BIN}: {', '.join(missing)} — run `make tools`", pytrace=False)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """One control plane for the session, with the CRDs the renderings use and the admission
    policies of deploy/policies/admission installed."""
    with controlplane.running(tmp_path_factory.mktemp("controlplane")) as plane:
        controlplane.install_crds(plane)
        install_policies(plane)
        yield plane
