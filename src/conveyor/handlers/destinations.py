"""Which destinations outbound HTTP may reach: the special-purpose address table and the
operator's allow-list (``CONVEYOR_HTTP_ALLOW``).

The table is our own, from IANA's IPv4 and IPv6 special-purpose address registries, rather than
Python's ``is_private``/``is_global`` alone: those change between patch releases (3.11.10 and
3.12.4 rewrote them) and do not look inside IPv6 addresses that carry an IPv4 address. Python's
verdict is still consulted last, so it can only make the guard stricter.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, AnyHttpUrl, BeforeValidator

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# (network, why it is refused) — most specific reasons first.
SPECIAL_PURPOSE: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(net), reason)
    for net, reason in (
        ("169.254.169.254/32", "a cloud metadata address"),
        ("fd00:ec2::254/128", "a cloud metadata address"),
        ("0.0.0.0/32", "an unspecified address"),
        ("::/128", "an unspecified address"),
        ("127.0.0.0/8", "a loopback address"),
        ("::1/128", "a loopback address"),
        ("169.254.0.0/16", "a link-local address"),
        ("fe80::/10", "a link-local address"),
        ("10.0.0.0/8", "a private address"),
        ("172.16.0.0/12", "a private address"),
        ("192.168.0.0/16", "a private address"),
        ("fc00::/7", "a private address"),
        ("fec0::/10", "a site-local address (deprecated private range)"),
        ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
        ("64:ff9b:1::/48", "a local-use NAT64 address"),
        ("224.0.0.0/4", "a multicast address"),
        ("ff00::/8", "a multicast address"),
        ("0.0.0.0/8", "a 'this network' address"),
        ("192.0.0.0/24", "an IETF protocol assignment"),
        ("192.0.2.0/24", "a documentation address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("2001:db8::/32", "a documentation address"),
        ("3fff::/20", "a documentation address"),
        ("192.88.99.0/24", "a 6to4 relay anycast address (deprecated)"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("2001:2::/48", "a benchmarking address"),
        ("240.0.0.0/4", "a reserved address"),
        ("100::/64", "a discard-only address"),
        ("2001::/23", "an IETF protocol assignment"),
        ("5f00::/16", "a segment-routing address"),
        ("::/8", "a reserved address"),
    )
)
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")


def refusal_reason(address: IPAddress) -> str | None:
    """Why connecting to ``address`` is refused by default, or None if it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        # Translations: the packet goes to the IPv4 address inside, which alone decides.
        if address.ipv4_mapped is not None:
            return refusal_reason(address.ipv4_mapped)
        if address in NAT64_WELL_KNOWN:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
            reason = refusal_reason(inner)
            return f"{reason} ({inner}) behind a NAT64 prefix" if reason else None
        # Tunnels: refused when they lead to a refused IPv4 address; else judged as IPv6 below.
        for inner, kind in _tunnelled_ipv4(address):
            reason = refusal_reason(inner)
            if reason:
                return f"{reason} ({inner}) inside a {kind} address"
    for network, reason in SPECIAL_PURPOSE:
        if network.version == address.version and address in network:
            return reason
    if not address.is_global:
        return "not a globally routable address"
    return None


def _tunnelled_ipv4(address: ipaddress.IPv6Address) -> list[tuple[ipaddress.IPv4Address, str]]:
    inner: list[tuple[ipaddress.IPv4Address, str]] = []
    if address.sixtofour is not None:
        inner.append((address.sixtofour, "6to4"))
    if address.teredo is not None:
        server, client = address.teredo
        inner += [(client, "Teredo"), (server, "Teredo")]
    return inner


LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){LABEL}(\.{LABEL})*$")


@dataclass(frozen=True)
class AllowEntry:
    """One ``CONVEYOR_HTTP_ALLOW`` entry: a host name (matched on the URL's host) or a network
    (matched on the address connected to), on one port or (``port`` None) on all of them."""

    host: str | None = None
    network: IPNetwork | None = None
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> AllowEntry:
        """``host``, ``host:port``, ``IP``, ``CIDR``, ``IP:port``, ``CIDR:port``; IPv6 with a port
        in brackets: ``[::1]:8080``, ``[fd00::/8]:443``. Raises ValueError saying what is wrong."""
        entry = text.strip().lower()
        if "://" in entry or "@" in entry:
            raise ValueError(f"{text!r}: no scheme or credentials; write host, host:port or CIDR[:port]")
        target, port = entry, None
        if entry.startswith("["):
            target, bracket, rest = entry[1:].partition("]")
            if not bracket or (rest and not rest.startswith(":")):
                raise ValueError(f"{text!r}: write an IPv6 entry with a port as [address]:port")
            port = _port(text, rest[1:]) if rest else None
        elif entry.count(":") == 1:  # host:port or IPv4[/n]:port; more colons: bare IPv6
            target, _, port_text = entry.partition(":")
            port = _port(text, port_text)
        try:
            return cls(network=ipaddress.ip_network(target, strict=False), port=port)
        except ValueError:
            pass
        if entry.startswith("[") or "/" in target or ":" in target:
            raise ValueError(f"{text!r} is not a valid IP address or CIDR")
        host = target.rstrip(".")
        if not HOST_NAME.match(host) or host.replace(".", "").isdigit():
            raise ValueError(
                f"{text!r} is not a host name, IP address or CIDR (optionally with :port); "
                "no scheme, path or wildcard"
            )
        return cls(host=host, port=port)

    def matches_port(self, port: int) -> bool:
        return self.port is None or self.port == port


def _port(entry: str, text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"{entry!r}: the port must be a number from 1 to 65535")
    return int(text)


class AllowList:
    """Destinations the operator allows despite the address table (``CONVEYOR_HTTP_ALLOW``)."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.entries = [AllowEntry.parse(e) for e in entries if e.strip()]

    def allows_host(self, host: str, port: int) -> bool:
        host = host.lower().rstrip(".")
        return any(e.host == host and e.matches_port(port) for e in self.entries)

    def allows_address(self, address: IPAddress, port: int) -> bool:
        return any(
            e.network is not None
            and e.network.version == address.version
            and address in e.network
            and e.matches_port(port)
            for e in self.entries
        )


def _no_control_characters(raw: object) -> object:
    # Checked before URL parsing, which would silently drop CR/LF (a header-injection attempt).
    if isinstance(raw, str) and any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise ValueError("must not contain control characters such as line breaks")
    return raw


def _no_credentials(url: AnyHttpUrl) -> AnyHttpUrl:
    # user:password@ would rest in the job or endpoint for every reader; send a header instead.
    if url.username or url.password:
        raise ValueError("must not contain credentials (user:password@); send them in a header")
    return url


OutboundUrl = Annotated[AnyHttpUrl, BeforeValidator(_no_control_characters), AfterValidator(_no_credentials)]
"""An http(s) URL that outbound requests (http jobs, webhook endpoints) may name."""
