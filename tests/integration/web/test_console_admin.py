"""Admin and self-service pages: users, profile, webhooks."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.integration.web.conftest import PASSWORD, Browser, console_client, csrf_of, sign_in
from tests.support import Process, all_ready


async def test_an_admin_creates_a_user_who_can_then_sign_in(
    console: Process, browser_for: Callable[..., Any]
) -> None:
    admin: Browser = await browser_for("admin")
    short = admin.post("/users", {"email": "ada@example.com", "role": "operator", "password": "short"})
    assert short.status_code == 422 and 'id="e-password">At least 12 characters' in short.text
    bad_email = admin.post("/users", {"email": "ada", "role": "operator"})
    assert bad_email.status_code == 422 and 'id="e-email">' in bad_email.text

    created = admin.post(
        "/users", {"email": "ada@example.com", "name": "Ada", "role": "operator", "password": PASSWORD}
    )
    assert created.status_code == 303
    taken = admin.post("/users", {"email": "ada@example.com", "role": "viewer"})
    assert taken.status_code == 409 and 'id="e-email">' in taken.text

    listing = admin.get("/users").text
    [user_id] = re.findall(r'action="/users/(\d+)/role"', listing.split("ada@example.com", 1)[1])[:1]
    assert admin.post(f"/users/{user_id}/role", {"role": "viewer"}).status_code == 303
    with console_client(console.base_url) as ada:
        assert sign_in(ada, "ada@example.com").status_code == 303
        assert "viewer" in ada.get("/profile").text
    assert admin.post(f"/users/{user_id}/disable").status_code == 303
    with console_client(console.base_url) as ada:
        assert sign_in(ada, "ada@example.com").status_code == 401


async def test_users_page_is_for_admins_only(browser_for: Callable[..., Any]) -> None:
    operator: Browser = await browser_for("operator")
    assert 'href="/users"' not in operator.get("/").text  # not offered
    forced = operator.get("/users")
    assert forced.status_code == 403 and "lacks permission" in forced.text
    admin: Browser = await browser_for("admin")
    assert 'href="/users"' in admin.get("/").text
    # An admin cannot demote themselves (the API says so); the page does not offer it either.
    users = admin.get("/users").text
    assert admin.email in users
    assert f"Set role of {admin.email}" not in users and f"Disable {admin.email}" not in users


async def test_profile_shows_who_you_are_and_what_you_may_do(browser_for: Callable[..., Any]) -> None:
    viewer: Browser = await browser_for("viewer")
    page = viewer.get("/profile").text
    assert viewer.email in page and "<code>jobs:read</code>" in page and "jobs:write" not in page


async def test_webhooks_register_test_and_log(
    spawn: Callable[..., Process], user_factory: Callable[..., Any]
) -> None:
    # Its own API: receivers on loopback must be allowed for this test only.
    api = spawn("api", env={"CONVEYOR_HTTP_ALLOW": "127.0.0.1"})
    web = spawn("web", env={"CONVEYOR_API_URL": api.base_url, "CONVEYOR_COOKIE_SECURE": "false"})
    all_ready(api, web)
    email = await user_factory("operator")
    with console_client(web.base_url) as http:
        assert sign_in(http, email).status_code == 303
        browser = Browser(http, email, csrf_of(http.get("/webhooks").text))
        empty = browser.post("/webhooks", {"url": ""})
        assert empty.status_code == 422 and 'id="e-url">' in empty.text and 'id="e-events">' in empty.text
        refused = browser.http.post(
            "/webhooks",
            data={"url": "http://169.254.169.254/latest", "events": ["job.dead"], "csrf_token": browser.csrf},
        )
        assert refused.status_code == 422 and re.search(r'id="e-url">[^<]*169\.254\.169\.254', refused.text)

        created = browser.http.post(
            "/webhooks",
            data={
                "url": "http://127.0.0.1:9/hook",
                "events": ["job.dead", "job.succeeded"],
                "csrf_token": browser.csrf,
            },
        )
        assert created.status_code == 201
        assert re.search(r'id="new-secret"[^>]*>whsec_', created.text)
        [endpoint_id] = re.findall(r'href="/webhooks/(\d+)"', created.text)
        assert "whsec_" not in browser.get("/webhooks").text  # shown once
        assert browser.post(f"/webhooks/{endpoint_id}/test").status_code == 303
        log = browser.get(f"/webhooks/{endpoint_id}").text
        assert "<code>webhook.test</code>" in log
        assert browser.post(f"/webhooks/{endpoint_id}/delete").status_code == 303
        assert "127.0.0.1:9/hook" not in browser.get("/webhooks").text
