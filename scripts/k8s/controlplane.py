"""A local Kubernetes control plane on loopback, the way controller-runtime's envtest runs one:
etcd, kube-apiserver (Pod Security Admission and ValidatingAdmissionPolicy on, RBAC),
kube-controller-manager, kube-scheduler and kwok with three simulated nodes in three zones.

    python scripts/k8s/controlplane.py up [--dir .cache/k8s]    # prints `export KUBECONFIG=...`
    python scripts/k8s/controlplane.py down [--dir .cache/k8s]

The binaries come from `make tools` (.cache/tools/bin; tools/kubernetes, tools/kwok). kwok's node
and pod stages are read from the kwok module pinned in tools/kwok/go.mod (Go's module cache),
never copied into this repository. Certificates are generated per control plane (pki.py).

It proves what an API server and its controllers decide: schemas, defaulting, admission,
server-side apply, ReplicaSets and Pods, scheduling, PDB-guarded evictions. It cannot run
containers (no kubelet) nor enforce NetworkPolicies (no CNI): kwok marks pods Running and Ready.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crds import CrdError, crd_files, module_dir
from pki import (
    KUBERNETES_SERVICE_IP,
    SERVICE_CLUSTER_IP_RANGE,
    CertificateAuthority,
    KeyPair,
    service_account_keys,
)

REPO = Path(__file__).resolve().parents[2]
TOOLS_BIN = REPO / ".cache" / "tools" / "bin"
DEFAULT_DIR = REPO / ".cache" / "k8s"
ZONES = ("zone-a", "zone-b", "zone-c")
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"
# kwok's own default stages (what `kwokctl` configures): nodes become Ready and keep a lease,
# pods become Ready, Job pods complete, deleted pods go away.
KWOK_STAGE_FILES = (
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
)
KWOK_POD_COMPLETE = "kustomize/stage/pod/fast/pod-complete.yaml"
STARTUP_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0


class ControlPlaneError(RuntimeError):
    """The control plane could not start or stop; the message says which component and why."""


def tool(name: str) -> Path:
    path = TOOLS_BIN / name
    if not os.access(path, os.X_OK):
        raise ControlPlaneError(f"{path} is missing: run `make tools` first")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_time_of(pid: int) -> str | None:
    """The running process's start time in clock ticks (/proc): a pid plus this names one
    process. None once it has exited, zombies included (an orphan's zombie waits for whatever
    init the machine runs to reap it, and holds no port)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields[19]


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL when the parent dies (PR_SET_PDEATHSIG), so a killed
    test session cannot leave a control plane behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


@dataclass
class Component:
    name: str
    pid: int
    start_time: str
    port: int


