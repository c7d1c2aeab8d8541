"""The CustomResourceDefinitions of the GitOps objects (Argo CD, Argo Rollouts, Flux, External
Secrets Operator), read from their projects' own Go modules at the versions pinned here
(downloaded and checksum-verified by `go mod download`, like scripts/k8s/crds.py), never
copied into this repository. The versions are the newest each project serves that Go 1.26
accepts (ADR 0700).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "k8s"))
from crds import CrdError, module_dir

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


# Flux's image automation publishes its CRDs only as release assets, and the proxy refuses its
# controllers' root modules (403): the CRDs are generated from the pinned api modules by
# controller-gen (tools/controller-gen), as those projects generate them (ADR 0700).
GENERATED_SOURCES: dict[str, str] = {
    "github.com/fluxcd/image-reflector-controller/api@v0.35.2": "v1beta2",
    "github.com/fluxcd/image-automation-controller/api@v0.41.2": "v1beta2",
}
REPO = Path(__file__).resolve().parents[2]
TOOLS_BIN = REPO / ".cache" / "tools" / "bin"
GENERATED_DIR = REPO / ".cache" / "gitops" / "crds"


def generated_crd_files() -> list[Path]:
    """The generated CRDs, made once per pinned set (cached under .cache/gitops/crds)."""
    key = hashlib.sha256(json.dumps(GENERATED_SOURCES, sort_keys=True).encode()).hexdigest()[:16]
    out = GENERATED_DIR / key
    if not (out / ".complete").exists():
        shutil.rmtree(out, ignore_errors=True)
        with tempfile.TemporaryDirectory() as scratch:
            module = Path(scratch)
            packages = [f"{m.split('@')[0]}/{version}" for m, version in GENERATED_SOURCES.items()]
            (module / "go.mod").write_text("module conveyor.local/crdgen\n\ngo 1.26.0\n")
            (module / "imports.go").write_text(
                "package crdgen\n\nimport (\n" + "".join(f'\t_ "{p}"\n' for p in packages) + ")\n"
            )
            env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
            for argv in (
                ["go", "get", *GENERATED_SOURCES],
                ["go", "mod", "tidy"],
                [str(TOOLS_BIN / "controller-gen"), "crd", *(f"paths={p}" for p in packages),
                 f"output:crd:dir={out}"],
            ):  # fmt: skip
                result = subprocess.run(
                    argv, cwd=module, env=env, capture_output=True, text=True, timeout=600
                )
                if result.returncode != 0:
                    raise CrdError(f"{' '.join(argv)}: {result.stderr.strip()}")
        (out / ".complete").touch()
    return sorted(out.glob("*.yaml"))


def version_of(module_at_version: str) -> str:
    return module_at_version.rsplit("@", 1)[1]


def module_file(module_at_version: str, path: str) -> Path:
    return module_dir(module_at_version) / path


def crd_files() -> list[Path]:
    pinned = [module_file(module, path) for module, paths in CRD_SOURCES.items() for path in paths]
    return pinned + generated_crd_files()


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
