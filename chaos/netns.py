"""A network namespace of the experiment's own, joined to the host by a veth pair, so one
process (a worker) can be cut off from PostgreSQL by an nftables rule inside it while every
other process keeps its path (`tc netem` is not in this kernel; nftables drop works).

Names and the /30 subnet are derived from the experiment's pid and a random octet, and
everything is deleted when the experiment ends."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from scripts.dr.postgres import DrillError


def _run(*args: str) -> str:
    result = subprocess.run(list(args), capture_output=True, text=True, timeout=30, check=False)
    if result.returncode != 0:
        raise DrillError(f"{' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


@dataclass
class Namespace:
    name: str
    host_ip: str  # the host's end of the veth: PostgreSQL listens here too
    inside_ip: str  # the namespace's end: the worker's probes bind here

    def exec_prefix(self) -> list[str]:
        return [_ip(), "netns", "exec", self.name]

    def nft(self, script: str) -> None:
        result = subprocess.run(
            [*self.exec_prefix(), _nft(), "-f", "-"],
            input=script,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            raise DrillError(f"nft in {self.name} refused the rules: {result.stderr.strip()}")

    def drop_tcp_to(self, address: str, port: int) -> None:
        """Silently drop every packet from the namespace to address:port (a partition, not a
        refusal: connections hang until their timeouts)."""
        self.nft(
            "table inet conveyor_chaos {\n"
            "  chain out { type filter hook output priority 0; policy accept;\n"
            f"    ip daddr {address} tcp dport {port} drop\n"
            "  }\n"
            "}\n"
        )
        rules = _run(*self.exec_prefix(), _nft(), "list", "table", "inet", "conveyor_chaos")
        if f"tcp dport {port} drop" not in rules:
            raise DrillError(f"the drop rule is not in place in {self.name}:\n{rules}")

    def heal(self) -> None:
        # Idempotent: the rollback heals again after the method did; "no such table" is fine.
        subprocess.run(
            [*self.exec_prefix(), _nft(), "delete", "table", "inet", "conveyor_chaos"],
            capture_output=True,
            check=False,
        )


def _ip() -> str:
    return shutil.which("ip") or "/usr/sbin/ip"


def _nft() -> str:
    path = shutil.which("nft") or "/usr/sbin/nft"
    if not os.path.exists(path):
        raise DrillError("nft is not installed: run `make drills-tools` (apt-get install nftables)")
    return path


@contextmanager
def namespace() -> Iterator[Namespace]:
    if os.geteuid() != 0:
        raise DrillError("a network namespace needs root (CAP_NET_ADMIN): the fault cannot be injected")
    tag = f"{os.getpid() % 100000}"
    octet = random.randint(0, 63) * 4  # noqa: S311 - a subnet, not a secret
    ns = Namespace(f"conveyor-chaos-{tag}", f"10.213.0.{octet + 1}", f"10.213.0.{octet + 2}")
    host_if, inner_if = f"cvh{tag}", f"cvw{tag}"
    _run(_ip(), "netns", "add", ns.name)
    try:
        _run(_ip(), "link", "add", host_if, "type", "veth", "peer", "name", inner_if)
        _run(_ip(), "link", "set", inner_if, "netns", ns.name)
        _run(_ip(), "addr", "add", f"{ns.host_ip}/30", "dev", host_if)
        _run(_ip(), "link", "set", host_if, "up")
        _run(*ns.exec_prefix(), _ip(), "addr", "add", f"{ns.inside_ip}/30", "dev", inner_if)
        _run(*ns.exec_prefix(), _ip(), "link", "set", inner_if, "up")
        _run(*ns.exec_prefix(), _ip(), "link", "set", "lo", "up")
        yield ns
    finally:
        subprocess.run([_ip(), "link", "delete", host_if], capture_output=True, check=False)
        subprocess.run([_ip(), "netns", "delete", ns.name], capture_output=True, check=False)
