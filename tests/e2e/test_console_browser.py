"""The console in a real browser (Debian's Chromium via Playwright) against real API, worker,
scheduler and console processes: what a person does, end to end."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from conveyor.store.database import open_pool
from conveyor.store.users import create_user
from tests.conftest import truncate
from tests.support import Answer, Process, Received, free_port, process_env, recording_receiver, stop_all

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"
WAIT_MS = 30_000  # the longest any expectation waits (bounded, and far above what it needs)
PAGES = [
    "/", "/jobs", "/jobs/new", "/dead-letter", "/queues", "/schedules", "/schedules/new",
    "/webhooks", "/keys", "/users", "/profile",
]  # fmt: skip

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def refuse_the_first(_request: Received, before: int) -> Answer:
    """A 400 to the first call (not retryable: the job dies), 204 to the rest."""
    return (400, {}, b"") if before == 0 else (204, {}, b"")


@dataclass
class Stack:
    api: Process
    console: str
    users: dict[str, str]
    receiver: str


async def _create_users(database_url: str) -> dict[str, str]:
    pool = await open_pool(database_url, size=1, name="e2e-users")
    try:
        await pool.wait()
        users = {}
        for role in ("admin", "operator", "viewer"):
            users[role] = f"{role}@e2e.example.com"
            await create_user(pool, users[role], role, None, PASSWORD)
        return users
    finally:
        await pool.close()


@pytest.fixture(scope="module")
def stack(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    assert shutil.which(CHROMIUM), "Chromium is missing: run `make test-deps`"
    truncate(database_url)
    users = asyncio.run(_create_users(database_url))
    logs = tmp_path_factory.mktemp("console-e2e")
    api_port = free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    env = process_env(
        database_url,
        CONVEYOR_API_URL=api_url,
        CONVEYOR_HTTP_ALLOW="127.0.0.1",
        CONVEYOR_WORKER_POLL_INTERVAL="0.2",
        CONVEYOR_BACKOFF_BASE_SECONDS="0.1",
        CONVEYOR_RATE_LIMIT="10000/second",
    )
    # The console runs with its production cookie settings (Secure): browsers accept Secure
    # cookies from http://127.0.0.1, so the local setup needs no exception.
    procs = [
        Process(["api", "--port", str(api_port)], env, logs / "api.log", port=api_port),
        Process(["worker", "--port", str(p := free_port())], env, logs / "worker.log", port=p),
        Process(["scheduler", "--port", str(p := free_port())], env, logs / "scheduler.log", port=p),
        Process(["web", "--port", str(p := free_port())], env, logs / "web.log", port=p),
    ]
    try:
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.wait_ready(timeout=60)
        with recording_receiver(refuse_the_first) as receiver:
            yield Stack(
                api=procs[0], console=procs[-1].base_url, users=users, receiver=f"{receiver.url}/hook"
            )
    finally:
        stop_all(procs)


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    # After the stack: Playwright's sync API keeps an event loop running in this thread, and
    # the stack's setup needs asyncio.run.
    with sync_playwright() as playwright:
        yield _launch(playwright)


def _launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])


def signed_in(browser: Browser, stack: Stack, role: str, **options: Any) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=stack.console, **options)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/$"))
    page.get_by_label("Email").fill(stack.users[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    return context, page


@pytest.fixture
def admin(browser: Browser, stack: Stack) -> Iterator[Page]:
    context, page = signed_in(browser, stack, "admin")
    yield page
    context.close()


def test_submit_a_job_and_watch_it_succeed(admin: Page) -> None:
    admin.get_by_role("link", name="Jobs", exact=True).click()
    admin.get_by_role("link", name="Submit a job").click()
    admin.get_by_label("Type").fill("sleep")
    admin.get_by_label("Payload (JSON object)").fill('{"seconds": 1}')
    admin.get_by_role("button", name="Submit").click()
    expect(admin.get_by_role("status")).to_contain_text("submitted")
    # The page polls while the job is unfinished; no reload needed to see it end.
    expect(admin.locator(".job-state")).to_contain_text("succeeded")
    expect(admin.locator("#job-live")).not_to_have_attribute("hx-trigger", re.compile("every"))


def test_a_job_breaks_into_the_dead_letter_and_is_replayed(admin: Page, stack: Stack) -> None:
    admin.goto("/jobs/new")
    admin.get_by_label("Type").fill("http")
    admin.get_by_label("Payload (JSON object)").fill(json.dumps({"url": stack.receiver, "body": {"n": 1}}))
    admin.get_by_role("button", name="Submit").click()
    expect(admin.locator(".job-state")).to_contain_text("dead")
    job_url = admin.url

    admin.get_by_role("link", name="Dead letter").click()
    row = admin.get_by_role("row").filter(
        has=admin.get_by_role("link", name=job_url.rsplit("/", 1)[1], exact=True)
    )
    expect(row).to_contain_text("400")
    row.get_by_role("button", name="Replay").click()
    expect(admin.get_by_role("status")).to_contain_text("replayed")
    admin.goto(job_url)
    expect(admin.locator(".job-state")).to_contain_text("succeeded")


def test_create_a_schedule_with_the_cron_helper(admin: Page) -> None:
    admin.goto("/schedules")
    admin.get_by_role("link", name="New schedule").click()
    admin.get_by_label("Name").fill("e2e-hourly")
    cron = admin.get_by_label("Cron expression")
    cron.fill("61 * * * *")
    expect(admin.locator("#cron-preview")).to_contain_text("does not work")
    admin.get_by_role("button", name="0 9 * * 1-5").click()  # an example fills the field
    expect(cron).to_have_value("0 9 * * 1-5")
    expect(admin.locator("#cron-preview li")).to_have_count(5)
    admin.get_by_role("button", name="Create schedule").click()
    expect(admin.get_by_role("status")).to_contain_text("Schedule e2e-hourly created.")
    row = admin.get_by_role("row").filter(has_text="e2e-hourly")
    row.get_by_role("button", name="Pause e2e-hourly").click()
    expect(admin.get_by_role("row").filter(has_text="e2e-hourly")).to_contain_text("paused")


def test_pause_and_resume_a_queue(admin: Page) -> None:
    admin.goto("/jobs/new")
    admin.get_by_label("Type").fill("noop")
    admin.get_by_label("Queue").fill("e2e-pause")
    admin.get_by_role("button", name="Submit").click()
    admin.get_by_role("link", name="Queues").click()
    admin.get_by_role("button", name="Pause e2e-pause").click()
    expect(admin.get_by_role("status")).to_contain_text("Queue e2e-pause paused")
    expect(admin.get_by_role("row").filter(has_text="e2e-pause")).to_contain_text("paused")
    admin.get_by_role("button", name="Resume e2e-pause").click()
    expect(admin.get_by_role("row").filter(has_text="e2e-pause")).to_contain_text("active")


def test_issue_and_revoke_an_api_key(admin: Page) -> None:
    admin.get_by_role("link", name="API keys").click()
    admin.get_by_label("Name").fill("e2e laptop")
    admin.get_by_role("button", name="Issue key").click()
    expect(admin.locator("#new-secret")).to_have_text(re.compile(r"^cvk_"))
    admin.goto("/keys")  # the secret is never shown again
    expect(admin.locator("#new-secret")).to_have_count(0)
    admin.get_by_role("button", name="Revoke e2e laptop").click()
    expect(admin.get_by_role("status")).to_contain_text("revoked")
    expect(admin.get_by_role("row").filter(has_text="e2e laptop")).to_contain_text("revoked")


def test_a_viewer_sees_no_write_actions(browser: Browser, stack: Stack) -> None:
    context, page = signed_in(browser, stack, "viewer")
    try:
        for path in ["/", "/jobs", "/dead-letter", "/queues", "/schedules", "/webhooks", "/profile"]:
            page.goto(path)
            # The one form a viewer gets is signing out.
            expect(page.locator("form[method=post]")).to_have_count(1)
            expect(
                page.get_by_role("button", name=re.compile("Pause|Resume|Replay|Cancel|Retry"))
            ).to_have_count(0)
    finally:
        context.close()


def test_dark_mode_follows_the_system_and_the_toggle_persists(browser: Browser, stack: Stack) -> None:
    context, page = signed_in(browser, stack, "viewer", color_scheme="dark")
    try:
        background = "getComputedStyle(document.body).backgroundColor"
        dark = page.evaluate(background)
        assert dark == "rgb(18, 20, 23)"  # the system says dark, nothing saved yet
        toggle = page.get_by_role("button", name=re.compile("Dark mode"))
        expect(toggle).to_have_attribute("aria-pressed", "true")
        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "false")
        assert page.evaluate(background) == "rgb(255, 255, 255)"
        page.goto("/jobs")  # another page, after a full load: the choice stuck
        assert page.evaluate(background) == "rgb(255, 255, 255)"
        expect(page.get_by_role("button", name=re.compile("Dark mode"))).to_have_attribute(
            "aria-pressed", "false"
        )
    finally:
        context.close()


def test_phone_viewport_has_no_horizontal_scroll(browser: Browser, stack: Stack) -> None:
    context, page = signed_in(browser, stack, "admin", viewport={"width": 360, "height": 740})
    try:
        for path in PAGES:
            page.goto(path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px"
    finally:
        context.close()


def test_keyboard_alone_signs_in_and_navigates(browser: Browser, stack: Stack) -> None:
    context = browser.new_context(base_url=stack.console)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        page.goto("/sign-in")
        expect(page.get_by_label("Email")).to_be_focused()  # autofocus: start typing at once
        page.keyboard.type(stack.users["operator"])
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        page.keyboard.press("Tab")  # the skip link comes first
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # brand, Overview, Jobs
        expect(page.get_by_role("link", name="Jobs", exact=True)).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
    finally:
        context.close()


def test_pages_have_no_serious_accessibility_violations(browser: Browser, stack: Stack) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems: list[str] = []
    for scheme in ("light", "dark"):
        # bypass_csp: axe-core is injected by the test, not served by the console.
        context, page = signed_in(browser, stack, "admin", color_scheme=scheme, bypass_csp=True)
        try:
            for path in [*PAGES, "/jobs/1"]:
                page.goto(path)
                results = axe.run(page)
                for violation in results.response["violations"]:
                    if violation["impact"] in ("serious", "critical"):
                        nodes = [n["target"] for n in violation["nodes"]][:3]
                        problems.append(f"{scheme} {path}: {violation['id']} {nodes}")
        finally:
            context.close()
    assert problems == []


def test_pwa_caches_only_the_shell_and_shows_the_offline_page(browser: Browser, stack: Stack) -> None:
    context, page = signed_in(browser, stack, "admin")
    try:
        manifest = page.evaluate("fetch('/static/manifest.webmanifest').then(r => r.json())")
        assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
        assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active !== null)")
        page.reload()  # now controlled by the service worker
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        page.goto("/jobs")
        cached = page.evaluate(
            """async () => {
                const urls = [];
                for (const name of await caches.keys()) {
                    const cache = await caches.open(name);
                    for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
                }
                return urls.sort();
            }"""
        )
        assert "/offline" in cached and "/static/console.css" in cached
        assert all(url == "/offline" or url.startswith(("/static/", "/vendor/")) for url in cached), cached
        context.set_offline(True)
        page.goto("/queues")
        expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    finally:
        context.set_offline(False)
        context.close()


def test_api_down_shows_a_banner_and_the_overview_comes_back(browser: Browser, stack: Stack) -> None:
    """Last in the module: it stops the API, then starts it again."""
    context, page = signed_in(browser, stack, "viewer")
    try:
        expect(page.get_by_role("heading", name="Queues")).to_be_visible()
        stack.api.stop()
        # The overview's next poll brings the banner in place of the numbers.
        expect(page.get_by_role("alert")).to_contain_text("The Conveyor API is not answering.")
        expect(page.get_by_role("heading", name="Queues")).to_have_count(0)
        other = context.new_page()
        response = other.goto("/jobs")
        assert response is not None and response.status == 503
        expect(other.get_by_role("alert")).to_contain_text("not answering")
        expect(other.get_by_text("Traceback")).to_have_count(0)
        other.close()
    finally:
        stack.api.start()
        stack.api.wait_ready(timeout=60)
    try:
        # Still polling through the outage: the numbers return without a reload.
        expect(page.get_by_role("heading", name="Queues")).to_be_visible()
        expect(page.get_by_role("alert")).to_have_count(0)
    finally:
        context.close()
