"""The session fixtures every suite on a real control plane shares (tests/k8s, tests/gitops):
the tools it needs must be built, and one control plane runs for the session with the
renderings' CRDs plus whatever the suite installs on top. Each conftest names its tools and
its installers; the starting, CRDs and teardown are written once, here."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.k8s.support import TOOLS_BIN, ControlPlane, controlplane

# What the control plane itself runs on (scripts/k8s/controlplane.py).
CONTROL_PLANE_TOOLS = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
    "kwok",
)


def tools_built(*extra: str) -> Any:
    """An autouse session fixture failing (never skipping) the suite when a tool is missing."""
    tools = CONTROL_PLANE_TOOLS + extra

    @pytest.fixture(scope="session", autouse=True)
    def tools_built() -> None:
        missing = [name for name in tools if not os.access(TOOLS_BIN / name, os.X_OK)]
        if missing:
            pytest.fail(f"missing in {TOOLS_BIN}: {', '.join(missing)} — run `make tools`", pytrace=False)

    return tools_built


def cluster(*install: Callable[[ControlPlane], None]) -> Any:
    """The session's ``cluster`` fixture: one control plane with the renderings' CRDs
    (scripts/k8s/crds.py), then each of ``install`` applied in order."""

    @pytest.fixture(scope="session")
    def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
        with controlplane.running(tmp_path_factory.mktemp("controlplane")) as plane:
            controlplane.install_crds(plane)
            for step in install:
                step(plane)
            yield plane

    return cluster
