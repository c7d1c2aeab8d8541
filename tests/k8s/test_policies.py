"""The admission policies: the Gatekeeper templates against their fixtures (gator verify) and
against the chart's own rendering (gator test), and their ValidatingAdmissionPolicy twins
enforced by the control plane's API server, beside Pod Security Admission."""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path

import pytest
import yaml

from tests.k8s.support import (
    ONE_RULE_FIXTURES,
    POLICIES,
    ControlPlane,
    chart_rendering,
    dry_run,
    dump,
    fixture_in,
    namespace,
    refused_with,
    run,
    shipped_namespace,
    wait_for,
)

GATEKEEPER = POLICIES / "gatekeeper"
# Fixtures refused by a ValidatingAdmissionPolicy: every Gatekeeper fixture except the one
# rule the API server cannot judge alone (a PDB for every multi-replica Deployment needs
# other objects: Gatekeeper's inventory).
VAP_FIXTURES = sorted((p.parent.parent.name, p) for p in GATEKEEPER.glob("*/samples/*.yaml"))


def _vap_for(policy: str, fixture: Path) -> str:
    return "conveyor-image-digest" if fixture.stem == "prod-without-digest" else f"conveyor-{policy}"


def test_gator_verify_every_policy_fixture() -> None:
    result = run("gator", "verify", f"{GATEKEEPER}/...", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    suites = list(GATEKEEPER.glob("*/suite.yaml"))
    assert len(suites) == 8
    for suite in suites:
        assert f"ok\t{suite}\t" in result.stdout, result.stdout


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


@pytest.mark.parametrize(
    "extra",
    [(), ("--set", "pgbouncer.enabled=true,pgbouncer.image.digest=sha256:" + "1" * 64)],
    ids=["prod", "prod-with-pgbouncer"],
)
def test_the_charts_prod_rendering_passes_every_gatekeeper_policy(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    objects = [o for o in chart_rendering("values-prod.yaml", extra=extra, namespace="conveyor-prod")]
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


def _policy_names() -> list[str]:
    return [
        d["metadata"]["name"]
        for f in sorted((POLICIES / "admission").glob("*.yaml"))
        for d in yaml.safe_load_all(f.read_text())
        if d["kind"] == "ValidatingAdmissionPolicy"
    ]


@pytest.fixture(scope="module")
def alone(cluster: ControlPlane) -> dict[str, str]:
    """Per policy, a namespace where that policy alone is bound (policy -> namespace).

    A fixture may break more than one rule (a privileged container also escalates privileges)
    and the API server reports one denying policy, in no fixed order; so, as gator does, each
    fixture is judged by its own policy only. The shipped bindings are exercised by the
    renderings (admitted) and by test_the_shipped_bindings_refuse_in_conveyor_namespaces."""
    namespaces = {}
    for policy in _policy_names():
        ns = f"only-{policy}"
        namespaces[policy] = ns
        objects = [
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"conveyor.io/policy-under-test": policy}},
            },
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingAdmissionPolicyBinding",
                "metadata": {"name": f"only-{policy}"},
                "spec": {
                    "policyName": policy,
                    "validationActions": ["Deny"],
                    "matchResources": {
                        "namespaceSelector": {"matchLabels": {"conveyor.io/policy-under-test": policy}}
                    },
                },
            },
        ]
        cluster.kubectl("apply", "--server-side", "-f", "-", stdin=dump(objects))
    # a binding is enforced once the API server's informer has it: its fixture starts failing
    for policy, fixture in {_vap_for(p, f): f for p, f in VAP_FIXTURES}.items():
        manifest = fixture_in(fixture, namespaces[policy])
        wait_for(f"{policy} bound alone", partial(refused_with, cluster, manifest, policy))
    return namespaces


@pytest.mark.parametrize(("policy", "fixture"), VAP_FIXTURES, ids=[f"{p}/{f.stem}" for p, f in VAP_FIXTURES])
def test_the_api_server_refuses_the_fixture_with_the_policys_message(
    cluster: ControlPlane, alone: dict[str, str], policy: str, fixture: Path
) -> None:
    vap = _vap_for(policy, fixture)
    answer = dry_run(cluster, fixture_in(fixture, alone[vap]))
    assert f"ValidatingAdmissionPolicy '{vap}'" in answer, answer
    assert f"denied request: {vap}:" in answer, answer


@pytest.mark.parametrize("sample", ["pod.yaml", "deployment.yaml"])
def test_every_policy_admits_the_good_samples(
    cluster: ControlPlane, alone: dict[str, str], sample: str
) -> None:
    for ns in alone.values():
        assert dry_run(cluster, fixture_in(POLICIES / "samples" / sample, ns)) == "", ns


@pytest.mark.parametrize("policy", sorted(ONE_RULE_FIXTURES))
def test_the_shipped_bindings_refuse_in_conveyor_namespaces(cluster: ControlPlane, policy: str) -> None:
    """The bindings as shipped: namespaces labelled part-of=conveyor, digests only in prod."""
    fixture, environment = ONE_RULE_FIXTURES[policy]
    answer = dry_run(cluster, fixture_in(GATEKEEPER / fixture, shipped_namespace(environment)))
    assert f"denied request: {policy}:" in answer, answer


def test_a_tag_without_digest_is_admitted_outside_prod(cluster: ControlPlane) -> None:
    fixture = GATEKEEPER / "image-reference" / "samples" / "prod-without-digest.yaml"
    assert dry_run(cluster, fixture_in(fixture, shipped_namespace("stage"))) == ""


def test_pod_security_admission_refuses_a_privileged_pod_in_a_restricted_namespace(
    cluster: ControlPlane,
) -> None:
    namespace(cluster, "restricted-only")
    privileged = fixture_in(GATEKEEPER / "host-access" / "samples" / "privileged.yaml", "restricted-only")
    answer = dry_run(cluster, privileged)
    assert 'violates PodSecurity "restricted:latest"' in answer, answer
    assert "privileged" in answer
