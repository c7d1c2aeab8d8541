"""Helpers for the Kubernetes tests: the tools of .cache/tools/bin, Helm renderings, Kustomize
builds, and the project's control plane and CRD scripts (scripts/k8s)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from scripts.polling import poll

from tests.support import REPO

sys.path.insert(0, str(REPO / "scripts" / "k8s"))
import controlplane
import crds
import kustomize_base
from controlplane import ControlPlane

TOOLS_BIN = REPO / ".cache" / "tools" / "bin"
CHART = REPO / "deploy" / "helm" / "conveyor"
KUSTOMIZE = REPO / "deploy" / "kustomize"
POLICIES = REPO / "deploy" / "policies"
RULES = REPO / "observability" / "prometheus" / "rules"
OVERLAYS = ("dev", "stage", "prod")
VALUES_FILES = ("values-dev.yaml", "values-prod.yaml")
KUBE_VERSION = kustomize_base.KUBE_VERSION
# The one value the chart cannot default: the Secret holding the database URL.
REQUIRED = ("--set", "database.existingSecret=conveyor-database")

__all__ = ["ControlPlane", "controlplane", "crds", "kustomize_base"]


def run(tool: str, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(TOOLS_BIN / tool), *args], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{tool} {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def helm_template(*args: str, release: str = "conveyor", namespace: str = "default") -> list[dict[str, Any]]:
    result = run(
        "helm",
        "template",
        release,
        str(CHART),
        "--namespace",
        namespace,
        "--kube-version",
        KUBE_VERSION,
        *args,
    )
    return documents(result.stdout)


def chart_rendering(
    values_file: str | None, *, extra: tuple[str, ...] = (), **kwargs: str
) -> list[dict[str, Any]]:
    args = ["-f", str(CHART / values_file)] if values_file else list(REQUIRED)
    return helm_template(*args, *extra, **kwargs)


def kustomize(overlay: str) -> list[dict[str, Any]]:
    return documents(run("kubectl", "kustomize", str(KUSTOMIZE / "overlays" / overlay)).stdout)


def source_groups() -> list[dict[str, Any]]:
    """The groups of every rule file, in file-name order (Helm's Files.Glob order): what the
    chart's PrometheusRule must carry."""
    return [
        group for path in sorted(RULES.glob("*.yaml")) for group in yaml.safe_load(path.read_text())["groups"]
    ]


def dump(objects: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(objects, sort_keys=False)


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def wait_for(what: str, condition: Callable[[], bool], timeout: float = 60) -> None:
    """Poll an observable condition of the cluster (the API offers no signal for these)."""
    poll(condition, timeout=timeout, what=what, interval=0.2, error=AssertionError)


def namespace(plane: ControlPlane, name: str, environment: str = "dev") -> None:
    """A namespace as the overlays make them: PSA restricted, admission policies bound."""
    manifest = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                "app.kubernetes.io/part-of": "conveyor",
                "conveyor.io/environment": environment,
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            },
        },
    }
    plane.kubectl("apply", "--server-side", "-f", "-", stdin=yaml.safe_dump(manifest))


def fixture_in(path: Path, ns: str) -> dict[str, Any]:
    """A policy fixture (deploy/policies) moved into namespace ``ns``."""
    manifest: dict[str, Any] = yaml.safe_load(path.read_text())
    manifest["metadata"]["namespace"] = ns
    return manifest


def refused_with(plane: ControlPlane, manifest: dict[str, Any], message: str) -> bool:
    """True once a server-side dry run of ``manifest`` is refused with ``message`` in the answer."""
    return message in dry_run(plane, manifest)


def dry_run(plane: ControlPlane, manifest: dict[str, Any]) -> str:
    """The API server's answer to a server-side dry-run apply: '' when admitted."""
    try:
        plane.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", stdin=yaml.safe_dump(manifest))
    except controlplane.ControlPlaneError as refused:
        return str(refused)
    return ""


# For each shipped policy, a fixture that breaks its rule and no other, and the environment whose
# namespace binds it (the API server names one denying policy, in no fixed order).
ONE_RULE_FIXTURES = {
    "conveyor-pod-security": ("pod-security/samples/privilege-escalation.yaml", "stage"),
    "conveyor-host-access": ("host-access/samples/host-network.yaml", "stage"),
    "conveyor-resources": ("resources/samples/no-limits.yaml", "stage"),
    "conveyor-probes": ("probes/samples/no-readiness.yaml", "stage"),
    "conveyor-image-reference": ("image-reference/samples/latest.yaml", "stage"),
    "conveyor-image-digest": ("image-reference/samples/prod-without-digest.yaml", "prod"),
    "conveyor-allowed-registries": ("allowed-registries/samples/docker-hub.yaml", "stage"),
    "conveyor-required-labels": ("required-labels/samples/no-component.yaml", "stage"),
}


def shipped_namespace(environment: str) -> str:
    """A namespace the shipped bindings select (part-of=conveyor), without PSA enforcing."""
    return f"policies-{environment}"


def install_policies(plane: ControlPlane) -> None:
    """deploy/policies/admission, then wait until the API server enforces every one of them (a
    policy is enforced once the server's informer has it: its one-rule fixture is refused)."""
    plane.kubectl("apply", "--server-side", "-f", str(POLICIES / "admission"))
    for environment in ("stage", "prod"):
        namespace(plane, shipped_namespace(environment), environment)
        plane.kubectl(
            "label", "namespace", shipped_namespace(environment), "pod-security.kubernetes.io/enforce-"
        )
    for policy, (fixture, environment) in ONE_RULE_FIXTURES.items():
        manifest = fixture_in(POLICIES / "gatekeeper" / fixture, shipped_namespace(environment))
        wait_for(
            f"{policy} to be enforced", partial(refused_with, plane, manifest, f"denied request: {policy}:")
        )
