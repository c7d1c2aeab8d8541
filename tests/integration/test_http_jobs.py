"""The http job type against a real local server, and the outbound guard (SSRF)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from pydantic import ValidationError

from conveyor.handlers import JobError, PermanentError
from conveyor.handlers.destinations import AllowList
from conveyor.handlers.http import HttpRequest, parse_retry_after, send
from tests.support import Answer, Received, Recorder, recording_receiver

LIMIT = 1024 * 1024


ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/ok": (200, {}, b"fine"),
    "/boom": (503, {"Retry-After": "3"}, b"down"),
    "/busy": (429, {"Retry-After": "7"}, b"slow down"),
    "/missing": (404, {}, b"nope"),
    "/to-private": (302, {"Location": "http://10.255.255.1/internal"}, b""),
    "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
    "/to-ok": (302, {"Location": "/ok"}, b""),
    "/loop": (302, {"Location": "/loop"}, b""),
    "/huge": (200, {}, b"x" * (3 * LIMIT)),
}


def answer(request: Received, _before: int) -> Answer:
    if request.path == "/slow":  # past the caller's timeout
        time.sleep(2)
    if request.path.startswith("/redirect?"):  # 307 to the URL in ?to=, keeping method and body
        return 307, {"Location": parse_qs(urlsplit(request.path).query)["to"][0]}, b""
    return ROUTES.get(request.path, (200, {}, b""))


@pytest.fixture(scope="module")
def server() -> Iterator[Recorder]:
    with recording_receiver(answer) as recorder:
        yield recorder


@pytest.fixture
def target(server: Recorder) -> str:
    """The server's host:port, with nothing recorded yet."""
    server.received.clear()
    return server.url.removeprefix("http://")


def request(url: str, **extra: Any) -> HttpRequest:
    return HttpRequest.model_validate({"url": url, **extra})


LOCAL = AllowList(["127.0.0.1/32"])


async def test_success_returns_status_and_body(server: Recorder, target: str) -> None:
    result = await send(
        request(f"http://{target}/ok", body={"a": 1}, headers={"X-Trace": "t"}), LOCAL, max_body_bytes=LIMIT
    )
    assert result == {"status": 200, "body": "fine"}
    [seen] = server.received
    assert seen.method == "POST" and seen.body == b'{"a":1}' and seen.headers["x-trace"] == "t"


@pytest.mark.parametrize(("path", "retry_after"), [("/boom", 3.0), ("/busy", 7.0)])
async def test_5xx_and_429_retry_honouring_retry_after(target: str, path: str, retry_after: float) -> None:
    with pytest.raises(JobError) as raised:
        await send(request(f"http://{target}{path}"), LOCAL, max_body_bytes=LIMIT)
    assert raised.value.retryable and raised.value.retry_after == retry_after


async def test_other_4xx_fail_without_retry(target: str) -> None:
    with pytest.raises(PermanentError, match="answered 404"):
        await send(request(f"http://{target}/missing", method="GET"), LOCAL, max_body_bytes=LIMIT)


async def test_timeout_and_refused_connection_are_retryable(target: str) -> None:
    with pytest.raises(JobError) as raised:
        await send(request(f"http://{target}/slow", timeout_seconds=0.2), LOCAL, max_body_bytes=LIMIT)
    assert raised.value.retryable and raised.value.kind == "http_timeout"
    with pytest.raises(JobError) as refused:
        await send(request("http://127.0.0.1:1/"), LOCAL, max_body_bytes=LIMIT)
    assert refused.value.retryable and refused.value.kind == "http_connection"


async def test_response_body_is_read_only_up_to_the_limit(target: str) -> None:
    result = await send(request(f"http://{target}/huge", method="GET"), LOCAL, max_body_bytes=LIMIT)
    assert result["status"] == 200 and len(result["body"]) == 64 * 1024


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9/", "loopback"),
        ("http://[::1]:9/", "loopback"),
        ("http://[::ffff:127.0.0.1]:9/", "loopback"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.10/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://0.0.0.0:9/", "unspecified"),
        ("http://localhost:9/", "loopback"),  # a name that resolves to a private address
    ],
)
async def test_guard_refuses_private_destinations_by_default(url: str, reason: str) -> None:
    with pytest.raises(PermanentError) as raised:
        await send(request(url), AllowList([]), max_body_bytes=LIMIT)
    assert raised.value.kind == "outbound_refused"
    assert reason in str(raised.value) and "CONVEYOR_HTTP_ALLOW" in str(raised.value)