@dataclass
class ControlPlane:
    directory: Path
    kubeconfig: Path
    server: str
    components: list[Component] = field(default_factory=list)

    @property
    def state_file(self) -> Path:
        return self.directory / "state.json"

    def save(self) -> None:
        state = {
            "kubeconfig": str(self.kubeconfig),
            "server": self.server,
            "components": [asdict(c) for c in self.components],
        }
        self.state_file.write_text(json.dumps(state, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> ControlPlane | None:
        path = directory / "state.json"
        if not path.exists():
            return None
        state = json.loads(path.read_text())
        return cls(
            directory=directory,
            kubeconfig=Path(state["kubeconfig"]),
            server=state["server"],
            components=[Component(**c) for c in state["components"]],
        )

    def kubectl(self, *args: str, stdin: str | None = None, check: bool = True) -> str:
        result = subprocess.run(
            [str(tool("kubectl")), "--kubeconfig", str(self.kubeconfig), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise ControlPlaneError(f"kubectl {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout


def _kubeconfig(path: Path, server: str, ca: Path, client: KeyPair, user: str) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "conveyor-local", "cluster": {"server": server, "certificate-authority": str(ca)}}
        ],
        "users": [
            {"name": user, "user": {"client-certificate": str(client.cert), "client-key": str(client.key)}}
        ],
        "contexts": [{"name": "conveyor-local", "context": {"cluster": "conveyor-local", "user": user}}],
        "current-context": "conveyor-local",
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return path


def _kwok_module_dir() -> Path:
    """The kwok module of tools/kwok/go.mod in Go's module cache (downloaded if absent)."""
    go_mod = (REPO / "tools" / "kwok" / "go.mod").read_text()
    version = next(
        line.split()[1] for line in go_mod.splitlines() if line.strip().startswith("sigs.k8s.io/kwok ")
    )
    return module_dir(f"sigs.k8s.io/kwok@{version}")


def _helm_test_stage(pod_complete: str) -> str:
    """kwok's pod-complete stage, for `helm test` Pods instead of Job Pods: with no container
    to run, the simulated kubelet reports the test as passed, so Helm's test hook (admission,
    scheduling, waiting for the Pod) runs end to end. The check inside it cannot (no kubelet)."""
    stage = yaml.safe_load(pod_complete)
    stage["metadata"]["name"] = "pod-complete-helm-test"
    stage["spec"]["selector"]["matchExpressions"] = [
        e for e in stage["spec"]["selector"]["matchExpressions"] if "ownerReferences" not in e["key"]
    ] + [{"key": '.metadata.annotations["helm.sh/hook"]', "operator": "In", "values": ["test"]}]
    return str(yaml.safe_dump(stage, sort_keys=False))


def _kwok_config(path: Path) -> Path:
    module = _kwok_module_dir()
    stages = [(module / f).read_text() for f in KWOK_STAGE_FILES]
    stages.append(_helm_test_stage((module / KWOK_POD_COMPLETE).read_text()))
    path.write_text("\n---\n".join(stages))
    return path


def _nodes() -> str:
    nodes = []
    for index, zone in enumerate(ZONES):
        name = f"kwok-{zone}"
        nodes.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "annotations": {KWOK_NODE_ANNOTATION: "fake"},
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "topology.kubernetes.io/zone": zone,
                        "type": "kwok",
                    },
                },
                "spec": {},
                "status": {
                    "allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                    "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                    "nodeInfo": {
                        "kubeletVersion": "fake",
                        "architecture": "amd64",
                        "operatingSystem": "linux",
                    },
                    "addresses": [{"type": "InternalIP", "address": f"127.0.0.{10 + index}"}],
                },
            }
        )
    return "\n---\n".join(yaml.safe_dump(n) for n in nodes)


class _Launcher:
    def __init__(self, directory: Path, die_with_parent: bool) -> None:
        self.logs = directory / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.die_with_parent = die_with_parent
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, port: int, argv: list[str]) -> Component:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if self.die_with_parent else None,
        )
        log.close()
        self.processes[name] = process
        start_time = start_time_of(process.pid) or ""
        return Component(name=name, pid=process.pid, start_time=start_time, port=port)

    def exited(self, name: str) -> bool:
        return self.processes[name].poll() is not None

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait(what: str, ready: Callable[[], bool], component: Component, launcher: _Launcher) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if launcher.exited(component.name):
            raise ControlPlaneError(
                f"{component.name} exited while starting; its log ends:\n" + launcher.log_tail(component.name)
            )
        with contextlib.suppress(httpx.HTTPError, OSError):
            if ready():
                return
        time.sleep(0.1)
    raise ControlPlaneError(
        f"{what} not ready within {STARTUP_TIMEOUT:.0f} s; its log ends:\n"
        + launcher.log_tail(component.name)
    )


def _healthz(port: int, tls: ssl.SSLContext) -> Callable[[], bool]:
    url = f"https://127.0.0.1:{port}/healthz"
    return lambda: httpx.get(url, verify=tls, timeout=2).status_code == 200


