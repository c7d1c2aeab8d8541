"""The outbound guard's address table and the CONVEYOR_HTTP_ALLOW entries."""

from __future__ import annotations

import ipaddress

import pytest

from conveyor.handlers.destinations import AllowEntry, AllowList, refusal_reason
from conveyor.settings import SettingsError, load_settings

REFUSED = [
    # (address, words the reason must contain)
    ("127.0.0.1", "loopback"),
    ("::1", "loopback"),
    ("::ffff:10.1.2.3", "private"),
    ("10.1.2.3", "private"),
    ("169.254.169.254", "metadata"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private"),
    ("fec0::1", "site-local"),
    ("fefe::1", "site-local"),
    ("192.88.99.1", "6to4 relay"),
    ("2002:7f00:1::1", "loopback address (127.0.0.1) inside a 6to4"),
    ("2002:a00:1::1", "private address (10.0.0.1) inside a 6to4"),
    ("2002:c0a8:101::1", "private address (192.168.1.1) inside a 6to4"),
    ("2002:a9fe:a9fe::", "metadata address (169.254.169.254) inside a 6to4"),
    # Teredo: the client's address is stored inverted (RFC 4380): 80ff:fffe is 127.0.0.1.
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback address (127.0.0.1) inside a Teredo"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private address (10.0.0.1) inside a Teredo"),
    ("2001:0:a00:1::f7f7:f7f7", "private address (10.0.0.1) inside a Teredo"),  # server part
    ("64:ff9b::a00:1", "private address (10.0.0.1) behind a NAT64"),
    ("64:ff9b::7f00:1", "loopback address (127.0.0.1) behind a NAT64"),
    ("64:ff9b::a9fe:a9fe", "metadata address (169.254.169.254) behind a NAT64"),
    ("64:ff9b:1::808:808", "local-use NAT64"),
    ("::7f00:1", "reserved"),  # IPv4-compatible (deprecated) form
    ("2001:db8::1", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("240.0.0.1", "reserved"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
]
PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 of a public address: what DNS64 networks resolve names to
    "2002:808:808::1",  # 6to4 of a public address
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_special_ranges_are_refused_with_their_reason(address: str, reason: str) -> None:
    found = refusal_reason(ipaddress.ip_address(address))
    assert found is not None and reason in found


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("entry", "parsed"),
    [
        ("localhost", AllowEntry(host="localhost")),
        ("Svc.Internal.:8443", AllowEntry(host="svc.internal", port=8443)),
        ("127.0.0.1", AllowEntry(network=ipaddress.ip_network("127.0.0.1/32"))),
        ("127.0.0.1:18555", AllowEntry(network=ipaddress.ip_network("127.0.0.1/32"), port=18555)),
        ("10.0.0.0/8:443", AllowEntry(network=ipaddress.ip_network("10.0.0.0/8"), port=443)),
        ("fd00::/8", AllowEntry(network=ipaddress.ip_network("fd00::/8"))),
        ("[::1]:8080", AllowEntry(network=ipaddress.ip_network("::1/128"), port=8080)),
        ("[fd00::/8]:9000", AllowEntry(network=ipaddress.ip_network("fd00::/8"), port=9000)),
    ],
)
def test_allow_entries_parse(entry: str, parsed: AllowEntry) -> None:
    assert AllowEntry.parse(entry) == parsed


def test_a_port_entry_allows_that_port_only() -> None:
    allow = AllowList(["127.0.0.1:18555", "svc.internal:8443"])
    loopback = ipaddress.ip_address("127.0.0.1")
    assert allow.allows_address(loopback, 18555)
    assert not allow.allows_address(loopback, 8000)  # the API's port stays closed
    assert not allow.allows_address(ipaddress.ip_address("127.0.0.2"), 18555)
    assert allow.allows_host("SVC.internal.", 8443) and not allow.allows_host("svc.internal", 9100)


@pytest.mark.parametrize(
    "value",
    [
        "http://127.0.0.1:8000",
        "127.0.0.1:0",
        "127.0.0.1:65536",
        "127.0.0.1:http",
        "10.0.0.0/33",
        "10.0.0.0/8:",
        "999.1.1.1",
        "1.2.3",
        "[::1",
        "[::1]8080",
        "[example.com]:80",
        "*.example.com",
        "example.com/path",
        "user@example.com",
        "exa mple.com",
        "localhost,127.0.0.1:port",
    ],
)
def test_malformed_allow_entries_stop_the_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CONVEYOR_HTTP_ALLOW", value)
    with pytest.raises(SettingsError, match="CONVEYOR_HTTP_ALLOW"):
        load_settings()
