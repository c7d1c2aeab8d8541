"""The flows the rendered NetworkPolicies allow, computed from the policies themselves, against
the architecture's list (docs/kubernetes.md, "Network flows"): nothing missing, nothing extra.

Enforcement needs a CNI plugin, which the local control plane lacks (kwok runs no pods): the
API server validates these objects (test_cluster), this test proves what they say.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from tests.k8s.support import chart_rendering, of_kind

RELEASE = {"app.kubernetes.io/name": "conveyor", "app.kubernetes.io/instance": "conveyor"}
COMPONENTS = ("api", "web", "worker", "scheduler", "migrate", "test", "pgbouncer")
# values-prod.yaml's addresses for the external services
NAMED_BLOCKS = {"10.20.0.0/24": "postgresql", "10.20.1.0/24": "redis"}
DNS = "kube-system/kube-dns"

# The architecture's flows: (from, to, port). Ports are TCP unless marked /udp.
ARCHITECTURE = {
    ("namespace:ingress-nginx", "api", "8000"),
    ("namespace:ingress-nginx", "web", "8080"),
    ("namespace:monitoring", "api", "8000"),
    ("namespace:monitoring", "web", "8080"),
    ("namespace:monitoring", "worker", "9100"),
    ("namespace:monitoring", "scheduler", "9101"),
    ("web", "api", "8000"),
    ("test", "api", "8000"),
    ("api", "postgresql", "5432"),
    ("worker", "postgresql", "5432"),
    ("scheduler", "postgresql", "5432"),
    ("migrate", "postgresql", "5432"),
    ("api", "redis", "6379"),
    ("worker", "redis", "6379"),
    ("scheduler", "redis", "6379"),
    ("worker", "internet", "443"),
    *((c, DNS, port) for c in COMPONENTS for port in ("53", "53/udp")),
}
# With pgbouncer.enabled the processes reach PostgreSQL only through PgBouncer.
PROCESSES = ("api", "worker", "scheduler")
THROUGH_PGBOUNCER = (
    (ARCHITECTURE - {(c, "postgresql", "5432") for c in PROCESSES})
    | {(c, "pgbouncer", "6432") for c in PROCESSES}
    | {("pgbouncer", "postgresql", "5432")}
)
FORBIDDEN_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32", "169.254.0.0/16")


def _labels(component: str) -> dict[str, str]:
    return {**RELEASE, "app.kubernetes.io/component": component}


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, f"unsupported selector {selector}"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _peer(peer: dict[str, Any]) -> str:
    if "ipBlock" in peer:
        cidr = peer["ipBlock"]["cidr"]
        if ipaddress.ip_network(cidr).prefixlen == 0:
            return "internet"
        return NAMED_BLOCKS[cidr]
    if "namespaceSelector" in peer:
        name = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        if "podSelector" in peer:
            return f"{name}/{peer['podSelector']['matchLabels']['k8s-app']}"
        return f"namespace:{name}"
    (component,) = (c for c in COMPONENTS if _selects(peer["podSelector"], _labels(c)))
    return component


def _port(port: dict[str, Any]) -> str:
    return str(port["port"]) + ("/udp" if port.get("protocol") == "UDP" else "")


def _rules(policies: list[dict[str, Any]], component: str, direction: str) -> list[tuple[str, str]]:
    """(peer, port) pairs a component's policies allow in one direction."""
    allowed = []
    for policy in policies:
        spec = policy["spec"]
        if not _selects(spec["podSelector"], _labels(component)):
            continue
        for rule in spec.get(direction, []):
            peers = rule.get("to" if direction == "egress" else "from")
            assert peers, f"{policy['metadata']['name']}: a rule open to every peer"
            allowed += [(_peer(p), _port(port)) for p in peers for port in rule["ports"]]
    return allowed


def _flows(policies: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    flows = set()
    for source in COMPONENTS:
        for peer, port in _rules(policies, source, "egress"):
            if peer in COMPONENTS:
                # between two pods of the release both ends must allow it
                if (source, port) in _rules(policies, peer, "ingress"):
                    flows.add((source, peer, port))
            else:
                flows.add((source, peer, port))
    for target in COMPONENTS:
        for peer, port in _rules(policies, target, "ingress"):
            if peer not in COMPONENTS:
                flows.add((peer, target, port))
    return flows


def test_every_pod_of_the_release_is_default_denied() -> None:
    policies = of_kind(chart_rendering("values-prod.yaml"), "NetworkPolicy")
    deny = [
        p
        for p in policies
        if p["spec"]["podSelector"] == {"matchLabels": RELEASE}
        and "ingress" not in p["spec"]
        and "egress" not in p["spec"]
    ]
    assert len(deny) == 1
    assert deny[0]["spec"]["policyTypes"] == ["Ingress", "Egress"]


def test_the_allowed_flows_are_exactly_the_architectures() -> None:
    flows = _flows(of_kind(chart_rendering("values-prod.yaml"), "NetworkPolicy"))
    assert flows - ARCHITECTURE == set(), "allowed but not in the architecture"
    assert ARCHITECTURE - flows == set(), "in the architecture but not allowed"


def test_through_pgbouncer_the_allowed_flows_are_exactly_the_architectures() -> None:
    pooled = "pgbouncer.enabled=true,pgbouncer.image.digest=sha256:" + "1" * 64
    rendering = chart_rendering("values-prod.yaml", extra=("--set", pooled))
    flows = _flows(of_kind(rendering, "NetworkPolicy"))
    assert flows - THROUGH_PGBOUNCER == set(), "allowed but not in the architecture"
    assert THROUGH_PGBOUNCER - flows == set(), "in the architecture but not allowed"


def test_worker_https_egress_excludes_private_link_local_and_metadata_ranges() -> None:
    policies = of_kind(chart_rendering("values-prod.yaml"), "NetworkPolicy")
    (worker,) = (p for p in policies if p["metadata"]["name"] == "conveyor-worker")
    blocks = [
        peer["ipBlock"]
        for rule in worker["spec"]["egress"]
        for peer in rule.get("to", [])
        if "ipBlock" in peer
    ]
    ipv4 = next(b for b in blocks if b["cidr"] == "0.0.0.0/0")
    excluded = [ipaddress.ip_network(c) for c in ipv4["except"]]
    for forbidden in FORBIDDEN_RANGES:
        network = ipaddress.ip_network(forbidden)
        assert any(network.subnet_of(e) for e in excluded), f"{forbidden} is reachable"  # type: ignore[arg-type]