def start(directory: Path = DEFAULT_DIR, *, die_with_parent: bool = False) -> ControlPlane:
    """Start everything and return once the API server is ready and the three nodes are Ready."""
    binaries = {
        n: tool(n)
        for n in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kubectl")
    }
    previous = ControlPlane.load(directory)
    if previous is not None and any(start_time_of(c.pid) == c.start_time for c in previous.components):
        raise ControlPlaneError(f"a control plane already runs from {directory}: stop it first (`down`)")
    if directory.exists():
        shutil.rmtree(directory)
    pki_dir = directory / "pki"
    pki_dir.mkdir(parents=True, mode=0o700)
    ca = CertificateAuthority(pki_dir)
    sa = service_account_keys(pki_dir)
    ports = {
        n: _free_port() for n in ("etcd", "etcd-peer", "apiserver", "controller-manager", "scheduler", "kwok")
    }
    server = f"https://127.0.0.1:{ports['apiserver']}"
    loopback = ("127.0.0.1", KUBERNETES_SERVICE_IP)
    apiserver_tls = ca.issue(
        "apiserver",
        "kube-apiserver",
        server_names=("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"),
        server_ips=loopback,
    )
    controller_manager_tls = ca.issue(
        "controller-manager-serving", "kube-controller-manager", server_ips=("127.0.0.1",)
    )
    scheduler_tls = ca.issue("scheduler-serving", "kube-scheduler", server_ips=("127.0.0.1",))
    kubeconfigs = {
        # The people's and the tests' identity: cluster-admin through system:masters.
        "admin": (ca.issue("admin", "conveyor-admin", organization="system:masters"), "admin"),
        # The components' own identities, which the API server's bootstrap RBAC roles name.
        "controller-manager": (
            ca.issue("controller-manager", "system:kube-controller-manager"),
            "system:kube-controller-manager",
        ),
        "scheduler": (ca.issue("scheduler", "system:kube-scheduler"), "system:kube-scheduler"),
        # kwok acts for every simulated kubelet (nodes, leases, pod status): admin rights.
        "kwok": (ca.issue("kwok", "kwok", organization="system:masters"), "kwok"),
    }
    paths = {
        name: _kubeconfig(directory / f"{name}.kubeconfig", server, ca.cert_path, pair, user)
        for name, (pair, user) in kubeconfigs.items()
    }
    plane = ControlPlane(directory=directory, kubeconfig=paths["admin"], server=server)
    launcher = _Launcher(directory, die_with_parent)
    tls = ssl.create_default_context(cafile=str(ca.cert_path))
    admin = kubeconfigs["admin"][0]
    tls.load_cert_chain(str(admin.cert), str(admin.key))
    try:
        etcd_url = f"http://127.0.0.1:{ports['etcd']}"
        peer_url = f"http://127.0.0.1:{ports['etcd-peer']}"
        etcd = launcher.start(
            "etcd",
            ports["etcd"],
            [
                str(binaries["etcd"]),
                "--name=local",
                f"--data-dir={directory / 'etcd'}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=local={peer_url}",
                "--listen-metrics-urls=",
                "--unsafe-no-fsync",  # throwaway data: no fsync, much faster on shared disks
                "--log-level=warn",
            ],
        )
        plane.components.append(etcd)
        plane.save()
        _wait(
            "etcd",
            lambda: httpx.get(f"{etcd_url}/health", timeout=1).json().get("health") == "true",
            etcd,
            launcher,
        )

        apiserver = launcher.start(
            "kube-apiserver",
            ports["apiserver"],
            [
                str(binaries["kube-apiserver"]),
                f"--etcd-servers={etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={ports['apiserver']}",
                f"--cert-dir={pki_dir}",
                f"--tls-cert-file={apiserver_tls.cert}",
                f"--tls-private-key-file={apiserver_tls.key}",
                f"--client-ca-file={ca.cert_path}",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-account-key-file={sa.cert}",
                f"--service-account-signing-key-file={sa.key}",
                f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
                "--authorization-mode=RBAC",
                # Named, not left to the default list: the tests rely on these being on.
                "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,"
                "PodSecurity,ResourceQuota,DefaultStorageClass,MutatingAdmissionWebhook,"
                "ValidatingAdmissionPolicy,ValidatingAdmissionWebhook",
                # As in real clusters: privileged pods are the admission policies' call (PSA,
                # ValidatingAdmissionPolicies), not a server-wide switch that hides them.
                "--allow-privileged=true",
                "--anonymous-auth=false",
                "--profiling=false",
                "--v=1",
            ],
        )
        plane.components.append(apiserver)
        plane.save()
        _wait(
            "kube-apiserver",
            lambda: httpx.get(f"{server}/readyz", verify=tls, timeout=2).status_code == 200,
            apiserver,
            launcher,
        )

        controller_manager = launcher.start(
            "kube-controller-manager",
            ports["controller-manager"],
            [
                str(binaries["kube-controller-manager"]),
                f"--kubeconfig={paths['controller-manager']}",
                "--bind-address=127.0.0.1",
                f"--secure-port={ports['controller-manager']}",
                f"--tls-cert-file={controller_manager_tls.cert}",
                f"--tls-private-key-file={controller_manager_tls.key}",
                "--leader-elect=false",
                "--use-service-account-credentials=true",
                f"--service-account-private-key-file={sa.key}",
                f"--root-ca-file={ca.cert_path}",
                f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
                "--cluster-name=conveyor-local",
                "--profiling=false",
                "--v=1",
            ],
        )
        scheduler = launcher.start(
            "kube-scheduler",
            ports["scheduler"],
            [
                str(binaries["kube-scheduler"]),
                f"--kubeconfig={paths['scheduler']}",
                "--bind-address=127.0.0.1",
                f"--secure-port={ports['scheduler']}",
                f"--tls-cert-file={scheduler_tls.cert}",
                f"--tls-private-key-file={scheduler_tls.key}",
                "--leader-elect=false",
                "--profiling=false",
                "--v=1",
            ],
        )
        kwok = launcher.start(
            "kwok",
            ports["kwok"],
            [
                str(binaries["kwok"]),
                f"--kubeconfig={paths['kwok']}",
                f"--config={_kwok_config(directory / 'kwok.yaml')}",
                "--manage-all-nodes=false",
                f"--manage-nodes-with-annotation-selector={KWOK_NODE_ANNOTATION}=fake",
                "--node-lease-duration-seconds=40",
                "--cidr=10.244.0.0/16",
                f"--server-address=127.0.0.1:{ports['kwok']}",
            ],
        )
        plane.components += [controller_manager, scheduler, kwok]
        plane.save()
        for component in (controller_manager, scheduler):
            _wait(component.name, _healthz(component.port, tls), component, launcher)
        plane.kubectl("apply", "--server-side", "-f", "-", stdin=_nodes())
        plane.kubectl("wait", "--for=condition=Ready", "node", "--all", f"--timeout={STARTUP_TIMEOUT:.0f}s")
        # Pods need their namespace's default ServiceAccount: the controller-manager makes it.
        _wait(
            "the default ServiceAccount",
            lambda: plane.kubectl("get", "serviceaccount", "default", "-o", "name", check=False) != "",
            controller_manager,
            launcher,
        )
    except BaseException:
        stop(directory)
        raise
    return plane