@pytest.mark.parametrize("path", ["/to-private", "/to-metadata"])
async def test_guard_checks_every_redirect_hop(target: str, path: str) -> None:
    with pytest.raises(PermanentError) as raised:
        await send(request(f"http://{target}{path}", method="GET"), LOCAL, max_body_bytes=LIMIT)
    assert raised.value.kind == "outbound_refused"


async def test_allowed_by_host_name_or_cidr(target: str) -> None:
    port = target.split(":")[1]
    by_name = await send(
        request(f"http://localhost:{port}/to-ok", method="GET"),
        AllowList(["localhost"]),
        max_body_bytes=LIMIT,
    )
    assert by_name["status"] == 200
    by_cidr = await send(request(f"http://{target}/ok"), AllowList(["127.0.0.0/8"]), max_body_bytes=LIMIT)
    assert by_cidr["status"] == 200


async def test_a_port_entry_opens_that_port_only(target: str) -> None:
    allow = AllowList([target])  # 127.0.0.1:<port>
    assert (await send(request(f"http://{target}/ok"), allow, max_body_bytes=LIMIT))["status"] == 200
    with pytest.raises(PermanentError, match="CONVEYOR_HTTP_ALLOW") as raised:
        await send(request("http://127.0.0.1:9/"), allow, max_body_bytes=LIMIT)
    assert raised.value.kind == "outbound_refused"


CALLER_HEADERS = {
    "Authorization": "Bearer job-secret",
    "X-Api-Key": "key-secret",
    "Cookie": "session=cookie-secret",
    "X-Upstream-Token": "token-secret",
    "Webhook-Signature": "v1,signature",
    "X-Trace": "custom",
    "Accept": "application/json",
    "User-Agent": "billing-job/1",
}
FORWARDED_ACROSS_ORIGINS = {"Accept", "User-Agent"}


async def test_only_harmless_headers_follow_a_redirect_to_another_origin(
    server: Recorder, target: str
) -> None:
    with recording_receiver(answer) as other_origin:  # another port of the loopback: another origin
        hop = quote(f"{other_origin.url}/ok", safe="")
        result = await send(
            request(f"http://{target}/redirect?to={hop}", headers=CALLER_HEADERS, body={"n": 1}),
            LOCAL,
            max_body_bytes=LIMIT,
        )
    assert result == {"status": 200, "body": "fine"}
    [first], [landed] = server.received, other_origin.received
    assert all(first.headers[name.lower()] == value for name, value in CALLER_HEADERS.items())
    for name, value in CALLER_HEADERS.items():
        assert landed.headers.get(name.lower()) == (value if name in FORWARDED_ACROSS_ORIGINS else None), name
    assert landed.path == "/ok" and landed.body == b'{"n":1}'  # a 307 keeps method and body


async def test_headers_follow_a_redirect_within_the_origin(server: Recorder, target: str) -> None:
    hop = quote(f"http://{target}/ok", safe="")
    await send(
        request(f"http://{target}/redirect?to={hop}", headers=CALLER_HEADERS), LOCAL, max_body_bytes=LIMIT
    )
    _, landed = server.received
    assert all(landed.headers[name.lower()] == value for name, value in CALLER_HEADERS.items())


async def test_redirect_loops_end_as_a_permanent_error(target: str) -> None:
    with pytest.raises(PermanentError, match="too many redirects") as raised:
        await send(request(f"http://{target}/loop", method="GET"), LOCAL, max_body_bytes=LIMIT)
    assert raised.value.kind == "http_redirects"


@pytest.mark.parametrize(
    "payload",
    [
        {"url": "ftp://example.com/file"},
        {"url": "not a url"},
        {"url": "http://example.com", "headers": {"X-Evil": "a\r\nInjected: yes"}},
        {"url": "http://example.com", "headers": {"Host": "other"}},
        {"url": "http://example.com", "method": "TRACE"},
        {"url": "http://example.com", "expected_statuses": [700]},
        {"url": "http://example.com", "command": "rm -rf /"},
        {"url": "https://user:pw@example.com/hook"},  # credentials rest in the job for every reader
        {"url": "https://token@example.com/hook"},
        {"url": "http://example.com/a\r\nX-Injected: 1"},
    ],
)
def test_bad_http_payloads_are_refused(payload: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        HttpRequest.model_validate(payload)


def test_retry_after_forms() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 30) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
