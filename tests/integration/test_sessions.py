"""Console sessions: password sign-in, cookie flags, CSRF, sign-out, expiry, guessing limits."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from conveyor.store.database import Pool
from conveyor.store.users import create_user
from tests.integration.test_api import assert_problem
from tests.support import Process

PASSWORD = "correct horse battery staple"


@pytest.fixture
async def ada(pool: Pool, clean_db: str) -> dict[str, Any]:
    user = await create_user(pool, "ada@example.com", "operator", "Ada", PASSWORD)
    assert user is not None
    return user


def sign_in(base: str, email: str = "ada@example.com", password: str = PASSWORD) -> httpx.Response:
    return httpx.post(f"{base}/api/v1/sessions", json={"email": email, "password": password})


async def test_sign_in_cookie_csrf_and_sign_out(api_server: Process, ada: dict[str, Any]) -> None:
    api = api_server
    response = sign_in(api.base_url)
    assert response.status_code == 201
    session = response.json()
    assert session["user"]["email"] == "ada@example.com" and session["csrf_token"]
    cookie = response.headers["set-cookie"]
    for flag in ("HttpOnly", "Secure", "SameSite=lax", "Path=/"):
        assert flag.lower() in cookie.lower()
    jar = {"conveyor_session": response.cookies["conveyor_session"]}
    with httpx.Client(base_url=f"{api.base_url}/api/v1", cookies=jar) as browser:
        assert browser.get("/me").json()["email"] == "ada@example.com"
        assert browser.get("/sessions/current").json()["csrf_token"] == session["csrf_token"]
        body = assert_problem(browser.post("/jobs", json={"type": "noop"}), 403)  # no CSRF token
        assert "X-CSRF-Token" in body["detail"]
        assert_problem(browser.post("/jobs", json={"type": "noop"}, headers={"X-CSRF-Token": "guess"}), 403)
        csrf = {"X-CSRF-Token": session["csrf_token"]}
        assert browser.post("/jobs", json={"type": "noop"}, headers=csrf).status_code == 201
        assert browser.delete("/sessions/current", headers=csrf).status_code == 204
        assert_problem(browser.get("/me"), 401)


async def test_wrong_password_unknown_user_and_disabled_user(
    api_server: Process, ada: dict[str, Any], pool: Pool
) -> None:
    api = api_server
    wrong = assert_problem(sign_in(api.base_url, password="nope"), 401)
    unknown = assert_problem(sign_in(api.base_url, email="eve@example.com"), 401)
    assert wrong["detail"] == unknown["detail"] == "wrong email or password"
    assert "set-cookie" not in sign_in(api.base_url, password="nope").headers
    async with pool.connection() as conn:
        await conn.execute("UPDATE conveyor.users SET disabled = true WHERE id = %s", [ada["id"]])
    assert_problem(sign_in(api.base_url), 401)


async def test_sessions_expire(spawn: Any, ada: dict[str, Any]) -> None:
    api = spawn("api", env={"CONVEYOR_SESSION_TTL_SECONDS": "1"}).wait_ready()
    response = sign_in(api.base_url)
    jar = {"conveyor_session": response.cookies["conveyor_session"]}
    assert httpx.get(f"{api.base_url}/api/v1/me", cookies=jar).status_code == 200
    time.sleep(1.2)
    assert_problem(httpx.get(f"{api.base_url}/api/v1/me", cookies=jar), 401)


async def test_password_guessing_is_rate_limited(spawn: Any, ada: dict[str, Any]) -> None:
    api = spawn("api").wait_ready()
    statuses = [sign_in(api.base_url, password=f"guess-{n}").status_code for n in range(14)]
    # Sliding windows: a run that straddles a minute boundary may get a guess or two more.
    first_refusal = statuses.index(429)
    assert 10 <= first_refusal <= 12 and set(statuses[:first_refusal]) == {401}
    assert sign_in(api.base_url).status_code == 429  # even the right password, until the window passes
