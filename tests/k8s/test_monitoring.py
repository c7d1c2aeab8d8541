"""The chart's prometheus-operator objects and the rules' one source: the PrometheusRule carries
exactly the groups of observability/prometheus/rules/*.yaml, and the ServiceMonitor and
PodMonitor give their targets the job names those rules select (the applied objects are checked
against the CRDs in test_cluster.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.k8s.support import REQUIRED, helm_template, of_kind, source_groups

JOBS = {"conveyor-api", "conveyor-web", "conveyor-worker", "conveyor-scheduler"}
# A release name other than the chart's, so that the operator's default job (the Service name,
# `shop-conveyor-api`, or `namespace/podmonitor`) can never pass for the contract's.
RELEASE = "shop"
NAMESPACE = "conveyor-stage"
MONITORS = (
    "--set",
    "metrics.serviceMonitor.enabled=true,metrics.podMonitor.enabled=true,metrics.prometheusRule.enabled=true",
)
JOB_MATCHER = re.compile(r'\bjob\s*(=~|=)\s*"([^"]*)"')


def _rendering(*args: str) -> list[dict[str, Any]]:
    return helm_template(*REQUIRED, *MONITORS, *args, release=RELEASE, namespace=NAMESPACE)


def test_prometheus_rule_groups_are_the_rule_files_groups() -> None:
    (rule,) = of_kind(_rendering(), "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["spec"]["groups"] == source_groups()


def test_prometheus_rule_is_off_by_default() -> None:
    assert of_kind(helm_template(*REQUIRED), "PrometheusRule") == []


def test_extra_labels_reach_the_rule_but_never_replace_the_charts() -> None:
    labels = '{"release":"kube-prometheus-stack","app.kubernetes.io/instance":"other"}'
    (rule,) = of_kind(_rendering("--set-json", f"metrics.prometheusRule.labels={labels}"), "PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert rule["metadata"]["labels"]["app.kubernetes.io/instance"] == RELEASE


def _meta(role: str, labels: dict[str, str]) -> dict[str, str]:
    """The __meta_kubernetes_<role>_label_* labels Prometheus' Kubernetes discovery gives a target
    (it replaces every character outside [A-Za-z0-9_] in the label name with `_`)."""
    return {
        f"__meta_kubernetes_{role}_label_{re.sub(r'[^A-Za-z0-9_]', '_', k)}": v for k, v in labels.items()
    }


def _relabel(labels: dict[str, str], configs: list[dict[str, Any]]) -> dict[str, str]:
    """Prometheus' `replace` relabeling: the source values joined by `;`, the regex anchored at
    both ends, `$n`/`${n}` in the replacement; no match leaves the labels as they were."""
    result = dict(labels)
    for config in configs:
        assert config.get("action", "replace") == "replace", config
        value = config.get("separator", ";").join(result.get(name, "") for name in config["sourceLabels"])
        match = re.fullmatch(config.get("regex", "(.*)"), value)
        if match:
            template = re.sub(r"\$\{?(\w+)\}?", r"\\g<\1>", config.get("replacement", "$1"))
            result[config["targetLabel"]] = match.expand(template)
    return result


def _selected(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    by_labels = all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", expression
        by_labels = by_labels and labels.get(expression["key"]) in expression["values"]
    return by_labels


def scraped_jobs(objects: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Monitor kind -> the job label of each target it discovers in this rendering, starting from
    the operator's default job and applying the monitor's relabelings."""
    (service_monitor,) = of_kind(objects, "ServiceMonitor")
    (pod_monitor,) = of_kind(objects, "PodMonitor")
    jobs: dict[str, set[str]] = {"ServiceMonitor": set(), "PodMonitor": set()}
    for endpoint in service_monitor["spec"]["endpoints"]:
        for service in of_kind(objects, "Service"):
            labels = service["metadata"]["labels"]
            ports = {port["name"] for port in service["spec"]["ports"]}
            if _selected(service_monitor["spec"]["selector"], labels) and endpoint["port"] in ports:
                target = {"job": service["metadata"]["name"], **_meta("service", labels)}
                jobs["ServiceMonitor"].add(_relabel(target, endpoint.get("relabelings", []))["job"])
    for endpoint in pod_monitor["spec"]["podMetricsEndpoints"]:
        for deployment in of_kind(objects, "Deployment"):
            pod = deployment["spec"]["template"]
            labels = pod["metadata"]["labels"]
            ports = {port["name"] for container in pod["spec"]["containers"] for port in container["ports"]}
            if _selected(pod_monitor["spec"]["selector"], labels) and endpoint["port"] in ports:
                target = {"job": f"{NAMESPACE}/{pod_monitor['metadata']['name']}", **_meta("pod", labels)}
                jobs["PodMonitor"].add(_relabel(target, endpoint.get("relabelings", []))["job"])
    return jobs


def rule_job_matchers() -> list[tuple[str, str]]:
    """Every (operator, value) of a `job` matcher in the rules' expressions."""
    exprs = [rule["expr"] for group in source_groups() for rule in group["rules"]]
    return [(match.group(1), match.group(2)) for expr in exprs for match in JOB_MATCHER.finditer(expr)]


@pytest.mark.parametrize("monitor", ["ServiceMonitor", "PodMonitor"])
def test_monitors_scrape_each_process_under_the_job_the_rules_select(monitor: str) -> None:
    jobs = scraped_jobs(_rendering())[monitor]
    assert jobs == JOBS
    matchers = rule_job_matchers()
    assert ("=", "conveyor-worker") in matchers  # the parse found the rules' matchers
    for operator, value in matchers:
        if operator == "=":
            assert value in jobs, f"the rules select job={value!r}, which {monitor} never scrapes"
        else:
            assert any(re.fullmatch(value, job) for job in jobs), (
                f"job=~{value!r} matches nothing {monitor} scrapes"
            )


def test_the_relabel_check_catches_the_operators_default_job() -> None:
    objects = _rendering()
    for monitor in of_kind(objects, "ServiceMonitor"):
        for endpoint in monitor["spec"]["endpoints"]:
            endpoint.pop("relabelings")
    assert scraped_jobs(objects)["ServiceMonitor"] == {
        f"{RELEASE}-conveyor-{job[len('conveyor-') :]}" for job in JOBS
    }
