"""The CustomResourceDefinitions of the GitOps objects (Argo CD, Argo Rollouts, Flux, External
Secrets Operator), read from their projects' own Go modules at the versions pinned here
(downloaded and checksum-verified by `go mod download`, like scripts/k8s/crds.py), never
copied into this repository. The versions are the newest each project serves that Go 1.26
accepts (ADR 0700).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "k8s"))
from crds import module_dir

ARGO_CD = "github.com/argoproj/argo-cd/v3@v3.5.8"
ARGO_ROLLOUTS = "github.com/argoproj/argo-rollouts@v1.10.1"
FLUX_SOURCE = "github.com/fluxcd/source-controller@v1.8.5"
FLUX_KUSTOMIZE = "github.com/fluxcd/kustomize-controller@v1.7.3"
EXTERNAL_SECRETS = "github.com/external-secrets/external-secrets@v0.16.2"

# module@version -> the CRD files inside it
CRD_SOURCES: dict[str, tuple[str, ...]] = {
    ARGO_CD: (
        "manifests/crds/application-crd.yaml",
        "manifests/crds/applicationset-crd.yaml",
        "manifests/crds/appproject-crd.yaml",
    ),
    ARGO_ROLLOUTS: (
        "manifests/crds/rollout-crd.yaml",
        "manifests/crds/analysis-template-crd.yaml",
        "manifests/crds/cluster-analysis-template-crd.yaml",
        "manifests/crds/analysis-run-crd.yaml",
        "manifests/crds/experiment-crd.yaml",
    ),
    FLUX_SOURCE: ("config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml",),
    FLUX_KUSTOMIZE: ("config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml",),
    EXTERNAL_SECRETS: (
        "config/crds/bases/external-secrets.io_clustersecretstores.yaml",
        "config/crds/bases/external-secrets.io_externalsecrets.yaml",
    ),
}


def version_of(module_at_version: str) -> str:
    return module_at_version.rsplit("@", 1)[1]


def module_file(module_at_version: str, path: str) -> Path:
    return module_dir(module_at_version) / path


def crd_files() -> list[Path]:
    return [module_file(module, path) for module, paths in CRD_SOURCES.items() for path in paths]


def install(kubeconfig: Path) -> None:
    """Install the CRDs into a running cluster (`make gitops-crds`, after `make k8s-up`)."""
    kubectl = [
        str(Path(__file__).resolve().parents[2] / ".cache/tools/bin/kubectl"),
        "--kubeconfig",
        str(kubeconfig),
    ]
    for crd in crd_files():
        subprocess.run([*kubectl, "apply", "--server-side", "-f", str(crd)], check=True)
    subprocess.run(
        [*kubectl, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"], check=True
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("install", "list"))
    parser.add_argument("--kubeconfig", type=Path, default=Path(".cache/k8s/admin.kubeconfig"))
    args = parser.parse_args()
    if args.command == "list":
        print("\n".join(str(path) for path in crd_files()))
    else:
        install(args.kubeconfig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
