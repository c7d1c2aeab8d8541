"""The Kubernetes tests: the chart, the overlays and the policies, read by Helm, Kustomize and
gator and applied to a real control plane (etcd, kube-apiserver, controller-manager, scheduler,
kwok nodes) started by scripts/k8s/controlplane.py.

They need the tools `make tools` builds, so a plain ``pytest`` leaves them out; ``make k8s-test``
(part of ``make test``) runs them with CONVEYOR_K8S_TESTS=1, and naming this directory on the
command line runs them too. A missing tool fails them: nothing here skips.
"""

from __future__ import annotations

from pathlib import Path

from tests.k8s import fixtures
from tests.k8s.support import install_policies
from tests.support import opt_in_collection

HERE = Path(__file__).resolve().parent

pytest_ignore_collect = opt_in_collection(HERE, "CONVEYOR_K8S_TESTS")

tools_built = fixtures.tools_built("helm", "gator")
# One control plane for the session, with the admission policies of deploy/policies/admission.
cluster = fixtures.cluster(install_policies)
