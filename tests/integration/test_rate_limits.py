"""Per-key rate limits: headers, 429 with Retry-After, isolation, and sharing through Redis."""

from __future__ import annotations

from typing import Any

import httpx

from conveyor.store.database import Pool
from tests.conftest import issue_key
from tests.support import Process, all_ready


def hit(base: str, key: str) -> httpx.Response:
    return httpx.get(f"{base}/api/v1/jobs", headers={"Authorization": f"Bearer {key}"}, timeout=10)


async def test_limit_headers_429_and_per_key_isolation(spawn: Any, pool: Pool, clean_db: str) -> None:
    api = spawn("api", env={"CONVEYOR_RATE_LIMIT": "5/hour;100/second"}).wait_ready()
    first, second = (
        await issue_key(pool, "a@example.com", "viewer"),
        await issue_key(pool, "b@example.com", "viewer"),
    )
    responses = [hit(api.base_url, first) for _ in range(6)]
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    assert [r.headers["ratelimit-remaining"] for r in responses[:5]] == ["4", "3", "2", "1", "0"]
    assert responses[0].headers["ratelimit-limit"] == "5"
    refused = responses[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert hit(api.base_url, second).status_code == 200  # another key has its own budget


async def test_limits_are_shared_across_api_processes_through_redis(
    spawn: Any, pool: Pool, clean_db: str, redis_url: str
) -> None:
    env = {"CONVEYOR_RATE_LIMIT": "4/hour", "CONVEYOR_REDIS_URL": redis_url}
    one, two = spawn("api", env=env), spawn("api", env=env)
    all_ready(one, two)
    key = await issue_key(pool, "shared@example.com", "viewer")
    statuses = [hit(api.base_url, key).status_code for api in (one, two, one, two, one, two)]
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_revocation_applies_at_once_on_another_process(
    api_server: Process, spawn: Any, pool: Pool, clean_db: str
) -> None:
    one, two = api_server, spawn("api").wait_ready()  # two processes on one database
    admin = await issue_key(pool, "admin@example.com", "admin")
    me = httpx.get(f"{one.base_url}/api/v1/me", headers={"Authorization": f"Bearer {admin}"}).json()
    victim = await issue_key(pool, "victim@example.com", "viewer")
    assert hit(two.base_url, victim).status_code == 200
    keys = httpx.get(
        f"{one.base_url}/api/v1/users/{me['id'] + 1}/api-keys", headers={"Authorization": f"Bearer {admin}"}
    ).json()
    httpx.delete(
        f"{one.base_url}/api/v1/users/{me['id'] + 1}/api-keys/{keys[0]['id']}",
        headers={"Authorization": f"Bearer {admin}"},
    ).raise_for_status()
    assert hit(two.base_url, victim).status_code == 401


def guess(base: str, key: str, forwarded_for: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    return httpx.get(f"{base}/api/v1/jobs", headers=headers, timeout=10)


async def test_failed_authentication_is_limited_per_client_address(
    spawn: Any, pool: Pool, clean_db: str
) -> None:
    api = spawn("api", env={"CONVEYOR_AUTH_FAILURE_LIMIT": "5/hour"}).wait_ready()
    key = await issue_key(pool, "good@example.com", "viewer")
    assert hit(api.base_url, key).status_code == 200  # successes cost nothing
    # X-Forwarded-For from an untrusted peer changes nothing: every guess is 127.0.0.1's.
    statuses = [guess(api.base_url, f"cvk_guess_{n}", f"198.51.100.{n}").status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
    # Over the budget, this address's credentials are not even checked: a right guess looks
    # like a wrong one, so guessing learns nothing more until the window passes.
    blocked = hit(api.base_url, key)
    assert blocked.status_code == 429 and blocked.headers["content-type"] == "application/problem+json"
    assert 0 < int(blocked.headers["retry-after"]) <= 3600
    # Password spraying (one password, many accounts) is the same channel.
    spray = httpx.post(
        f"{api.base_url}/api/v1/sessions", json={"email": "other@example.com", "password": "Summer2026!"}
    )
    assert spray.status_code == 429


async def test_behind_a_trusted_proxy_the_forwarded_client_is_limited(
    spawn: Any, pool: Pool, clean_db: str
) -> None:
    env = {"CONVEYOR_AUTH_FAILURE_LIMIT": "3/hour", "CONVEYOR_TRUSTED_PROXIES": "127.0.0.1"}
    api = spawn("api", env=env).wait_ready()
    key = await issue_key(pool, "good@example.com", "viewer")
    spraying = [
        httpx.post(
            f"{api.base_url}/api/v1/sessions",
            json={"email": f"user{n}@example.com", "password": "Summer2026!"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        ).status_code
        for n in range(4)
    ]
    assert spraying == [401, 401, 401, 429]
    assert guess(api.base_url, key, "203.0.113.9").status_code == 429
    # Another client behind the same proxy, and the proxy itself, are unaffected.
    assert guess(api.base_url, key, "203.0.113.10").status_code == 200
    assert hit(api.base_url, key).status_code == 200
