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

from conveyor.handlers.destinations import AllowList, IPAddress, refusal_reason


class OutboundRefused(httpx.TransportError):
    """The destination is not allowed; the message says which address and why."""


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
        host_allowed = self.allow.allows_host(host, port)
        for address in addresses:
            reason = refusal_reason(address)
            if reason and not host_allowed and not self.allow.allows_address(address, port):
                raise OutboundRefused(
                    f"refused to connect to {host}:{port} ({address}): {reason}; "
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


MAX_REDIRECTS = 5
# Headers a job set that may follow a redirect to another origin: content negotiation and
# identification only. Everything else (Authorization, Cookie, X-Api-Key, webhook signatures,
# any custom header) was meant for the origin the job named, so it stays there — ADR 0019.
CROSS_ORIGIN_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "content-language",
        "content-type",
        "user-agent",
    }
)


def guarded_client(allow: AllowList, *, timeout: float = 30.0) -> httpx.AsyncClient:
    """A client whose every connection passes the guard; redirects are followed by
    :func:`send_following_redirects`, not by httpx (which forwards most credentials)."""
    return httpx.AsyncClient(
        transport=GuardedTransport(allow),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    )


async def send_following_redirects(
    client: httpx.AsyncClient, request: httpx.Request, caller_headers: Iterable[str]
) -> httpx.Response:
    """Send ``request`` and follow up to MAX_REDIRECTS redirects; the response is streamed (the
    caller closes it). Once a hop leaves the request's origin, of the ``caller_headers`` (names
    of the headers the job set) only CROSS_ORIGIN_HEADERS go along; httpx's own protocol headers
    (Host, Content-Length) are rebuilt per hop."""
    origin, cookie = request.url, request.headers.get("cookie")
    withheld = [name for name in caller_headers if name.lower() not in CROSS_ORIGIN_HEADERS]
    for _ in range(MAX_REDIRECTS + 1):
        response = await client.send(request, stream=True)
        if response.next_request is None:
            return response
        await response.aclose()
        request = response.next_request
        if not same_origin(origin, request.url):
            for name in withheld:
                request.headers.pop(name, None)
            cookie = None
        elif cookie is not None:  # httpx rebuilds Cookie from its jar on every hop
            request.headers["Cookie"] = cookie
    raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects", request=request)


def same_origin(first: httpx.URL, then: httpx.URL) -> bool:
    """Same scheme, host and port — or an upgrade from http to https on the same host and the
    default ports, which keeps the request on the same server (httpx and curl agree)."""
    if first.host != then.host:
        return False
    if (first.scheme, first.port) == (then.scheme, then.port):
        return True
    return first.scheme == "http" and then.scheme == "https" and first.port is None and then.port is None
