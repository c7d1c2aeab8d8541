"""What differs between a cluster's live objects and what git renders for an environment:
`kubectl kustomize deploy/kustomize/overlays/<env>` diffed against the cluster by `kubectl diff
--server-side` (the API server computes the would-be result of applying git, so defaulted and
controller-owned fields are not reported).

    python scripts/gitops/drift.py [--kubeconfig PATH] [ENV ...]     # default: every overlay

Exit 0: no drift; 1: drift (the diff is printed); 2: kubectl failed (its error is printed).
The field manager is the one the appliers use (--field-manager, default conveyor-gitops).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KUBECTL = REPO / ".cache" / "tools" / "bin" / "kubectl"
OVERLAYS = REPO / "deploy" / "kustomize" / "overlays"
DEFAULT_KUBECONFIG = REPO / ".cache" / "k8s" / "admin.kubeconfig"
FIELD_MANAGER = "conveyor-gitops"


def drift(environment: str, kubeconfig: Path, field_manager: str = FIELD_MANAGER) -> tuple[int, str]:
    """(0 no drift | 1 drift | 2 error, what kubectl said) for one environment."""
    rendered = subprocess.run(
        [str(KUBECTL), "kustomize", str(OVERLAYS / environment)], capture_output=True, text=True, timeout=120
    )
    if rendered.returncode != 0:
        return 2, f"kubectl kustomize {OVERLAYS / environment}: {rendered.stderr.strip()}"
    diff = subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(kubeconfig), "diff", "--server-side",
         f"--field-manager={field_manager}", "--force-conflicts", "-f", "-"],
        input=rendered.stdout, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if diff.returncode > 1:
        return 2, f"kubectl diff ({environment}): {diff.stderr.strip()}"
    return diff.returncode, diff.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("environments", nargs="*", help="default: every overlay")
    parser.add_argument("--kubeconfig", type=Path, default=DEFAULT_KUBECONFIG)
    parser.add_argument("--field-manager", default=FIELD_MANAGER)
    args = parser.parse_args(argv)
    environments = args.environments or sorted(p.name for p in OVERLAYS.iterdir() if p.is_dir())
    worst = 0
    for environment in environments:
        if not (OVERLAYS / environment).is_dir():
            print(f"drift: no overlay {OVERLAYS / environment}", file=sys.stderr)
            return 2
        status, output = drift(environment, args.kubeconfig, args.field_manager)
        if status == 0:
            print(f"{environment}: no drift")
        elif status == 1:
            print(f"{environment}: DRIFT — live objects differ from git:\n{output}")
        else:
            print(output, file=sys.stderr)
        worst = max(worst, status)
    return worst


if __name__ == "__main__":
    sys.exit(main())
