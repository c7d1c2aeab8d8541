"""Signing in and out of the console, session expiry, and CSRF on every form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import psycopg

from tests.integration.web.conftest import PASSWORD, Browser, console_client, csrf_of, sign_in
from tests.support import Process, free_port, process_env, wait_until


async def test_a_page_needs_sign_in_and_sign_in_returns_to_it(
    console: Process, user_factory: Callable[..., Any]
) -> None:
    email = await user_factory("viewer")
    with httpx.Client(base_url=console.base_url) as anonymous:
        first = anonymous.get("/jobs?state=dead", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/sign-in?next=/jobs%3Fstate%3Ddead"

    with console_client(console.base_url) as http:
        response = sign_in(http, email, next_path="/jobs?state=dead")
        assert response.status_code == 303
        assert response.headers["location"] == "/jobs?state=dead"
        page = http.get("/jobs?state=dead")
        assert page.status_code == 200 and email in page.text


async def test_wrong_password_and_missing_fields_are_explained(
    console: Process, user_factory: Callable[..., Any]
) -> None:
    email = await user_factory("viewer")
    with console_client(console.base_url) as http:
        wrong = sign_in(http, email, password="not the password")
        assert wrong.status_code == 401 and "Wrong email or password." in wrong.text
        assert "conveyor_console" not in http.cookies
        form = http.get("/sign-in")
        empty = http.post("/sign-in", data={"email": "", "password": "", "csrf_token": csrf_of(form.text)})
    assert empty.status_code == 422
    assert 'id="e-email">Enter your email address.' in empty.text
    assert 'id="e-password">Enter your password.' in empty.text


async def test_sign_in_form_without_its_token_is_refused(
    console: Process, user_factory: Callable[..., Any]
) -> None:
    email = await user_factory("admin")
    with httpx.Client(base_url=console.base_url) as http:
        response = http.post("/sign-in", data={"email": email, "password": PASSWORD})
        assert response.status_code == 403 and "expired" in response.text
        assert "conveyor_console" not in http.cookies


async def test_expired_session_signs_in_again_and_returns_to_the_page(
    console: Process, browser_for: Callable[..., Any], database_url: str
) -> None:
    browser: Browser = await browser_for("viewer")
    assert browser.get("/queues").status_code == 200
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE conveyor.sessions SET expires_at = now() - interval '1 second'")

    expired = browser.get("/queues")
    assert expired.status_code == 303
    assert expired.headers["location"] == "/sign-in?next=/queues"
    # An HTMX poll gets told to navigate instead of swapping a sign-in page into a fragment.
    poll = browser.get("/overview/live", headers={"HX-Request": "true"})
    assert poll.status_code == 401 and poll.headers["HX-Redirect"] == "/sign-in?next=/"

    again = browser.http.get(expired.headers["location"])
    response = browser.http.post(
        "/sign-in",
        data={
            "email": browser.email,
            "password": PASSWORD,
            "next": "/queues",
            "csrf_token": csrf_of(again.text),
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/queues"


async def test_an_expired_session_on_a_form_returns_to_the_page_of_the_form(
    console: Process, browser_for: Callable[..., Any], database_url: str
) -> None:
    browser: Browser = await browser_for("operator")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE conveyor.sessions SET expires_at = now() - interval '1 second'")
    response = browser.http.post(
        "/queues/default/pause",
        data={"csrf_token": browser.csrf},
        headers={"Referer": f"{console.base_url}/queues"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/sign-in?next=/queues"


async def test_every_change_needs_the_session_csrf_token(
    console: Process, browser_for: Callable[..., Any], api_server: Process, admin_key: str
) -> None:
    browser: Browser = await browser_for("operator")
    forged = browser.post("/queues/default/pause", csrf=False)
    assert forged.status_code == 403 and "Reload the page" in forged.text
    wrong = browser.http.post("/queues/default/pause", data={"csrf_token": "x" * 32})
    assert wrong.status_code == 403

    def paused() -> bool:
        queues = httpx.get(
            f"{api_server.base_url}/api/v1/queues", headers={"Authorization": f"Bearer {admin_key}"}
        ).json()
        return any(q["name"] == "default" and q["paused"] for q in queues)

    assert not paused()
    done = browser.post("/queues/default/pause")
    assert done.status_code == 303 and paused()
    # HTMX requests carry the token in a header instead of a form field.
    header = browser.http.post("/queues/default/resume", headers={"X-CSRF-Token": browser.csrf})
    assert header.status_code == 303 and not paused()


async def test_sign_out_ends_the_session_in_the_api(
    console: Process, browser_for: Callable[..., Any]
) -> None:
    browser: Browser = await browser_for("viewer")
    session_id = browser.http.cookies["conveyor_console"]
    out = browser.post("/sign-out")
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    assert browser.get("/").status_code == 303
    # The old cookie is dead in the API too, not just forgotten by the browser.
    with httpx.Client(base_url=console.base_url, cookies={"conveyor_console": session_id}) as replay:
        assert replay.get("/", follow_redirects=False).status_code == 303


async def test_api_down_shows_a_banner_not_a_stack_trace(database_url: str, tmp_path: Any) -> None:
    port = free_port()
    dead_api = f"http://127.0.0.1:{free_port()}"
    proc = Process(
        ["web", "--port", str(port)],
        process_env(database_url, CONVEYOR_API_URL=dead_api, CONVEYOR_COOKIE_SECURE="false"),
        tmp_path / "web.log",
        port=port,
    ).start()
    try:

        def live() -> bool:
            try:
                return httpx.get(f"{proc.base_url}/livez", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(live, timeout=30, what="the console to start")
        assert httpx.get(f"{proc.base_url}/readyz").status_code == 503
        page = httpx.get(f"{proc.base_url}/jobs", cookies={"conveyor_console": "some-session"})
        assert page.status_code == 503
        assert "The Conveyor API is not answering." in page.text and dead_api in page.text
        assert "Traceback" not in page.text
        fragment = httpx.get(
            f"{proc.base_url}/overview/live",
            cookies={"conveyor_console": "some-session"},
            headers={"HX-Request": "true"},
        )
        assert fragment.status_code == 503 and "<html" not in fragment.text
        form = httpx.get(f"{proc.base_url}/sign-in")
        sign_in_attempt = httpx.post(
            f"{proc.base_url}/sign-in",
            data={"email": "a@example.com", "password": "pw", "csrf_token": csrf_of(form.text)},
            cookies=form.cookies,
        )
        assert sign_in_attempt.status_code == 503 and "not answering" in sign_in_attempt.text
    finally:
        proc.stop()


async def test_console_requests_are_measured_and_their_id_reaches_the_api(
    console: Process, browser_for: Callable[..., Any], api_server: Process, admin_key: str
) -> None:
    browser: Browser = await browser_for("operator")
    page = browser.get("/jobs/12345", headers={"X-Request-Id": "console-req-1"})
    assert page.status_code == 404 and page.headers["x-request-id"] == "console-req-1"
    metrics = httpx.get(f"{console.base_url}/metrics").text
    assert 'conveyor_http_requests_total{method="GET",route="/jobs/{job_id}",status="404"}' in metrics

    paused = browser.http.post(
        "/queues/default/pause", data={"csrf_token": browser.csrf}, headers={"X-Request-Id": "console-req-2"}
    )
    assert paused.status_code == 303
    # The API's audit log files the change under the user, with the console request's id.
    audit = httpx.get(
        f"{api_server.base_url}/api/v1/audit-log", headers={"Authorization": f"Bearer {admin_key}"}
    ).json()["items"]
    [entry] = [e for e in audit if e["request_id"] == "console-req-2"]
    assert entry["route"] == "/api/v1/queues/{name}/pause" and entry["params"] == {"name": "default"}