def _alive(component: Component) -> bool:
    return bool(component.start_time) and start_time_of(component.pid) == component.start_time


def stop(directory: Path = DEFAULT_DIR) -> None:
    """Stop every component (newest first): SIGTERM to its process group, SIGKILL after a
    timeout; then check that none of its ports is still listening."""
    plane = ControlPlane.load(directory)
    if plane is None:
        return
    for component in reversed(plane.components):
        if not _alive(component):
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(component.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _alive(component) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(component.pid, os.WNOHANG)
            time.sleep(0.05)
        if _alive(component):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(component.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(component.pid, 0)
    listening = [c.name for c in plane.components if _port_open(c.port)]
    if listening:
        raise ControlPlaneError(f"still listening after stop: {', '.join(listening)}")
    plane.state_file.unlink()


def install_crds(plane: ControlPlane) -> None:
    """The CRDs the renderings use (scripts/k8s/crds.py), established before returning."""
    for crd in crd_files():
        plane.kubectl("apply", "--server-side", "-f", str(crd))
    plane.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")


@contextlib.contextmanager
def running(directory: Path) -> Iterator[ControlPlane]:
    """A control plane for the length of a with-block (the tests' session fixture)."""
    plane = start(directory, die_with_parent=True)
    try:
        yield plane
    finally:
        stop(directory)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("up", "down"))
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="state, certificates and logs")
    args = parser.parse_args()
    directory: Path = args.dir.resolve()
    try:
        if args.command == "up":
            began = time.monotonic()
            plane = start(directory)
            install_crds(plane)
            took = time.monotonic() - began
            print(f"control plane ready in {took:.1f} s ({plane.server}); logs in {directory / 'logs'}")
            print(f"export KUBECONFIG={plane.kubeconfig}")
        else:
            stop(directory)
            print("control plane stopped")
    except (ControlPlaneError, CrdError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
