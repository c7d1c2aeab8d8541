"""The local control plane itself: three Ready kwok nodes in three zones, the admission plugins
the other tests rely on, and a stop that leaves no process and no listening port behind."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from tests.k8s.support import ControlPlane, controlplane


def test_three_ready_nodes_in_three_zones(cluster: ControlPlane) -> None:
    nodes = json.loads(cluster.kubectl("get", "nodes", "-o", "json"))["items"]
    zones = {n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in nodes}
    assert zones == {"zone-a", "zone-b", "zone-c"}
    for node in nodes:
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True", node["metadata"]["name"]


def test_the_server_is_the_pinned_kubernetes_version(cluster: ControlPlane) -> None:
    version = json.loads(cluster.kubectl("version", "-o", "json"))
    assert version["serverVersion"]["gitVersion"] == "v1.36.3"
    assert version["clientVersion"]["gitVersion"] == "v1.36.3"


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_stop_leaves_no_process_and_no_listener(tmp_path: Path) -> None:
    plane = controlplane.start(tmp_path / "plane", die_with_parent=True)
    components = list(plane.components)
    assert {c.name for c in components} == {
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kwok",
    }
    assert all(_listening(c.port) for c in components)
    controlplane.stop(tmp_path / "plane")
    for component in components:
        assert controlplane.start_time_of(component.pid) != component.start_time, component.name
        assert not _listening(component.port), component.name
    assert not (tmp_path / "plane" / "state.json").exists()
