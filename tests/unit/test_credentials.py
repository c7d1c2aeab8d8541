"""Which parts of an http job's payload count as credentials, and the redacted view of it."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest

from conveyor.handlers.credentials import REDACTED, Redactor


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "proxy-authorization",
        "X-Api-Key",
        "apikey",
        "Cookie",
        "X-Auth-Token",
        "X-Session-Id",
        "X-Webhook-Signature",
        "x-client-secret",
        "X-Password",
        "X-Amz-Security-Token",
        "private-credentials",
    ],
)
def test_credential_like_header_names(name: str) -> None:
    assert Redactor().is_credential(name)


@pytest.mark.parametrize(
    "name", ["Content-Type", "Accept", "User-Agent", "X-Request-Id", "traceparent", "X-Tenant"]
)
def test_ordinary_header_names(name: str) -> None:
    assert not Redactor().is_credential(name)


def test_configured_names_are_redacted_too() -> None:
    assert Redactor(["X-Tenant", " "]).is_credential("x-tenant")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.com/a?b=1", "https://example.com/a?b=1"),  # nothing to hide: unchanged
        ("https://user:pw@example.com/a", "https://example.com/a"),
        ("https://token@example.com:8443/a", "https://example.com:8443/a"),
        (
            "https://example.com/a?access_token=s3cret&page=2",
            f"https://example.com/a?access_token={REDACTED}&page=2",
        ),
        ("https://example.com/a?API_KEY=s3cret", f"https://example.com/a?API_KEY={REDACTED}"),
    ],
)
def test_urls_lose_their_credentials(url: str, shown: str) -> None:
    assert unquote(Redactor().url(url)) == shown


def test_http_payload_view_keeps_everything_but_credentials() -> None:
    payload: dict[str, Any] = {
        "url": "https://u:p@example.com/hook?token=t",
        "method": "POST",
        "headers": {"X-Api-Key": "k", "Content-Type": "application/json", "X-Tenant": "acme"},
        "body": {"n": 1},
    }
    shown = Redactor(["x-tenant"]).payload("http", payload)
    assert shown["headers"] == {
        "X-Api-Key": REDACTED,
        "Content-Type": "application/json",
        "X-Tenant": REDACTED,
    }
    assert "u:p" not in shown["url"] and "token=t" not in shown["url"]
    assert (shown["method"], shown["body"]) == ("POST", {"n": 1})
    assert payload["headers"]["X-Api-Key"] == "k"  # the stored payload is untouched


def test_other_job_types_are_shown_as_they_are() -> None:
    payload = {"headers": {"Authorization": "x"}}
    assert Redactor().payload("echo", payload) == payload
