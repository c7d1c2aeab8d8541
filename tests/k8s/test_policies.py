"""The admission policies: the Gatekeeper templates against their fixtures (gator verify) and
against the chart's own rendering (gator test), and their ValidatingAdmissionPolicy twins
enforced by the control plane's API server, beside Pod Security Admission."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.k8s.support import (
    POLICIES,
    ControlPlane,
    chart_rendering,
    dry_run,
    dump,
    fixture_in,
    namespace,
    run,
)

GATEKEEPER = POLICIES / "gatekeeper"
# Fixtures refused by a ValidatingAdmissionPolicy: every Gatekeeper fixture except the one
# rule the API server cannot judge alone (a PDB for every multi-replica Deployment needs
# other objects: Gatekeeper's inventory).
VAP_FIXTURES = sorted((p.parent.parent.name, p) for p in GATEKEEPER.glob("*/samples/*.yaml"))


def _vap_for(policy: str, fixture: Path) -> str:
    return "conveyor-image-digest" if fixture.stem == "prod-without-digest" else f"conveyor-{policy}"


def test_gator_verify_every_policyfixture_in() -> None:
    result = run("gator", "verify", f"{GATEKEEPER}/...", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    suites = list(GATEKEEPER.glob("*/suite.yaml"))
    assert len(suites) == 8
    for suite in suites:
        assert f"ok\t{suite.parent}" in result.stdout or "PASS" in result.stdout


def test_gator_verify_fails_when_a_policy_stops_refusing(tmp_path: Path) -> None:
    """The suites' fail fixtures really depend on the rule: without it, verify fails."""
    copy = tmp_path / "pod-security"
    shutil.copytree(GATEKEEPER / "pod-security", copy)
    shutil.copytree(POLICIES / "samples", tmp_path.parent / "samples", dirs_exist_ok=True)
    template = yaml.safe_load((copy / "template.yaml").read_text())
    rego = template["spec"]["targets"][0]["rego"]
    template["spec"]["targets"][0]["rego"] = rego.replace("violation[{", "unused[{")
    (copy / "template.yaml").write_text(yaml.safe_dump(template))
    result = run("gator", "verify", str(copy), check=False)
    assert result.returncode != 0


def test_the_charts_prod_rendering_passes_every_gatekeeper_policy(tmp_path: Path) -> None:
    objects = [o for o in chart_rendering("values-prod.yaml", namespace="conveyor-prod")]
    for o in objects:
        o["metadata"].setdefault("namespace", "conveyor-prod")
    rendering = tmp_path / "rendering.yaml"
    rendering.write_text(dump(objects))
    args = ["test", "-f", str(rendering)]
    for policy in GATEKEEPER.iterdir():
        for name in ("template.yaml", "constraint.yaml", "constraint-prod.yaml"):
            if (policy / name).exists():
                args += ["-f", str(policy / name)]
    result = run("gator", *args, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def policed(cluster: ControlPlane) -> dict[str, str]:
    """Namespaces bound by the admission policies (environment -> name), without Pod Security
    Admission enforcing, so that each refusal seen is the policy's own. The API server reports
    the first policy that denies, so a fixture meant for one rule is tried where only that
    rule applies: the digest rule only in prod."""
    names = {}
    for environment in ("stage", "prod"):
        names[environment] = f"policed-{environment}"
        manifest = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": names[environment],
                "labels": {"app.kubernetes.io/part-of": "conveyor", "conveyor.io/environment": environment},
            },
        }
        cluster.kubectl("apply", "--server-side", "-f", "-", stdin=yaml.safe_dump(manifest))
    return names


@pytest.mark.parametrize(("policy", "fixture"), VAP_FIXTURES, ids=[f"{p}/{f.stem}" for p, f in VAP_FIXTURES])
def test_the_api_server_refuses_the_fixture_with_the_policys_message(
    cluster: ControlPlane, policed: dict[str, str], policy: str, fixture: Path
) -> None:
    vap = _vap_for(policy, fixture)
    ns = policed["prod" if vap == "conveyor-image-digest" else "stage"]
    answer = dry_run(cluster, fixture_in(fixture, ns))
    assert f"ValidatingAdmissionPolicy '{vap}'" in answer, answer
    assert f"denied request: {vap}:" in answer, answer


@pytest.mark.parametrize("sample", ["pod.yaml", "deployment.yaml"])
@pytest.mark.parametrize("environment", ["stage", "prod"])
def test_the_api_server_admits_the_good_samples(
    cluster: ControlPlane, policed: dict[str, str], environment: str, sample: str
) -> None:
    assert dry_run(cluster, fixture_in(POLICIES / "samples" / sample, policed[environment])) == ""


def test_pod_security_admission_refuses_a_privileged_pod_in_a_restricted_namespace(
    cluster: ControlPlane,
) -> None:
    namespace(cluster, "restricted-only")
    privileged = fixture_in(GATEKEEPER / "host-access" / "samples" / "privileged.yaml", "restricted-only")
    answer = dry_run(cluster, privileged)
    assert 'violates PodSecurity "restricted:latest"' in answer, answer
    assert "privileged" in answer
