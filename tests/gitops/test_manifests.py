"""Every Argo CD, Flux and External Secrets object of deploy/gitops is accepted by a real API
server with the upstream CRDs installed (schema validation, CEL rules, defaulting)."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.gitops.support import (
    GITOPS,
    ControlPlane,
    applicationset,
    apply,
    documents,
    ensure_namespace,
    files,
    run,
    upstream,
)
from tests.support import REPO

ENVIRONMENTS = ("dev", "stage", "prod")


def test_argocd_bootstrap_pins_the_version_whose_crds_are_tested() -> None:
    bootstrap = yaml.safe_load((GITOPS / "argocd/bootstrap/kustomization.yaml").read_text())
    remote = [r for r in bootstrap["resources"] if r.startswith("https://")]
    version = upstream.version_of(upstream.ARGO_CD)
    assert remote == [f"https://raw.githubusercontent.com/argoproj/argo-cd/{version}/manifests/install.yaml"]


def test_argocd_installs_and_takes_conveyors_settings(cluster: ControlPlane) -> None:
    """Argo CD's own install manifest at the pinned version (read from its Go module), then the
    bootstrap's settings patched over it, the project and the ApplicationSet."""
    ensure_namespace(cluster, "argocd")
    install = upstream.module_file(upstream.ARGO_CD, "manifests/install.yaml")
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-n", "argocd", "-f", str(install))
    bootstrap = GITOPS / "argocd/bootstrap"
    for name in ("argocd-cm", "argocd-rbac-cm", "argocd-notifications-cm"):
        cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(bootstrap / f"{name}.yaml"))
    apply(cluster, files(GITOPS / "argocd"))
    rbac = json.loads(cluster.kubectl("get", "configmap", "-n", "argocd", "argocd-rbac-cm", "-o", "json"))
    assert rbac["data"]["policy.default"] == ""
    project = json.loads(cluster.kubectl("get", "appproject", "-n", "argocd", "conveyor", "-o", "json"))
    assert [d["namespace"] for d in project["spec"]["destinations"]] == [
        f"conveyor-{e}" for e in ENVIRONMENTS
    ]
    assert project["spec"]["syncWindows"][0]["applications"] == ["conveyor-prod"]


def test_the_applicationsets_applications_are_accepted(cluster: ControlPlane) -> None:
    ensure_namespace(cluster, "argocd")
    generated = applicationset.applications()
    assert [a["metadata"]["name"] for a in generated] == [f"conveyor-{e}" for e in sorted(ENVIRONMENTS)]
    apply(cluster, generated)
    live = {
        a["metadata"]["name"]: a
        for a in json.loads(cluster.kubectl("get", "applications", "-n", "argocd", "-o", "json"))["items"]
    }
    # dev and stage sync themselves (prune, self-heal); prod waits for an operator in its window.
    assert live["conveyor-dev"]["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert live["conveyor-stage"]["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert "automated" not in live["conveyor-prod"]["spec"]["syncPolicy"]
    # Only dev follows new builds.
    updaters = {
        name
        for name, a in live.items()
        if "argocd-image-updater.argoproj.io/image-list" in a["metadata"]["annotations"]
    }
    assert updaters == {"conveyor-dev"}
    for environment in ENVIRONMENTS:
        sources = live[f"conveyor-{environment}"]["spec"]["sources"]
        assert [s["path"] for s in sources] == [
            f"deploy/kustomize/overlays/{environment}",
            f"deploy/gitops/secrets/{environment}",
        ]


def test_every_applications_source_path_builds_with_kustomize() -> None:
    """The paths the Applications point at (and their sync-wave patches) render with Kustomize."""
    for application in applicationset.applications():
        for source in application["spec"]["sources"]:
            kustomization = REPO / source["path"] / "kustomization.yaml"
            assert kustomization.exists(), kustomization
            rendered = documents(run("kubectl", "kustomize", str(REPO / source["path"])).stdout)
            assert rendered


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_flux_cluster_objects_are_accepted(cluster: ControlPlane, environment: str) -> None:
    ensure_namespace(cluster, "flux-system")
    objects = files(GITOPS / "flux/clusters" / environment)
    apply(cluster, objects, "--dry-run=server")
    kustomizations = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "Kustomization"}
    # The order Flux applies them in: infrastructure, then the secrets, then the app.
    assert kustomizations["conveyor-secrets"]["dependsOn"] == [{"name": "infrastructure"}]
    assert kustomizations["conveyor"]["dependsOn"] == [
        {"name": "infrastructure"},
        {"name": "conveyor-secrets"},
    ]
    assert kustomizations["conveyor"]["path"] == f"./deploy/kustomize/overlays/{environment}"
    assert kustomizations["conveyor-secrets"]["decryption"]["provider"] == "sops"
    # Every path a Kustomization points at exists and builds (what kustomize-controller runs).
    for spec in kustomizations.values():
        path = REPO / spec["path"]
        assert path.is_dir(), f"{environment}: {spec['path']} does not exist"
        if (path / "kustomization.yaml").exists():
            run("kubectl", "kustomize", str(path))


def test_external_secrets_objects_are_accepted(cluster: ControlPlane) -> None:
    stores = documents(run("kubectl", "kustomize", str(GITOPS / "secrets/stores")).stdout)
    apply(cluster, stores)
    assert {s["metadata"]["name"] for s in stores} == {"aws-secrets-manager", "vault"}
    for environment in ENVIRONMENTS:
        ensure_namespace(cluster, f"conveyor-{environment}")
        secrets = documents(run("kubectl", "kustomize", str(GITOPS / "secrets" / environment)).stdout)
        apply(cluster, secrets)
        live = json.loads(
            cluster.kubectl(
                "get", "externalsecret", "-n", f"conveyor-{environment}", "conveyor-database", "-o", "json"
            )
        )
        # The key the chart reads (database.existingSecret, key url) from this environment's path.
        assert live["spec"]["target"]["name"] == "conveyor-database"
        assert live["spec"]["data"][0]["secretKey"] == "url"
        assert re.fullmatch(f"conveyor/{environment}/database", live["spec"]["data"][0]["remoteRef"]["key"])


def test_the_api_server_refuses_a_malformed_application(cluster: ControlPlane) -> None:
    """The CRDs are really enforced: an Application without a destination is refused."""
    ensure_namespace(cluster, "argocd")
    application = applicationset.applications()[0]
    application["metadata"]["name"] = "conveyor-malformed"
    application["spec"]["syncPolicy"]["retry"]["backoff"]["factor"] = "twice"
    with pytest.raises(Exception, match="factor"):
        apply(cluster, [application], "--dry-run=server")


def test_flux_image_automation_for_dev_is_accepted_and_wired_to_the_overlay(cluster: ControlPlane) -> None:
    """dev follows new builds: the ImagePolicy the dev overlay's setter marker names exists, and
    the automation writes to that overlay. stage and prod have no image automation."""
    ensure_namespace(cluster, "flux-system")
    objects = documents((GITOPS / "flux/clusters/dev/image-automation.yaml").read_text())
    apply(cluster, objects)
    policies = {o["metadata"]["name"] for o in objects if o["kind"] == "ImagePolicy"}
    (automation,) = [o for o in objects if o["kind"] == "ImageUpdateAutomation"]
    overlay = REPO / automation["spec"]["update"]["path"] / "kustomization.yaml"
    markers = re.findall(r'\{"\$imagepolicy": "flux-system:([\w-]+):tag"\}', overlay.read_text())
    assert markers and set(markers) <= policies
    for environment in ("stage", "prod"):
        assert not (GITOPS / "flux/clusters" / environment / "image-automation.yaml").exists()
