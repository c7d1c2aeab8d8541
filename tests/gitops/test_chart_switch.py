"""The chart's two switches of this area, one source each: rollouts.enabled (the api and web as
Argo Rollouts, the same pod templates as the Deployments) and database.mountAsFile (the database
Secret as a file the processes re-read when rotated). Renderings by Helm, accepted by the API
server with Argo Rollouts' CRDs."""

from __future__ import annotations

from typing import Any

import yaml

from tests.gitops.support import ControlPlane, apply, ensure_namespace
from tests.k8s.support import REQUIRED, RULES, helm_template, of_kind

ROLLOUTS = ("--set", "rollouts.enabled=true")


def by_name(objects: list[dict[str, Any]], *kinds: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] in kinds}


def test_rollouts_are_the_deployments_pod_templates_with_another_strategy() -> None:
    plain = by_name(helm_template(*REQUIRED), "Deployment")
    switched = helm_template(*REQUIRED, *ROLLOUTS)
    rollouts = by_name(switched, "Rollout")
    assert set(rollouts) == {"conveyor-api", "conveyor-web"}
    assert set(by_name(switched, "Deployment")) == {"conveyor-worker", "conveyor-scheduler"}
    for name, rollout in rollouts.items():
        assert rollout["spec"]["template"] == plain[name]["spec"]["template"]
        assert rollout["spec"]["selector"] == plain[name]["spec"]["selector"]
    api, web = rollouts["conveyor-api"]["spec"]["strategy"], rollouts["conveyor-web"]["spec"]["strategy"]
    assert [s for s in api["canary"]["steps"] if "setWeight" in s] == [{"setWeight": 10}, {"setWeight": 50}]
    assert api["canary"]["analysis"]["templates"] == [{"templateName": "conveyor-slo"}]
    assert web["blueGreen"]["prePromotionAnalysis"]["templates"] == [{"templateName": "conveyor-slo"}]
    assert web["blueGreen"]["previewService"] in by_name(switched, "Service")


def test_the_analysis_queries_are_the_slo_recording_rules() -> None:
    (template,) = of_kind(helm_template(*REQUIRED, *ROLLOUTS), "AnalysisTemplate")
    recorded = {
        (rule["record"], rule["labels"].get("sloth_id"))
        for path in RULES.glob("*.yaml")
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule and "labels" in rule
    }
    for metric in template["spec"]["metrics"]:
        query = metric["provider"]["prometheus"]["query"]
        # The SLO's ratio, or 0 when requests were served and none failed (the latency ratio exists).
        ratio, fallback = query.split(" or on() ")
        record, selector = ratio.split("{", 1)
        sloth_id = selector.split('"')[1]
        assert (record, sloth_id) in recorded, query
        assert sloth_id == f"conveyor-{metric['name']}"
        assert fallback == '(0 * slo:sli_error:ratio_rate5m{sloth_id="conveyor-api-latency"})'
        assert ("slo:sli_error:ratio_rate5m", "conveyor-api-latency") in recorded


def test_prod_with_rollouts_is_accepted_and_the_hpa_targets_the_rollout(cluster: ControlPlane) -> None:
    ensure_namespace(cluster, "conveyor-chart-rollouts")
    objects = helm_template(
        "-f", "deploy/helm/conveyor/values-prod.yaml", *ROLLOUTS, "--set", "api.autoscaling.enabled=true",
        namespace="conveyor-chart-rollouts",
    )  # fmt: skip
    (hpa,) = [
        o for o in of_kind(objects, "HorizontalPodAutoscaler") if o["metadata"]["name"].endswith("-api")
    ]
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "Rollout"
    hooks = [o for o in objects if "helm.sh/hook" in o["metadata"].get("annotations", {})]
    namespaced = [
        {**o, "metadata": {**o["metadata"], "namespace": "conveyor-chart-rollouts"}}
        for o in objects
        if o not in hooks
    ]
    apply(cluster, namespaced, "--dry-run=server")


def test_the_database_secret_as_a_file() -> None:
    objects = helm_template(*REQUIRED, "--set", "database.mountAsFile=true")
    for workload in [*of_kind(objects, "Deployment"), *of_kind(objects, "Job")]:
        pod = workload["spec"]["template"]["spec"]
        env = {e["name"]: e for e in pod["containers"][0].get("env", [])}
        assert "CONVEYOR_DATABASE_URL" not in env
        if workload["metadata"]["name"].endswith("-web"):
            assert "database" not in {v["name"] for v in pod["volumes"]}  # the console has no database
            continue
        assert env["CONVEYOR_DATABASE_URL_FILE"]["value"] == "/run/secrets/conveyor-database/url"
        (volume,) = [v for v in pod["volumes"] if v["name"] == "database"]
        assert volume["secret"] == {"secretName": "conveyor-database", "defaultMode": 0o400}
        (mount,) = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "database"]
        assert mount == {"name": "database", "mountPath": "/run/secrets/conveyor-database", "readOnly": True}
