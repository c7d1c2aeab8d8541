"""The outbound-request guard: jobs and webhooks may not reach private networks by accident
or by an attacker's choice (SSRF).

The check runs where the socket is opened, on the address actually connected to, so it also
covers redirects and DNS names that resolve (or re-resolve) to a private address.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Iterable

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class OutboundRefused(httpx.TransportError):
    """The destination is not allowed; the message says which address and why."""


class AllowList:
    """Hosts (matched on the URL's host name) and CIDRs (matched on the resolved address)."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in entries:
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry.lower().rstrip("."))

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in net for net in self.networks if net.version == address.version)


def refusal_reason(address: IPAddress) -> str | None:
    """Why connecting to ``address`` is refused by default, or None if it is public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_private", "a private address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if not address.is_global:
        return "not a globally routable address"
    return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, checks every address, and connects to a checked one."""

    def __init__(self, allow: AllowList) -> None:
        self.allow = allow
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port, timeout)
        host_allowed = self.allow.allows_host(host)
        for address in addresses:
            reason = refusal_reason(address)
            if reason and not host_allowed and not self.allow.allows_address(address):
                raise OutboundRefused(
                    f"refused to connect to {host} ({address}): {reason}; "
                    "allow it with CONVEYOR_HTTP_ALLOW if this is intended"
                )
        return await self.inner.connect_tcp(
            str(addresses[0]),
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    @staticmethod
    async def _resolve(host: str, port: int, timeout: float | None) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
        except (OSError, TimeoutError) as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc}") from exc
        # Strip IPv6 scope ids ("fe80::1%eth0") before parsing.
        return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Loading the CA bundle costs milliseconds: do it once per process."""
    return ssl.create_default_context()


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool opened through the guarded backend.

    No proxy and no environment proxies: a proxy would resolve the host, bypassing the guard.
    """

    def __init__(self, allow: AllowList) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_tls_context(),
            network_backend=GuardedBackend(allow),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
        )


def guarded_client(allow: AllowList, *, timeout: float = 30.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=GuardedTransport(allow),
        timeout=timeout,
        follow_redirects=True,
        max_redirects=5,
        trust_env=False,
    )
